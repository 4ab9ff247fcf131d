"""Sentinel literals: what the writer renders must read back as the same value."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.bundle.sentinel_reader import SentinelSyntaxError, read_module, read_value
from tfc_sentinel.bundle.literal import UNDEFINED, Undefined, module_source, render

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

AWKWARD_STRINGS = [
    "",
    'say "hi"',
    "back\\slash\\\\double",
    "line1\nline2\r\nline3",
    "tab\tand\vvertical\fform\bback\aalarm",
    "nul\x00byte and \x1f unit sep and \x7f del",
    "${var.interpolation} and %{ if x }directive%{ endif }",
    "unicode: é ✓ 日本語 🚀 \u2028 \u00a0",
    "# not a comment // nor this /* nor this */",
    "trailing backslash \\",
    "'single' `backtick`",
]


@pytest.mark.parametrize("text", AWKWARD_STRINGS)
def test_awkward_strings_round_trip(text: str) -> None:
    assert read_value(render(text)) == text
    assert read_value(render({text: text})) == {text: text}


def test_strings_keep_utf8_and_escape_control_characters() -> None:
    rendered = render("é\n\x01")
    assert rendered == '"é\\n\\u0001"'


def test_lone_surrogates_become_replacement_characters() -> None:
    rendered = render({"k\ud800": "v\udfff"})
    rendered.encode("utf-8")  # valid UTF-8 now
    assert read_value(rendered) == {"k\ufffd": "v\ufffd"}


@pytest.mark.parametrize("number", [0, 1, -1, 42, 10**15, -(10**16), INT64_MAX, INT64_MAX - 1, INT64_MIN + 1])
def test_integers_round_trip(number: int) -> None:
    value = read_value(render(number))
    assert value == number and type(value) is int


def test_int64_minimum_stays_an_int64_expression() -> None:
    rendered = render(INT64_MIN)
    assert "9223372036854775808" not in rendered  # that literal overflows Sentinel's lexer
    assert read_value(rendered) == INT64_MIN


def test_integers_beyond_int64_become_floats() -> None:
    value = read_value(render(2**70))
    assert type(value) is float and value == float(2**70)


@pytest.mark.parametrize(
    "number", [0.0, -0.5, 1.0, 0.1, 1.5, 1e16, 1e300, 2.5e-10, -1.7976931348623157e308, 5e-324, 123456.789]
)
def test_floats_round_trip_and_always_look_like_floats(number: float) -> None:
    rendered = render(number)
    assert "." in rendered or "e" in rendered
    value = read_value(rendered)
    assert type(value) is float and value == number


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(number: float) -> None:
    with pytest.raises(ValueError, match="no literal"):
        render({"x": number})


def test_constants() -> None:
    assert render(None) == "null"
    assert render(True) == "true"
    assert render(False) == "false"
    assert render(UNDEFINED) == "undefined"
    assert Undefined() is UNDEFINED
    assert read_value("undefined") is UNDEFINED


def test_integer_and_mixed_keys() -> None:
    value = {0: "a", 1: {"x": 1}, 10: [], 2: None}
    rendered = render(value)
    assert read_value(rendered) == value
    # Integer keys sort numerically, as Terraform Cloud's v1 mocks list instances.
    assert rendered.index("\t2:") < rendered.index("\t10:")
    mixed = {"b": 1, 3: 2, True: 3, "a": 4}
    assert read_value(render(mixed)) == mixed


def test_layout_is_tab_indented_with_trailing_commas() -> None:
    rendered = render({"b": [1, {"c": "d"}], "a": {}, "e": []})
    assert rendered == (
        '{\n\t"a": {},\n\t"b": [\n\t\t1,\n\t\t{\n\t\t\t"c": "d",\n\t\t},\n\t],\n\t"e": [],\n}'
    )


def test_keys_are_sorted_so_output_is_deterministic() -> None:
    assert render({"z": 1, "a": 2}) == render({"a": 2, "z": 1})


def test_tuples_render_as_lists() -> None:
    assert read_value(render(("a", 1))) == ["a", 1]


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        render({1, 2})
    with pytest.raises(TypeError, match="map keys"):
        render({(1, 2): "x"})


def test_module_source_layout() -> None:
    source = module_source(
        [("speculative", False), ("commit_sha", UNDEFINED), ("values", {"a": [1, 2]})],
        imports=("strings",),
        functions=("f = func(x) {\n\treturn x\n}\n",),
    )
    imports, names = read_module(source)
    assert imports == ["strings"]
    assert names["speculative"] is False
    assert names["commit_sha"] is UNDEFINED
    assert names["values"] == {"a": [1, 2]}
    assert names["f"].params == ("x",)
    assert source.endswith("}\n") and "\n\n\n" not in source


def test_module_source_refuses_bad_names() -> None:
    with pytest.raises(ValueError, match="identifier"):
        module_source([("not-a-name", 1)])


def test_reader_is_strict_about_missing_commas() -> None:
    # Sentinel inserts a semicolon at the newline, so this is a syntax error there too.
    with pytest.raises(SentinelSyntaxError):
        read_value('{\n\t"a": 1\n}')


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))  # lone surrogates: tested above
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=INT64_MIN + 1, max_value=INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
values = st.recursive(
    json_scalars | st.just(UNDEFINED),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(text | st.integers(min_value=-(2**40), max_value=2**40), children, max_size=4)
    ),
    max_leaves=25,
)


def _types(value: Any) -> Any:
    if isinstance(value, list):
        return [_types(item) for item in value]
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    return type(value)


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_json_like_value_round_trips(value: Any) -> None:
    result = read_value(render(value))
    assert result == value
    assert _types(result) == _types(value)
