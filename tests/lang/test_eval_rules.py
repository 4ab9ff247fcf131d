"""Quantifiers and rules: short-circuiting, undefined handling, laziness, memoization, main."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.values import UNDEFINED

from .eval_helpers import error, run, value

U = UNDEFINED


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("all [1, 2, 3] as x { x > 0 }", True),
        ("all [1, 2, 3] as x { x > 1 }", False),
        ("all [] as x { false }", True),
        ("any [1, 2, 3] as x { x > 2 }", True),
        ("any [1, 2, 3] as x { x > 3 }", False),
        ("any [] as x { true }", False),
        ("all undefined as x { true }", U),
        ("any undefined as x { true }", U),
        ("filter undefined as x { true }", U),
        ("map undefined as x { x }", U),
        ("all [1, 2] as x { undefined }", U),
        ("all [1, 2] as x { x == 1 }", False),
        ("all [1, 2] as x { x == 2 or undefined }", U),
        ("all [2, 1] as x { x == 2 or undefined }", U),
        ("any [1, 2] as x { x == 2 or undefined }", True),
        ("any [1, 2] as x { x == 3 or undefined }", U),
        ('all ["a"] as x { x }', U),
        ("any [1] as x { 1 }", U),
        ("filter [1, 2, 3, 4] as x { x % 2 == 0 }", [2, 4]),
        ("filter [1, 2, 3] as i, x { i > 0 }", [2, 3]),
        ('filter {"a": 1, "b": 2} as k, v { v > 1 }', {"b": 2}),
        ('filter {"a": 1, "b": 2} as k { k == "a" }', {"a": 1}),
        ("filter [] as x { true }", []),
        ("filter {} as k { true }", {}),
        ("filter [1, 2] as x { x == 1 or undefined }", U),
        ('filter [1, 2] as x { "yes" }', U),
        ("map [1, 2, 3] as x { x * 10 }", [10, 20, 30]),
        ('map {"a": 1, "b": 2} as k, v { k + string(v) }', ["a1", "b2"]),
        ('map {"a": 1} as k { k }', ["a"]),
        (
            'map ["a", "b", "c"] as i, id { { "id": id, "i": i } }',
            [{"id": "a", "i": 0}, {"id": "b", "i": 1}, {"id": "c", "i": 2}],
        ),
        ("map [] as x { x }", []),
        ("map [1, 2] as x { undefined }", [U, U]),
    ],
)
def test_quantifiers(expr: str, expected: object) -> None:
    result = value(expr)
    assert result is expected if expected in (True, False, U) else result == expected


def test_quantifier_short_circuit() -> None:
    prelude = """
seen = []
f = func(x) { append(seen, x); return x }
a = all [1, 2, 3] as x { f(x) < 2 }
b = any [1, 2, 3] as x { f(x) == 1 }
c = all [1, 2, 3] as x { f(x) == 5 or undefined }
"""
    assert value("[a, b, c, seen]", prelude) == [False, True, U, [1, 2, 1, 1]]


def test_quantifier_over_other_types_is_error() -> None:
    assert "all: cannot iterate over a value of type int" in error("main = all 1 as x { true }").message
    assert "cannot iterate over a value of type null" in error("main = filter null as x { true }").message


def test_quantifier_names_are_scoped() -> None:
    assert value("[x, nested]", 'x = "outer"\nnested = all [[1, 2], [3]] as x { all x as y { y > 0 } }') == [
        "outer",
        True,
    ]


def test_rules_are_lazy_and_memoized() -> None:
    source = """
calls = []
f = func(tag) { append(calls, tag); return true }
r1 = rule { f("r1") }
unused = rule { f("unused") }
r2 = rule { r1 and f("r2") }
main = rule { r1 and r2 and r1 and length(calls) == 2 }
"""
    result = run(source)
    assert result.error is None and result.passed
    assert list(result.rules) == ["r1", "r2", "main"]
    assert result.rules["main"].position.line == 7 and result.rules["main"].position.column == 1


def test_rule_sees_variables_assigned_after_it() -> None:
    assert run("main = rule { x > 1 }\nx = 5").passed


def test_rule_when() -> None:
    source = """
pred_false = rule when false { error("body not evaluated") }
pred_true = rule when 1 == 1 { 5 }
pred_undefined = rule when undefined { true }
main = rule { pred_false }
"""
    result = run(source + "\nv = [pred_false, pred_true, pred_undefined]\nprint(v)")
    assert result.passed
    assert result.prints == "[true, 5, undefined]\n"
    assert any("when" in note for note in result.trace)


def test_non_boolean_rules() -> None:
    result = run('main = rule { map ["a", "b"] as _, id { {"id": id} } }')
    assert result.result == [{"id": "a"}, {"id": "b"}]
    assert result.passed is False and result.error is None
    assert result.rules["main"].value == [{"id": "a"}, {"id": "b"}]


def test_main_as_plain_value() -> None:
    result = run("main = 1 == 1")
    assert result.passed and result.rules["main"].value is True


def test_main_undefined_fails_with_note() -> None:
    result = run("main = rule { {}.missing }")
    assert result.result is U and not result.passed and result.error is None
    assert any("main is undefined" in note for note in result.trace)


def test_missing_main_is_an_error() -> None:
    assert "no main rule" in error("x = 1").message


def test_main_assigned_in_a_branch_never_taken() -> None:
    assert "never assigned" in error("if false { main = true }").message


def test_rule_self_reference_is_an_error() -> None:
    err = error("a = rule { b }\nb = rule { a }\nmain = rule { a }")
    assert "depends on its own value" in err.message
    assert any("rule" in frame for frame in err.trace)


def test_print_of_rule_shows_value() -> None:
    result = run("one_is_zero = rule { 1 == 0 }\nprint(one_is_zero)\nmain = true")
    assert result.prints == "false\n"


def test_rules_inside_functions() -> None:
    assert value("f(3)", "f = func(n) { r = rule { n > 2 }\n return r }") is True


def test_error_in_rule_reports_trace() -> None:
    err = error('helper = func() { return 1 + "a" }\nr = rule { helper() }\nmain = rule { r }')
    assert err.position is not None and err.position.line == 1
    assert len(err.trace) == 3
    assert "(helper)" in err.trace[0] and "(rule r)" in err.trace[1] and "(rule main)" in err.trace[2]
