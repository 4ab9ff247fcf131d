"""``strings``: the documented examples, Go's edge cases, undefined and type errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import imp

strings = imp("strings")


@pytest.mark.parametrize(
    ("fn", "args", "expected"),
    [
        ("has_prefix", ("billing-id", "billing-"), True),
        ("has_prefix", ("bill-id", "billing-"), False),
        ("has_suffix", ("billing-id", "id"), True),
        ("has_suffix", ("billing-name", "id"), False),
        ("join", (["foo", "bar", "baz"], "."), "foo.bar.baz"),
        ("join", ([["foo", "bar"], "baz"], "."), "foo.bar.baz"),
        ("join", (["a", 1, 1.01, True], ","), "a,1,1.01,true"),
        ("trim_prefix", ("billing-id", "billing-"), "id"),
        ("trim_prefix", ("bill-id", "billing-"), "bill-id"),
        ("trim_suffix", ("billing-id", "-id"), "billing"),
        ("trim_suffix", ("bill-id", "-foo"), "bill-id"),
        ("to_lower", ("FoO",), "foo"),
        ("to_upper", ("FoO",), "FOO"),
        ("split", ("foo,bar,baz", ","), ["foo", "bar", "baz"]),
        ("split", (["foo", "bar", "baz"], ","), ["foo", "bar", "baz"]),
        ("replace", ("foobar", "foo", "bar"), "barbar"),
        ("replace", ("foofoofoobar", "foo", "bar", 1), "barfoofoobar"),
        ("replace", ("foofoofoobar", "foo", "bar", 2), "barbarfoobar"),
        ("replace", ("foobar", "test", "bar"), "foobar"),
        ("replace", ("foobar", "foo", "bar", 0), "foobar"),
        ("trim", ("  hello  ", " "), "hello"),
        ("trim", ("xxhixyx", "xy"), "hi"),
        ("trim_left", ("xxhixyx", "xy"), "hixyx"),
        ("trim_right", ("xxhixyx", "xy"), "xxhi"),
        ("trim_space", ("\t hello world \n",), "hello world"),
    ],
)
def test_documented_behaviour(fn: str, args: tuple[object, ...], expected: object) -> None:
    assert strings[fn](*args) == expected


def test_split_edge_cases_follow_go() -> None:
    assert strings["split"]("", ",") == [""]
    assert strings["split"]("abc", "") == ["a", "b", "c"]
    assert strings["split"]("", "") == []
    assert strings["split"]("a,", ",") == ["a", ""]
    assert strings["split"]("héllo", "") == ["h", "é", "l", "l", "o"]
    assert strings["split"]("no-sep", ",") == ["no-sep"]


def test_split_returns_a_list_argument_as_is() -> None:
    items = ["a", 1]
    assert strings["split"](items, 5) is items


def test_join_edge_cases() -> None:
    assert strings["join"]([], ",") == ""
    assert strings["join"]([[], [[]]], ",") == ""
    assert strings["join"]([[["deep"]], "x"], "-") == "deep-x"
    assert (
        strings["join"]([None, False, -3, 2.5, 1e21, 1e6, 0.0001], " ")
        == "null false -3 2.5 1e+21 1e+06 0.0001"
    )
    assert strings["join"](["é", "ü"], "→") == "é→ü"
    assert strings["join"](["a", UNDEFINED], ",") is UNDEFINED


@pytest.mark.parametrize("bad", [[{"a": 1}], [["x", {}]], [strings["split"]]])
def test_join_rejects_maps_and_functions(bad: list[object]) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^strings\.join: cannot join"):
        strings["join"](bad, ",")


def test_replace_empty_old_inserts_between_characters() -> None:
    assert strings["replace"]("abc", "", "-") == "-a-b-c-"
    assert strings["replace"]("abc", "", "-", 2) == "-a-bc"
    assert strings["replace"]("aaa", "a", "b", -1) == "bbb"


def test_trim_space_uses_go_white_space() -> None:
    assert strings["trim_space"]("\u00a0\u3000x\u2028\x85") == "x"
    assert strings["trim_space"]("\x1cx") == "\x1cx"  # Python's strip would remove U+001C; Go does not
    assert strings["trim_space"]("") == ""


def test_trim_with_empty_cutset_is_identity() -> None:
    assert strings["trim"](" x ", "") == " x "


def test_case_mapping_is_rune_by_rune() -> None:
    assert strings["to_upper"]("straße") == "STRAßE"  # Go keeps ß; Python would give SS
    assert strings["to_lower"]("İSTANBUL") == "istanbul"
    assert strings["to_upper"]("ﬁ") == "ﬁ"
    assert strings["to_lower"]("ΑΒΓ") == "αβγ"


def test_unicode_prefixes() -> None:
    assert strings["has_prefix"]("日本語", "日本")
    assert strings["trim_prefix"]("日本語", "日本") == "語"


@pytest.mark.parametrize(
    ("fn", "arity"),
    [
        ("has_prefix", 2), ("has_suffix", 2), ("join", 2), ("split", 2), ("trim_prefix", 2),
        ("trim_suffix", 2), ("to_lower", 1), ("to_upper", 1), ("replace", 3), ("trim", 2),
        ("trim_left", 2), ("trim_right", 2), ("trim_space", 1),
    ],
)  # fmt: skip
def test_undefined_argument_gives_undefined(fn: str, arity: int) -> None:
    for position in range(arity):
        args: list[object] = ["x"] * arity
        if fn == "join":
            args[0] = ["x"]
        args[position] = UNDEFINED
        assert strings[fn](*args) is UNDEFINED


def test_type_errors_name_function_and_argument() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^strings\.split: expected a string as argument 1, got int$"
    ):
        strings["split"](1, ",")
    with pytest.raises(
        SentinelRuntimeError, match=r"^strings\.has_prefix: expected a string as argument 2, got null$"
    ):
        strings["has_prefix"]("x", None)
    with pytest.raises(
        SentinelRuntimeError, match=r"^strings\.join: expected a list as argument 1, got string$"
    ):
        strings["join"]("abc", ",")
    with pytest.raises(SentinelRuntimeError, match=r"argument 4, got float"):
        strings["replace"]("a", "a", "b", 1.0)
    with pytest.raises(SentinelRuntimeError, match=r"argument 4, got bool"):
        strings["replace"]("a", "a", "b", True)


def test_arity_errors() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^strings\.split: expected 2 arguments, got 1$"):
        strings["split"]("a")
    with pytest.raises(SentinelRuntimeError, match=r"^strings\.replace: expected 3 to 4 arguments, got 5$"):
        strings["replace"]("a", "b", "c", 1, 2)
    with pytest.raises(SentinelRuntimeError, match=r"^strings\.to_upper: expected 1 argument, got 0$"):
        strings["to_upper"]()


def test_size_limit() -> None:
    small = imp("strings", max_items=10)
    with pytest.raises(SentinelLimitError):
        small["replace"]("aaaa", "a", "bbbb")
    with pytest.raises(SentinelLimitError):
        small["join"](["abcdef", "ghijkl"], "")
    with pytest.raises(SentinelLimitError):
        small["split"]("a,b,c,d,e,f,g,h,i,j,k", ",")
    assert small["replace"]("aaaa", "a", "bb", 1) == "bbaaa"


@given(
    st.lists(st.text(alphabet=st.characters(blacklist_characters=","), max_size=5), min_size=1), st.just(",")
)
def test_split_inverts_join(parts: list[str], sep: str) -> None:
    assert strings["split"](strings["join"](parts, sep), sep) == parts
