"""``json``: unmarshal to Sentinel values, Go-compatible marshal text, valid, and round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED

from .helpers import imp

json = imp("json")
marshal, unmarshal, valid = json["marshal"], json["unmarshal"], json["valid"]


def test_documented_unmarshal_example() -> None:
    config = unmarshal('{ "foo": 42 }')
    assert config == {"foo": 42}
    assert config.get("bar", UNDEFINED) is UNDEFINED


def test_documented_valid_example() -> None:
    assert valid('{ "foo": 42 }') is True
    assert valid("{ foo: 42 }") is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ('"é\\n"', "é\n"),
        ("[]", []),
        ("{}", {}),
        ('[1, [2, {"a": null}]]', [1, [2, {"a": None}]]),
        ("-0", 0),
        ("  7 ", 7),
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_unmarshal_values(text: str, expected: object) -> None:
    assert unmarshal(text) == expected


def test_numbers_keep_int_and_float_apart() -> None:
    assert type(unmarshal("42")) is int
    assert type(unmarshal("1.0")) is float
    assert type(unmarshal("1e3")) is float
    assert unmarshal(str(INT64_MAX)) == INT64_MAX
    assert unmarshal(str(INT64_MIN)) == INT64_MIN
    assert type(unmarshal(str(INT64_MAX + 1))) is float
    assert type(unmarshal(str(INT64_MIN - 1))) is float
    assert unmarshal("1" * 25) == float("1" * 25)
    with pytest.raises(SentinelRuntimeError, match="out of range"):
        unmarshal("9" * 5000)


def test_lone_surrogate_escapes_become_replacement_characters() -> None:
    assert unmarshal('"\\ud800x"') == "\ufffdx"
    assert unmarshal('{"\\udc00": "\\ud83d\\ude00"}') == {"\ufffd": "😀"}


@pytest.mark.parametrize(
    "text", ["", "{", "[1,]", "NaN", "Infinity", "-Infinity", "1e400", "{'a': 1}", "01", "\ufeff1"]
)
def test_invalid_json_is_a_runtime_error(text: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^json\.unmarshal: invalid JSON"):
        unmarshal(text)
    assert valid(text) is False


def test_non_string_input_is_an_error() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^json\.unmarshal: expected a string as argument 1, got map$"
    ):
        unmarshal({})
    with pytest.raises(
        SentinelRuntimeError, match=r"^json\.valid: expected a string as argument 1, got int$"
    ):
        valid(1)


def test_undefined_in_undefined_out() -> None:
    assert unmarshal(UNDEFINED) is UNDEFINED
    assert valid(UNDEFINED) is UNDEFINED
    assert marshal(UNDEFINED) is UNDEFINED


def test_deep_nesting_is_a_limit_error_not_a_crash() -> None:
    with pytest.raises(SentinelLimitError):
        unmarshal("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (-12, "-12"),
        (1.0, "1"),
        (2.5, "2.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "-0"),
        ('a"b\\c\n\t\x01', '"a\\"b\\\\c\\n\\t\\u0001"'),
        ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),
        ("\u2028é", '"\\u2028é"'),
        ([], "[]"),
        ({}, "{}"),
        ({"b": 1, "a": [1, "x"], "B": None}, '{"B":null,"a":[1,"x"],"b":1}'),
        ({1: "one", "0": "zero", 2.5: "f", False: "no"}, '{"0":"zero","1":"one","2.5":"f","false":"no"}'),
    ],
)
def test_marshal_matches_go(value: object, text: str) -> None:
    assert marshal(value) == text


def test_marshal_drops_undefined_inside_collections() -> None:
    assert marshal([1, UNDEFINED, 2]) == "[1,2]"
    assert marshal({"a": UNDEFINED, "b": [UNDEFINED]}) == '{"b":[]}'


def test_marshal_rejects_functions_and_non_finite_floats() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^json\.marshal: cannot encode a func"):
        marshal({"f": json["valid"]})
    with pytest.raises(SentinelRuntimeError, match=r"unsupported value: \+Inf"):
        marshal([math.inf])
    with pytest.raises(SentinelRuntimeError, match="NaN"):
        marshal(math.nan)


def test_marshal_output_is_capped() -> None:
    shared = ["x" * 50] * 10
    with pytest.raises(SentinelLimitError):
        imp("json", max_items=200)["marshal"]([shared, shared])


def test_marshal_replaces_invalid_utf8() -> None:
    assert marshal("a\udcffb") == '"a\ufffdb"'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_round_trip(value: object) -> None:
    assert unmarshal(marshal(value)) == value


@given(json_values)
def test_marshal_is_valid_json(value: object) -> None:
    assert valid(marshal(value)) is True
