"""Values in reports: lossless JSON encoding, Sentinel-style text, control characters."""

from __future__ import annotations

import json
import math

import pytest

from tfc_sentinel.lang.values import UNDEFINED, Builtin
from tfc_sentinel.report.values import (
    TAG,
    OpaqueValue,
    format_value,
    from_jsonable,
    plain_json_value,
    printable,
    to_jsonable,
    truncate,
)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**63),
        1.5,
        "héllo\n",
        [],
        {},
        [1, [2, {"a": None}]],
        {"nested": {"list": [True, False]}},
        UNDEFINED,
        [UNDEFINED, {"k": UNDEFINED}],
        {0: "int key", 1: {"x": 1}},
        {True: 1, "s": 2},
        {TAG: "a user key that looks like the tag"},
        math.inf,
        -math.inf,
    ],
)
def test_round_trip(value: object) -> None:
    encoded = to_jsonable(value)
    text = json.dumps(encoded, allow_nan=False)  # always valid strict JSON
    assert from_jsonable(json.loads(text)) == value


def test_nan_and_functions() -> None:
    assert math.isnan(from_jsonable(json.loads(json.dumps(to_jsonable(math.nan)))))
    encoded = to_jsonable(Builtin("strings.split", str.split))
    assert encoded == {TAG: "func", "text": "<builtin strings.split>"}
    assert from_jsonable(encoded) == OpaqueValue("func", "<builtin strings.split>")


def test_plain_json_is_lossy_but_valid() -> None:
    value = {2: UNDEFINED, "f": math.nan, "l": [Builtin("x", len)], True: "t"}
    assert plain_json_value(value) == {"2": None, "f": None, "l": [None], "true": "t"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (None, "null"),
        (UNDEFINED, "undefined"),
        ('a"b', '"a\\"b"'),
        ([1, "x"], '[1, "x"]'),
        ({"k": [False]}, '{"k": [false]}'),
        ({0: 1}, "{0: 1}"),
        (2.5, "2.5"),
        (math.inf, "+Inf"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_truncate() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 2) == "ab… (4 more characters)"
    assert format_value("x" * 100, limit=10).endswith("more characters)")


def test_printable_escapes_controls_only() -> None:
    assert printable("a\x1b[31mred\x00\tok\n") == "a\\x1b[31mred\\x00\tok\n"
    assert printable("\ud800") == "\\ud800"
    assert printable("é ✓") == "é ✓"
