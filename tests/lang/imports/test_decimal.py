"""``decimal``: documented examples, 100-digit precision, NaN and infinities, argument conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED

from .helpers import fields, imp

decimal = imp("decimal")
new = decimal["new"]


def test_constructors() -> None:
    assert new("1.1")["string"] == "1.1"
    assert new(2.2)["string"] == "2.2"
    assert new(3)["string"] == "3"
    assert new("1.1234E+400")["string"] == "1.1234E+400"
    assert new(new("7.5"))["string"] == "7.5"


def test_fields_of_documented_example() -> None:
    assert fields(new(1.5)) == {
        "string": "1.5",
        "sign": 1,
        "coefficient": 15,
        "exponent": -1,
        "float": 1.5,
        "int": 1,
    }


@pytest.mark.parametrize(
    ("method", "arg", "expected"),
    [
        ("is", 1, False),
        ("is", "1.50", True),
        ("is_not", 1, True),
        ("less_than", 1, False),
        ("lt", 2, True),
        ("less_than_or_equals", 1, False),
        ("lte", 1.5, True),
        ("greater_than", 1, True),
        ("gt", 1.5, False),
        ("greater_than_or_equals", 1, True),
        ("gte", "1.5", True),
    ],
)
def test_comparisons(method: str, arg: object, expected: bool) -> None:
    assert new(1.5)[method](arg) is expected


@pytest.mark.parametrize(
    ("start", "method", "arg", "expected"),
    [
        (1.5, "add", 1, "2.5"),
        (1.5, "subtract", 1, "0.5"),
        (1.5, "sub", 1, "0.5"),
        (1.5, "multiply", 2, "3.0"),
        (1.5, "mul", 2, "3.0"),
        (3.0, "divide", 1.5, "2"),
        (3.0, "div", 1.5, "2"),
        (1.5, "modulo", 1, "0.5"),
        (1.5, "mod", 1, "0.5"),
        (1.5, "remainder", 1, "0.5"),
        (-1.5, "rem", 1, "-0.5"),
        (1.5, "power", 2, "2.25"),
        (1.5, "pow", 2, "2.25"),
    ],
)
def test_arithmetic(start: float, method: str, arg: object, expected: str) -> None:
    assert new(start)[method](arg)["string"] == expected


@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        ("exp", "4.4816"),
        ("loge", "0.4054"),
        ("ln", "0.4054"),
        ("log10", "0.1760"),
        ("log", "0.1760"),
        ("square_root", "1.2247"),
        ("sqrt", "1.2247"),
    ],
)
def test_transcendental(method: str, prefix: str) -> None:
    result = new(1.5)[method]()
    assert result["string"].startswith(prefix)
    assert len(result["string"].replace(".", "").lstrip("0")) == 100  # significant digits


@pytest.mark.parametrize(
    ("start", "method", "expected"),
    [
        (1.5, "ceiling", "2"),
        (1.5, "ceil", "2"),
        (1.5, "floor", "1"),
        (-1.5, "floor", "-2"),
        (1.5, "absolute", "1.5"),
        (-1.5, "abs", "1.5"),
        (1.5, "negate", "-1.5"),
        (-1.5, "neg", "1.5"),
    ],
)
def test_unary(start: float, method: str, expected: str) -> None:
    assert new(start)[method]()["string"] == expected


def test_exactness_where_floats_fail() -> None:
    assert new("1.1")["add"]("2.2")["is"]("3.3") is True
    assert new(0.1)["add"](0.2)["is"](0.3) is True
    third = new(1)["divide"](3)
    assert third["string"] == "0." + "3" * 100
    assert third["multiply"](3)["string"] == "0." + "9" * 100


def test_infinity_and_nan() -> None:
    assert decimal["infinity"](1)["string"] == "Infinity"
    assert decimal["infinity"](-1)["string"] == "-Infinity"
    assert decimal["inf"](1)["greater_than"]("1E+400") is True
    assert decimal["inf"](-1)["lt"](-(10**18)) is True
    assert new(-1)["sqrt"]()["string"] == "NaN"
    assert new(0)["mul"](decimal["inf"](1))["string"] == "NaN"
    nan = decimal["nan"]
    assert nan["is"](nan) is False
    assert nan["is_not"](nan) is True
    assert nan["lt"](1) is False and nan["gte"](1) is False
    assert new(1)["divide"](0)["string"] == "Infinity"


def test_special_value_fields() -> None:
    nan = fields(decimal["nan"])
    assert nan["string"] == "NaN" and nan["sign"] == 0
    assert nan["int"] is UNDEFINED and nan["coefficient"] is UNDEFINED
    inf = fields(decimal["inf"](-1))
    assert inf["sign"] == -1 and inf["float"] == float("-inf") and inf["int"] is UNDEFINED


@pytest.mark.parametrize(
    ("fn", "arg", "expected"),
    [
        ("is_infinite", 100, False),
        ("is_infinite", "Infinity", True),
        ("is_inf", "-inf", True),
        ("isinf", float("inf"), True),
        ("isinfinite", "1e10", False),
        ("is_nan", "NaN", True),
        ("isnan", 1.5, False),
    ],
)
def test_predicates(fn: str, arg: object, expected: bool) -> None:
    assert decimal[fn](arg) is expected


def test_int_truncates_toward_zero_and_stays_int64() -> None:
    assert new("-1.9")["int"] == -1
    assert new("1.9")["int"] == 1
    assert new(INT64_MAX)["int"] == INT64_MAX
    assert new(INT64_MIN)["int"] == INT64_MIN
    assert new(INT64_MAX)["add"](1)["int"] is UNDEFINED
    assert new("1e2000000000")["int"] is UNDEFINED
    assert new("1" * 30)["coefficient"] is UNDEFINED


def test_precision_is_100_digits() -> None:
    long = "1." + "1" * 150
    assert len(new(long)["string"]) == 101
    assert new("1" * 120)["string"].endswith("E+119")


def test_sign_and_zero() -> None:
    assert new(0)["sign"] == 0
    assert new("-0")["sign"] == 0
    assert new(-3)["sign"] == -1


def test_exponent_overflow_gives_infinity() -> None:
    assert new("1e3000000000")["string"] == "Infinity"
    assert new(10)["pow"]("1e100")["string"] == "Infinity"


def test_copied_decimal_maps_still_work_as_arguments() -> None:
    plain = dict(new("2.5"))
    assert new(1)["add"](plain)["string"] == "3.5"


@pytest.mark.parametrize("bad", ["abc", "", " 1", "1_000", "0x10", "1e", "sNaN", "--1"])
def test_unparsable_strings_are_errors(bad: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^decimal\.new: cannot convert"):
        new(bad)


@pytest.mark.parametrize("bad", [True, None, [1], {"a": 1}])
def test_wrong_types_are_errors(bad: object) -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^decimal\.new: expected a decimal, int, float or numeric string"
    ):
        new(bad)
    with pytest.raises(SentinelRuntimeError, match=r"^decimal\.add: expected"):
        new(1)["add"](bad)
    with pytest.raises(SentinelRuntimeError, match=r"^decimal\.infinity: expected an int or float"):
        decimal["infinity"](bad)


def test_undefined_gives_undefined() -> None:
    assert new(UNDEFINED) is UNDEFINED
    assert decimal["is_nan"](UNDEFINED) is UNDEFINED
    assert new(1)["add"](UNDEFINED) is UNDEFINED
    assert new(1)["lt"](UNDEFINED) is UNDEFINED


def test_method_arity() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^decimal\.add: expected 1 argument, got 0$"):
        new(1)["add"]()
    with pytest.raises(SentinelRuntimeError, match=r"^decimal\.sqrt: expected 0 arguments, got 1$"):
        new(1)["sqrt"](2)


@given(
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
)
def test_integer_arithmetic_is_exact(a: int, b: int) -> None:
    assert new(a)["add"](b)["string"] == str(a + b)
    assert int(Decimal(new(a)["mul"](b)["string"])) == a * b  # 0 * -1 is "-0"
    assert new(a)["lt"](b) is (a < b)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trips_through_string(value: float) -> None:
    assert new(new(value)["string"])["float"] == value
