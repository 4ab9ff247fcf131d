"""Predeclared functions: collections, length, range, conversions, print and error."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang import SentinelUserError
from tfc_sentinel.lang.values import UNDEFINED

from .eval_helpers import error, expr_error, run, value

U = UNDEFINED


def test_append_in_place_returns_undefined() -> None:
    assert value("[r, l]", "l = [1]\nr = append(l, 2)\nappend(l, undefined)") == [U, [1, 2, U]]


@pytest.mark.parametrize("target", ["1", "undefined", "{}", "null"])
def test_append_to_non_list_is_error(target: str) -> None:
    assert "append: expected a list" in error(f"append({target}, 3)\nmain = true").message


def test_delete() -> None:
    prelude = 'data = {"a": 2, "b": 3}\nr = delete(data, "a")\ndelete(data, "c")\ndelete(data, [1])'
    assert value("[r, data]", prelude) == [U, {"b": 3}]
    assert "delete: expected a map" in error('delete(undefined, "b")\nmain = true').message
    assert "delete: expected a map" in error('delete(1, "a")\nmain = true').message


def test_keys_and_values_in_insertion_order() -> None:
    assert value("[keys(d), values(d)]", 'd = {"b": 1, "a": 2, "c": 3}') == [["b", "a", "c"], [1, 2, 3]]
    assert "keys: expected a map" in expr_error("keys([1])").message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('length("hello")', 5),
        ('length("héllo")', 6),
        ('length("日本語")', 9),
        ("length([1, 2])", 2),
        ('length({"a": 1})', 1),
        ("length(undefined)", U),
    ],
)
def test_length(expr: str, expected: object) -> None:
    assert value(expr) == expected if expected is not U else value(expr) is U


def test_length_errors() -> None:
    assert "length: expected a string, list or map, got int" in expr_error("length(1)").message
    assert "length: expected a string, list or map, got null" in expr_error("length(null)").message
    assert "expected 1 argument" in expr_error("length()").message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("range(5)", [0, 1, 2, 3, 4]),
        ("range(1, 5)", [1, 2, 3, 4]),
        ("range(1, 5, 2)", [1, 3]),
        ("range(0, -3, -1)", [0, -1, -2]),
        ("range(0)", []),
        ("range(5, 1)", []),
    ],
)
def test_range(expr: str, expected: object) -> None:
    assert value(expr) == expected


def test_range_errors() -> None:
    assert "step must not be zero" in expr_error("range(1, 5, 0)").message
    assert "expected int arguments" in expr_error('range("5")').message
    err = expr_error("range(1000000000000)")
    assert "exceeds the limit" in err.message and type(err).__name__ == "SentinelLimitError"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("int(5)", 5),
        ('int("42")', 42),
        ('int("-42")', -42),
        ('int("0x1F")', 31),
        ('int("017")', 15),
        ('int("08")', U),
        ('int("1.5")', U),
        ('int("abc")', U),
        ('int(" 1")', U),
        ('int("99999999999999999999")', U),
        ("int(3.9)", 3),
        ("int(-3.1)", -4),
        ("int(true)", 1),
        ("int(false)", 0),
        ("int(null)", U),
        ("int([1])", U),
        ("float(1)", 1.0),
        ('float("1.5")', 1.5),
        ('float("1e3")', 1000.0),
        ('float(".5")', 0.5),
        ('float("1_0")', U),
        ('float("x")', U),
        ("float(true)", 1.0),
        ("float(2.5)", 2.5),
        ("float(undefined)", U),
        ('string("s")', "s"),
        ("string(42)", "42"),
        ("string(-7)", "-7"),
        ("string(1.5)", "1.500000"),
        ("string(true)", "true"),
        ("string(null)", U),
        ("string([1])", U),
        ('bool("true")', True),
        ('bool("T")', True),
        ('bool("1")', True),
        ('bool("False")', False),
        ('bool("0")', False),
        ('bool("yes")', U),
        ("bool(0)", False),
        ("bool(2)", True),
        ("bool(0.0)", False),
        ("bool(-0.5)", True),
        ("bool(true)", True),
        ("bool(null)", U),
    ],
)
def test_conversions(expr: str, expected: object) -> None:
    result = value(expr)
    if expected is U:
        assert result is U
    else:
        assert result == expected and type(result) is type(expected)


def test_print_captures_and_returns_true() -> None:
    result = run(
        'r = print("hello", "world", 42, 1.5, true, null, undefined, [1, "a"], {"k": "v"})\n'
        'print("The", "number", "is", 42)\nmain = r'
    )
    assert result.passed
    assert result.prints == 'hello world 42 1.5 true null undefined [1, "a"] {"k": "v"}\nThe number is 42\n'


def test_print_of_functions_and_floats() -> None:
    result = run("f = func() { return 1 }\nprint(f, 1e21, 100000000.0, 0.00001)\nmain = true")
    assert result.prints == "<func f> 1e+21 100000000 1e-05\n"


def test_error_halts_with_user_error() -> None:
    result = run('print("before")\nerror("bad", 42)\nprint("after")\nmain = true')
    assert isinstance(result.error, SentinelUserError)
    assert result.error.message == "bad 42"
    assert result.error.position is not None and result.error.position.line == 2
    assert result.result is False and not result.passed
    assert result.prints == "before\n"


def test_builtins_as_values() -> None:
    assert value('[l([1, 2]), p("x")]', "l = length\np = print") == [2, True]
