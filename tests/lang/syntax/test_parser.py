"""Parser: AST shape of every construct, operator precedence, statement rules, positions."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang import SentinelSyntaxError, ast, parse


def body(source: str, **kwargs: bool) -> str:
    """S-expressions of the file's statements (imports and params included), one per line."""
    file = parse(source, **kwargs)
    return "\n".join(repr(node) for node in [*file.imports, *file.params, *file.body])


def expr(source: str) -> str:
    """S-expression of one expression, parsed as the right-hand side of an assignment."""
    file = parse(f"x = {source}")
    (stmt,) = file.body
    assert isinstance(stmt, ast.Assign)
    return repr(stmt.value)


# --- declarations ------------------------------------------------------------------------------------------


def test_imports() -> None:
    file = parse('import "strings"\nimport "tfplan/v2" as tfplan\n')
    assert [(i.path, i.alias) for i in file.imports] == [("strings", None), ("tfplan/v2", "tfplan")]
    assert repr(file) == '(file (import "strings") (import "tfplan/v2" as tfplan))'


def test_params() -> None:
    source = """
param foo
param bar default 42
param neg default -1.5
param flag default true
param names default ["a", "b",]
param limits default {"cpu": 2, "tags": {"a": "b"}}
"""
    assert body(source) == "\n".join(
        [
            "(param foo)",
            "(param bar default 42)",
            "(param neg default -1.5)",
            "(param flag default true)",
            '(param names default ["a", "b"])',
            '(param limits default {"cpu": 2, "tags": {"a": "b"}})',
        ]
    )
    assert body(source, fast_literals=False) == body(source)


@pytest.mark.parametrize(
    "default", ["x", "8 - 5", "null", "[null]", '{"a": f()}', "func() { return 1 }", "-x"]
)
def test_param_default_must_be_a_literal(default: str) -> None:
    with pytest.raises(SentinelSyntaxError, match="param default must be a literal"):
        parse(f"param p default {default}")


def test_imports_then_params_then_statements() -> None:
    file = parse('# doc\nimport "a"\n\nparam p\nx = 1\n')
    assert (len(file.imports), len(file.params), len(file.body)) == (1, 1, 1)


# --- statements -------------------------------------------------------------------------------------------


def test_assignments() -> None:
    source = """
x = 1
x += 1
x -= 2
x *= 3
x /= 4
x %= 5
m["k"] = "v"
l[0] = 1
l[0] += 8
a.b["c"][0] = e
"""
    assert body(source) == "\n".join(
        [
            "(= x 1)",
            "(+= x 1)",
            "(-= x 2)",
            "(*= x 3)",
            "(/= x 4)",
            "(%= x 5)",
            '(= ([] m "k") "v")',
            "(= ([] l 0) 1)",
            "(+= ([] l 0) 8)",
            '(= ([] ([] (. a b) "c") 0) e)',
        ]
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x.f = 1", 'cannot assign to a selector; write an index instead: ["f"]'),
        ("a[0].f = 1", "cannot assign to a selector"),
        ("f() = 1", "cannot assign to this expression"),
        ("f()[0] = 1", "cannot assign to this expression"),
        ("1 = x", "cannot assign to this expression"),
        ("x[1:2] = y", "cannot assign to this expression"),
    ],
)
def test_invalid_assignment_targets(source: str, message: str) -> None:
    with pytest.raises(SentinelSyntaxError, match=message.replace("[", r"\[")):
        parse(source)


def test_expression_statements() -> None:
    assert body('print("hi")\nappend(l, 1)\nx is defined') == "\n".join(
        ['(expr (call print "hi"))', "(expr (call append l 1))", "(expr (is-defined x))"]
    )


def test_if_else_if_else() -> None:
    source = """
if x < y {
    return x
} else if x > z {
    return z
} else {
    return y
}
if a { b() }
"""
    assert body(source) == "\n".join(
        [
            "(if (< x y) (then (return x)) (else (if (> x z) (then (return z)) (else (return y)))))",
            "(if a (then (expr (call b))))",
        ]
    )
    file = parse(source)
    first = file.body[0]
    assert isinstance(first, ast.If) and isinstance(first.orelse[0], ast.If)
    assert file.body[1].orelse == []  # type: ignore[attr-defined]


def test_long_else_if_chain_does_not_recurse() -> None:
    source = "if a { x = 0 }" + "".join(f" else if a == {i} {{ x = {i} }}" for i in range(3000))
    node = parse(source, max_depth=5000).body[0]
    depth = 0
    while isinstance(node, ast.If) and node.orelse:
        node = node.orelse[0]
        depth += 1
    assert depth == 3000


def test_case_statements() -> None:
    source = """
case x {
when "a", "b":
    y = 1
    z = 2
when c:
    // nothing
else:
    y = 3
}
case {
when x > 42:
    return true
}
"""
    assert body(source) == "\n".join(
        [
            '(case x (when ("a" "b") (= y 1) (= z 2)) (when (c)) (else (= y 3)))',
            "(case (when ((> x 42)) (return true)))",
        ]
    )
    case = parse(source).body[0]
    assert isinstance(case, ast.Case) and case.default is not None and case.default.exprs == []


def test_case_else_may_come_first_but_only_once() -> None:
    assert body("case x { else: y = 1\nwhen 1: y = 2 }") == "(case x (when (1) (= y 2)) (else (= y 1)))"
    with pytest.raises(SentinelSyntaxError, match='case already has an "else" clause at 1:10'):
        parse("case x { else: y = 1\nelse: y = 2 }")


def test_for_statements() -> None:
    source = """
for [1, 2, 3] as v { count += v }
for data as k, v {
    if k == "skip" { continue }
    break
}
"""
    assert body(source) == "\n".join(
        [
            "(for [1, 2, 3] (v) (+= count v))",
            '(for data (k v) (if (== k "skip") (then (continue))) (break))',
        ]
    )


def test_break_and_continue_need_an_enclosing_for_in_the_same_function() -> None:
    for source in ["break", "if x { continue }", "for xs as x { f = func() { break } }"]:
        with pytest.raises(SentinelSyntaxError, match="outside of a"):
            parse(source)


def test_return_needs_a_value() -> None:
    with pytest.raises(SentinelSyntaxError, match='write "return undefined"'):
        parse("f = func() { return }")
    assert body("f = func() { return undefined }") == "(= f (func () (return undefined)))"


def test_functions() -> None:
    source = """
double = func(n) { return n * 2 }
func add(a, b,) {
    return a + b
}
func none() { return undefined }
f = func(
    a,
    b
) { return a }
"""
    assert body(source) == "\n".join(
        [
            "(= double (func (n) (return (* n 2))))",
            "(funcdecl add (a b) (return (+ a b)))",
            "(funcdecl none () (return undefined))",
            "(= f (func (a b) (return a)))",
        ]
    )
    decl = parse(source).body[1]
    assert isinstance(decl, ast.FuncDecl) and decl.func.params == ["a", "b"]


def test_closures_and_function_arguments() -> None:
    source = """
make = func(n) {
    return func(x) { return x + n }
}
bad = collection.reject(items, func(r) { return is_tagged(r) })
"""
    assert body(source) == "\n".join(
        [
            "(= make (func (n) (return (func (x) (return (+ x n))))))",
            "(= bad (call (. collection reject) items (func (r) (return (call is_tagged r)))))",
        ]
    )


def test_semicolons_separate_statements_on_one_line() -> None:
    assert body("a = 1; b = 2;; c = 3") == "(= a 1)\n(= b 2)\n(= c 3)"
    assert body("f = func() { a = 1; return a }") == "(= f (func () (= a 1) (return a)))"


# --- expressions ------------------------------------------------------------------------------------------


def test_rules() -> None:
    assert expr("rule { x is y }") == "(rule (is x y))"
    assert expr("rule when x is y { y > 42 }") == "(rule (when (is x y)) (> y 42))"
    assert (
        expr('rule {\n    x == "value" or\n    y == "other"\n}')
        == '(rule (or (== x "value") (== y "other")))'
    )
    assert expr('rule { map ["a", "b"] as _, id {\n  { "id": id }\n}}') == (
        '(rule (map ["a", "b"] (_ id) {"id": id}))'
    )


def test_quantifiers() -> None:
    assert (
        expr('all group.tasks as t { t.driver is "vmware" }')
        == '(all (. group tasks) (t) (is (. t driver) "vmware"))'
    )
    assert expr("any xs as i, x { x > i }") == "(any xs (i x) (> x i))"
    assert expr("filter m as k, v {\n  v is not null\n}") == "(filter m (k v) (is-not v null))"
    assert expr('map xs as x { { "id": x } }') == '(map xs (x) {"id": x})'


def test_quantifier_is_an_operand() -> None:
    assert expr("all a as x { x } and any b as y { y }") == "(and (all a (x) x) (any b (y) y))"
    assert expr("length(filter xs as x { x > 1 }) > 0") == "(> (call length (filter xs (x) (> x 1))) 0)"
    assert expr("not all xs as x { x }") == "(not (all xs (x) x))"


def test_collection_literals() -> None:
    assert expr("[]") == "[]"
    assert expr("{}") == "{}"
    assert expr("[1, a, [2],]") == "[1, a, [2]]"
    assert expr('{"a": 1, 2: b, true: [c],}') == '{"a": 1, 2: b, true: [c]}'
    assert expr('{\n  "a": 1,\n  "b": 2\n}') == '{"a": 1, "b": 2}'  # newline before "}" is fine
    assert expr("[\n  1,\n  2\n]") == "[1, 2]"
    assert expr('{ "k" + "1": -x }') == '{(+ "k" "1"): (- x)}'
    assert expr('{"a": 1}["a"]') == '([] {"a": 1} "a")'
    assert expr("[1] + [2]") == "(+ [1] [2])"
    assert expr('{"m": {"a": 1} else {}, "l": [1][0]}') == '{"m": (else {"a": 1} {}), "l": ([] [1] 0)}'


def test_literal_nodes() -> None:
    node = parse('x = {"a": [1, 2.5, "s", true]}', fast_literals=False).body[0].value  # type: ignore[attr-defined]
    assert isinstance(node, ast.MapLit)
    (key,), (val,) = node.keys, node.values
    assert isinstance(key, ast.String) and key.value == "a"
    assert isinstance(val, ast.ListLit)
    assert [type(e).__name__ for e in val.elts] == ["Int", "Float", "String", "Ident"]


def test_signed_number_literals_are_folded() -> None:
    node = parse("x = -5").body[0].value  # type: ignore[attr-defined]
    assert isinstance(node, ast.Int) and node.value == -5 and node.pos == 4
    assert expr("- -2.5") == "2.5"
    assert expr("+7") == "7"
    assert expr("-x") == "(- x)"
    assert expr("-5 is empty") == "(- (is-empty 5))"  # the postfix binds first
    assert expr('-"s"') == '(- "s")'


def test_selectors_indexes_slices_calls() -> None:
    assert expr("x.map.default.rule") == "(. (. (. x map) default) rule)"
    assert expr("root.a[idx].b[i][j].c") == "(. ([] ([] (. ([] (. root a) idx) b) i) j) c)"
    assert expr("a[1:4]") == "([:] a 1 4)"
    assert expr("a[:3]") == "([:] a _ 3)"
    assert expr("a[2:]") == "([:] a 2 _)"
    assert expr("a[:]") == "([:] a _ _)"
    assert expr("s[i : j + 1]") == "([:] s i (+ j 1))"
    assert expr("f()") == "(call f)"
    assert expr("f(3.1415, true,)") == "(call f 3.1415 true)"
    assert expr("f.p[i].x()") == "(call (. ([] (. f p) i) x))"
    assert expr("foo()(b)") == "(call (call foo) b)"
    assert expr("f(\n  1,\n  2\n)") == "(call f 1 2)"
    assert expr("decimal.new(x).greater_than(y)") == "(call (. (call (. decimal new) x) greater_than) y)"


def test_parentheses_group_without_a_node() -> None:
    assert expr("(a + b) * c") == "(* (+ a b) c)"
    assert expr("(\n  a or\n  b\n)") == "(or a b)"


# --- precedence -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a else b == c", "(== (else a b) c)"),
        ("not a in b", "(in (not a) b)"),
        ("a not in b", "(not-in a b)"),
        ("not (a in b)", "(not (in a b))"),
        ("x is not empty and y", "(and (is-not-empty x) y)"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("a xor b and c", "(xor a (and b c))"),
        ("a or b xor c", "(xor (or a b) c)"),
        ("-x.y[0]", "(- ([] (. x y) 0))"),
        ("!x.y", "(! (. x y))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b % c", "(% (/ a b) c)"),
        ("a + b else c", "(else (+ a b) c)"),
        ("a else b + c", "(else a (+ b c))"),
        ("a else b else c", "(else (else a b) c)"),
        ("a == b and c != d", "(and (== a b) (!= c d))"),
        ("a < b == c", "(== (< a b) c)"),
        ("a is b", "(is a b)"),
        ("a is not b", "(is-not a b)"),
        ("a is not b + 1", "(is-not a (+ b 1))"),
        ("x is empty", "(is-empty x)"),
        ("x is not empty", "(is-not-empty x)"),
        ("x is defined", "(is-defined x)"),
        ("x is not defined", "(is-not-defined x)"),
        ("x.y is empty or z", "(or (is-empty (. x y)) z)"),
        ("not x is empty", "(not (is-empty x))"),
        ("a + b is empty", "(+ a (is-empty b))"),
        ("l contains 2", "(contains l 2)"),
        ("l not contains 2", "(not-contains l 2)"),
        ('s matches "^a"', '(matches s "^a")'),
        ('s not matches "^a"', '(not-matches s "^a")'),
        ("a in b and c in d", "(and (in a b) (in c d))"),
        ('(r.tags else {}) contains "owner"', '(contains (else (. r tags) {}) "owner")'),
        ("- - x", "(- (- x))"),
        ("not not x", "(not (not x))"),
        ("! !x", "(! (! x))"),
        ("-a * b", "(* (- a) b)"),
        ("a or\n  b or # comment\n  c", "(or (or a b) c)"),
        ("f() else 0", "(else (call f) 0)"),
    ],
)
def test_precedence(source: str, expected: str) -> None:
    assert expr(source) == expected


# --- positions --------------------------------------------------------------------------------------------


def test_every_node_has_a_position() -> None:
    source = (
        'import "s"\nparam p default 1\nx = a.b[0](1, -c) else {"k": [2]} \nfor l as v { y[v] += v is empty }'
    )
    file = parse(source, fast_literals=False)
    nodes = list(ast.walk(file))
    assert len(nodes) > 20
    for node in nodes:
        assert 0 <= node.pos <= len(source), node


def test_positions_resolve_to_line_and_column() -> None:
    file = parse('import "x"\n\nmain = rule {\n\tall items as i { i > 1 }\n}\n', "p.sentinel")
    assign = file.body[0]
    assert isinstance(assign, ast.Assign)
    rule = assign.value
    assert isinstance(rule, ast.RuleLit)
    assert str(file.source.position(assign.pos)) == "p.sentinel:3:1"
    assert file.source.position(rule.pos)[2:] == (3, 8)
    quant = rule.body
    assert isinstance(quant, ast.Quantifier)
    assert file.source.position(quant.pos)[2:] == (4, 2)
    binary = quant.body
    assert isinstance(binary, ast.Binary)
    assert file.source.position(binary.op_pos)[2:] == (4, 21)
    assert file.filename == "p.sentinel"


def test_operator_positions() -> None:
    source = "x = a.b[c](d) is empty"
    post = parse(source).body[0].value  # type: ignore[attr-defined]
    assert isinstance(post, ast.Unary) and (post.pos, post.op_pos) == (4, 14)
    call = post.operand
    assert isinstance(call, ast.Call) and call.op_pos == source.index("(")
    index = call.func
    assert isinstance(index, ast.Index) and index.op_pos == source.index("[")
    selector = index.value
    assert isinstance(selector, ast.Selector) and selector.op_pos == source.index(".")


def test_nodes_use_slots() -> None:
    node = ast.Ident(0, "x")
    with pytest.raises(AttributeError):
        node.extra = 1  # type: ignore[attr-defined]


def test_walk_visits_children_in_order() -> None:
    file = parse("x = f(a, b + c)")
    names = [n.name for n in ast.walk(file) if isinstance(n, ast.Ident)]
    assert names == ["x", "f", "a", "b", "c"]
