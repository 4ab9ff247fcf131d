"""Indexing, selectors, slices, and assignment (plain, op-assign, index targets)."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.values import UNDEFINED

from .eval_helpers import error, expr_error, value

U = UNDEFINED


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[10, 20, 30][0]", 10),
        ("[10, 20, 30][-1]", 30),
        ("[10, 20, 30][-3]", 10),
        ("[10, 20, 30][3]", U),
        ("[10, 20, 30][-4]", U),
        ('{"a": 1}["a"]', 1),
        ('{"a": 1}["b"]', U),
        ('{0: "zero", 1: "one"}[1]', "one"),
        ('{"a": {"b": [1, 2]}}["a"]["b"][1]', 2),
        ("null[0]", U),
        ('null["a"]', U),
        ("undefined[0]", U),
        ('"abc"[1]', "b"),
        ('"abc"[-1]', "c"),
        ('"abc"[5]', U),
        ('"é"[0] == "\\xc3"', True),
        ("{}[[1]]", U),
        ("[1][undefined]", U),
    ],
)
def test_index(expr: str, expected: object) -> None:
    result = value(expr)
    assert result is expected if expected is U else result == expected


def test_index_errors() -> None:
    assert "cannot index a value of type int" in expr_error("1[0]").message
    assert "cannot index a value of type bool" in expr_error('true["a"]').message
    assert "list index must be an int, got string" in expr_error('[1]["a"]').message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('{"a": {"b": 1}}.a.b', 1),
        ('{"a": {"b": 1}}.a.c', U),
        ('{"a": {"b": 1}}.x.y.z', U),
        ('{"a": null}.a.b', U),
        ("undefined.a", U),
        ("null.a", U),
        ('{"map": 1, "default": 2, "in": 3}.map + m.default', 3),
    ],
)
def test_selector(expr: str, expected: object) -> None:
    result = value(expr, prelude='m = {"default": 2}')
    assert result is expected if expected is U else result == expected


def test_selector_on_scalar_is_error() -> None:
    err = expr_error('{"a": 1}.a.b')
    assert 'cannot select "b" on a value of type int' in err.message
    assert err.position is not None and err.position.column == 18  # the second dot


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[1, 2, 3, 4, 5][1:4]", [2, 3, 4]),
        ("[1, 2, 3][:2]", [1, 2]),
        ("[1, 2, 3][1:]", [2, 3]),
        ("[1, 2, 3][:]", [1, 2, 3]),
        ("[1, 2, 3][2:1]", U),
        ("[1, 2, 3][0:4]", U),
        ("[1, 2, 3][-1:]", U),
        ('"hello"[1:3]', "el"),
        ('"héllo"[0:3] == "hé"', True),
        ("null[0:1]", U),
        ("undefined[:]", U),
    ],
)
def test_slice(expr: str, expected: object) -> None:
    result = value(expr)
    assert result is expected if expected is U else result == expected


def test_slice_copies() -> None:
    assert value("b", prelude="a = [1, 2]\nb = a[:]\nappend(b, 3)\nb = [a, b]") == [[1, 2], [1, 2, 3]]


def test_slice_errors() -> None:
    assert "cannot slice" in expr_error("1[0:1]").message
    assert "slice indexes must be ints" in expr_error('[1][0:"a"]').message


def test_assignment_and_op_assignment() -> None:
    prelude = """
x = 1
x += 4
x *= 3
x -= 1
x /= 4
x %= 3
s = "a"
s += "b"
l = [1]
l += [2]
"""
    assert value("[x, s, l]", prelude) == [0, "ab", [1, 2]]


def test_op_assignment_needs_existing_variable() -> None:
    err = error("y += 1\nmain = true")
    assert '"y"' in err.message and err.position is not None and err.position.line == 1


def test_index_assignment() -> None:
    prelude = """
m = {"a": 1}
m["b"] = 2
m["a"] += 10
l = [1, 2, 3]
l[0] = "x"
l[-1] = "z"
nested = {"k": [0, {"x": 1}]}
nested["k"][1]["x"] = 5
nested.k[0] = 9
"""
    assert value("[m, l, nested]", prelude) == [{"a": 11, "b": 2}, ["x", 2, "z"], {"k": [9, {"x": 5}]}]


def test_index_assignment_on_int_keys() -> None:
    assert value("m", 'm = {0: "a"}\nm[1] = "b"') == {0: "a", 1: "b"}


def test_index_assignment_evaluates_right_side_first() -> None:
    prelude = """
order = []
f = func(tag, v) { append(order, tag); return v }
m = {}
m[f("index", "k")] = f("value", 1)
"""
    assert value("order", prelude) == ["value", "index"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("q[0] = 1", '"q"'),
        ("x = 1\nx[0] = 1", "cannot assign to an index of a value of type int"),
        ("l = [1]\nl[1] = 2", "list index 1 out of range"),
        ('l = [1]\nl["a"] = 2', "list index must be an int"),
        ("m = {}\nm[[1]] = 2", "invalid map key of type list"),
        ('m = {}\nm["a"]["b"] = 1', "cannot assign to an index of a value of type undefined"),
    ],
)
def test_index_assignment_errors(source: str, message: str) -> None:
    err = error(source + "\nmain = true")
    assert message in err.message
    assert err.position is not None and err.position.line == source.count("\n") + 1


def test_map_literal_keys() -> None:
    assert value('{1: "a", "b": 2, false: 3, 1.5: 4}') == {1: "a", "b": 2, False: 3, 1.5: 4}
    assert value('{"a": 1, "a": 2}') == {"a": 2}
    assert "invalid map key of type null" in expr_error("{null: 1}").message
    assert "invalid map key of type list" in expr_error("{[1]: 1}").message


def test_literal_data_is_fresh_per_evaluation() -> None:
    from tfc_sentinel.lang import compile_policy, evaluate

    program = compile_policy('l = ["a", "b"]\nappend(l, "c")\nmain = length(l) is 3', "p.sentinel")
    assert evaluate(program).passed
    assert evaluate(program).passed


def test_literal_in_function_is_fresh_per_call() -> None:
    prelude = """
f = func() {
  l = [1, 2]
  append(l, 3)
  return l
}
a = f()
b = f()
"""
    assert value("[a, b]", prelude) == [[1, 2, 3], [1, 2, 3]]
