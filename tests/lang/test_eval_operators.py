"""Operators: arithmetic (int64 wrap, truncating division), comparisons, undefined tables (spec and
sentinel.md sections 10 and 11), membership, matches, emptiness, else."""

from __future__ import annotations

import math

import pytest

from tfc_sentinel.lang.values import UNDEFINED

from .eval_helpers import expr_error, value

U = UNDEFINED


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 3 - 2", 5),
        ("9223372036854775807 + 1", -9223372036854775808),
        ("-9223372036854775808 - 1", 9223372036854775807),
        ("4611686018427387904 * 2", -9223372036854775808),
        ("3037000500 * 3037000500", -9223372036709301616),
        ("5 / 3", 1),
        ("-5 / 3", -1),
        ("5 / -3", -1),
        ("-5 / -3", 1),
        ("5 % 3", 2),
        ("-5 % 3", -2),
        ("5 % -3", 2),
        ("-5 % -3", -2),
        ("-9223372036854775808 / -1", -9223372036854775808),
        ("-9223372036854775808 % -1", 0),
        ("-(-9223372036854775808)", -9223372036854775808),
        ("1 + 0.5", 1.5),
        ("7 / 2.0", 3.5),
        ("7.5 % 2", 1.5),
        ("-7.5 % 2", -1.5),
        ("+3", 3),
        ("-2.5", -2.5),
        ('"ab" + "cd"', "abcd"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("0x1F + 017", 46),
    ],
)
def test_arithmetic(expr: str, expected: object) -> None:
    result = value(expr)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("expr", "check"),
    [
        ("1.0 / 0", lambda v: v == math.inf),
        ("-1.0 / 0", lambda v: v == -math.inf),
        ("1 / -0.0", lambda v: v == -math.inf),
        ("0.0 / 0", math.isnan),
        ("1.5 % 0", math.isnan),
        ("1e308 * 10", lambda v: v == math.inf),
    ],
)
def test_float_ieee(expr: str, check: object) -> None:
    assert check(value(expr))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("1 / 0", "division by zero"),
        ("1 % 0", "modulo by zero"),
        ('1 + "a"', "unsupported operand types for +: int and string"),
        ("[1] + {}", "unsupported operand types for +: list and map"),
        ('"a" * 2', "unsupported operand types for *: string and int"),
        ("true + 1", "unsupported operand types for +: bool and int"),
        ('-"a"', "unary -"),
        ("null - 1", "unsupported operand types for -: null and int"),
    ],
)
def test_arithmetic_errors(expr: str, message: str) -> None:
    err = expr_error(expr)
    assert message in err.message
    assert err.position is not None and err.position.line == 2


# Section 10: undefined.
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("undefined or true", True),
        ("true or undefined", True),
        ("undefined or false", U),
        ("false or undefined", U),
        ("undefined or undefined", U),
        ("undefined and true", U),
        ("undefined and false", U),
        ("false and undefined", False),
        ("true and undefined", U),
        ("undefined and undefined", U),
        ("true and false and undefined", False),
        ("true and undefined and false", U),
        ("false or true or undefined", True),
        ("false or undefined or true", True),
        ("undefined xor true", U),
        ("undefined xor false", U),
        ("true xor false", True),
        ("true xor true", False),
        ("-undefined", U),
        ("!undefined", U),
        ("not undefined", U),
        ("undefined + 5", U),
        ("5 * undefined", U),
        ("undefined == undefined", U),
        ("undefined != 1", U),
        ("undefined < 1", U),
        ("length(undefined)", U),
        ("keys(undefined)", U),
        ("values(undefined)", U),
        ("undefined is empty", U),
        ("undefined is not empty", U),
        ("undefined else 42", 42),
        ("null else 42", None),
        ("1 else 2", 1),
        ('undefined contains "a"', U),
        ('"a" in undefined', U),
        ('undefined matches "a"', U),
        ('"a" matches undefined', U),
        ("undefined is defined", False),
        ("undefined is not defined", True),
        ("null is defined", True),
        ("{}.a is not defined", True),
    ],
)
def test_undefined_table(expr: str, expected: object) -> None:
    assert value(expr) is expected if expected in (True, False, None, U) else value(expr) == expected


def test_short_circuit_skips_right_operand() -> None:
    assert value('false and error("never")') is False
    assert value('true or error("never")') is True
    assert value('undefined and error("never")') is U


def test_logical_operands_must_be_bools() -> None:
    assert "expected a bool" in expr_error("1 and true").message
    assert "expected a bool" in expr_error('true and "x"').message
    assert "expected a bool" in expr_error("false or null").message
    assert "expected a bool" in expr_error("not 1").message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 == 1", True),
        ("1 is 1.0", True),
        ("1 is not 2", True),
        ('"a" == "a"', True),
        ('"a" is "b"', False),
        ('1 == "1"', U),
        ("true == 1", U),
        ("null == null", True),
        ("null is 0", False),
        ("null is not 0", True),
        ('"x" is null', False),
        ("[] is null", False),
        ("{} is not null", True),
        ("[1, [2, 3]] == [1, [2, 3]]", True),
        ("[1, 2] == [1, 3]", False),
        ('[1, "a"] == [1, 2]', False),
        ("[1] == [1, 1]", False),
        ('{"a": [1], "b": null} == {"b": null, "a": [1.0]}', True),
        ('{"a": 1} == {"a": 2}', False),
        ('{"a": 1} == {"b": 1}', False),
        ("[true] == [1]", False),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("1.5 > 1", True),
        ('"abc" < "abd"', True),
        ('"B" < "a"', True),
        ('1 < "a"', U),
        ("null < 1", U),
        ("true != false", True),
    ],
)
def test_comparisons(expr: str, expected: object) -> None:
    assert value(expr) is expected


def test_ordering_unordered_types_is_error() -> None:
    assert "not ordered" in expr_error("[1] < [2]").message
    assert "not ordered" in expr_error("true < false").message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[1, 2, 3] contains 2", True),
        ("[1, 2, 3] contains 5", False),
        ('[1, 2, 3] contains "value"', False),
        ('[1, 2, 3] not contains "value"', True),
        ('{"a": 1, "b": 2} contains "a"', True),
        ('{"a": 1, "b": 2} contains "c"', False),
        ('{"a": 1, "b": 2} contains 2', False),
        ('{"a": 1, "b": 2} not contains 2', True),
        ('"test" contains "est"', True),
        ('"test" contains "best"', False),
        ('"test" in "testing"', True),
        ('"best" in "testing"', False),
        ('"x" not in ["a", "b"]', True),
        ("[1, 2] in [[1, 2], [3]]", True),
        ("1.0 in [1]", True),
        ("true in [1]", False),
        ("null in [null]", True),
        ('{"k": [1]} in [{"k": [1]}]', True),
        ("[1] in {}", False),
        ("0 in {0: 1}", True),
    ],
)
def test_membership(expr: str, expected: object) -> None:
    assert value(expr) is expected


def test_membership_errors() -> None:
    assert "expected a list, map or string" in expr_error("1 contains 1").message
    assert "expected a list, map or string" in expr_error('"a" in null').message
    assert "a string can only contain a string" in expr_error('"abc" contains 1').message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"test" matches "e"', True),
        ('"test" matches "^e"', False),
        ('"TEST" matches "test"', False),
        ('"TEST" matches "(?i)test"', True),
        ('"ABC123" matches "[A-Z]+\\\\d+"', True),
        ('"test" not matches "e"', False),
        ('"héllo" matches "^\\\\pL+$"', True),
        ('"abc" matches "[[:alpha:]]+"', True),
        ('"a.b" matches "\\\\Qa.b\\\\E"', True),
    ],
)
def test_matches(expr: str, expected: object) -> None:
    assert value(expr) is expected


def test_matches_errors() -> None:
    assert "expected strings" in expr_error('1 matches "a"').message
    assert "invalid regular expression" in expr_error('"a" matches "(a"').message
    assert "invalid regular expression" in expr_error('"aa" matches "(a)\\\\1"').message


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"" is empty', True),
        ('"foo" is empty', False),
        ("[] is empty", True),
        ("[1] is empty", False),
        ("{} is empty", True),
        ('{"a": "b"} is empty', False),
        ('"" is not empty', False),
        ("[1] is not empty", True),
        ("{} is not empty", False),
    ],
)
def test_emptiness(expr: str, expected: object) -> None:
    assert value(expr) is expected


def test_emptiness_of_other_types_is_error() -> None:
    assert "is empty" in expr_error("1 is empty").message
    assert "is empty" in expr_error("null is not empty").message


def test_precedence_of_else_and_comparison() -> None:
    # `a else b == c` is `(a else b) == c`
    assert value("undefined else 1 == 1") is True
    assert value("x else 2 + 3", prelude="x = undefined") == 5


def test_not_binds_tighter_than_comparison() -> None:
    assert value("not (1 in [1])") is False
    assert value("!true == false") is True
