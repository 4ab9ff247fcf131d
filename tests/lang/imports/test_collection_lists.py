"""``collection/lists``: concat, sort, sum and the set helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import UserFunc, imp

lists = imp("collection/lists")


def compare(a: object, b: object) -> int:
    """What the builtin ``compare`` returns for ints, floats and strings."""
    return (a > b) - (a < b)  # type: ignore[operator]


def test_concat_documented() -> None:
    assert lists["concat"]([1], [2, 3]) == [1, 2, 3]
    assert lists["concat"]([1, 2], [10, 20], [100, 200]) == [1, 2, 10, 20, 100, 200]


def test_concat_needs_two_lists_and_copies() -> None:
    first = [1]
    result = lists["concat"](first, [])
    assert result == [1] and result is not first
    with pytest.raises(SentinelRuntimeError, match=r"^lists\.concat: expected at least 2 arguments, got 1$"):
        lists["concat"]([1])
    with pytest.raises(
        SentinelRuntimeError, match=r"^lists\.concat: expected a list as argument 3, got map$"
    ):
        lists["concat"]([1], [2], {})
    assert lists["concat"]([1], UNDEFINED) is UNDEFINED


def test_sort_documented() -> None:
    assert lists["sort"](["zebra", "bat", "horse"], UserFunc(compare)) == ["bat", "horse", "zebra"]
    items = [{"foo": 8}, {"foo": 4}, {"foo": 100}]
    result = lists["sort"](items, UserFunc(lambda x, y: compare(x["foo"], y["foo"])))
    assert result == [{"foo": 4}, {"foo": 8}, {"foo": 100}]
    assert items[0] == {"foo": 8}  # a new list; the input is untouched


def test_sort_is_stable_and_accepts_any_int() -> None:
    items = [("b", 1), ("a", 2), ("b", 0), ("a", 1)]
    result = lists["sort"](items, UserFunc(lambda x, y: 10 * compare(x[0], y[0])))
    assert result == [("a", 2), ("a", 1), ("b", 1), ("b", 0)]


def test_sort_function_must_return_an_int() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^lists\.sort: the sort function must return an int, got undefined$"
    ):
        lists["sort"]([1, 2], UserFunc(lambda x, y: UNDEFINED))
    with pytest.raises(SentinelRuntimeError, match=r"got bool$"):
        lists["sort"]([1, 2], UserFunc(lambda x, y: x < y))
    assert lists["sort"]([], UserFunc(lambda x, y: UNDEFINED)) == []


def test_sum_documented_and_always_float() -> None:
    result = lists["sum"]([2, 5, 10, 500])
    assert result == 517 and type(result) is float
    assert lists["sum"]([]) == 0.0
    assert lists["sum"]([0.5, -1]) == -0.5


def test_sum_rejects_non_numbers() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^lists\.sum: can only sum ints and floats, found a string$"
    ):
        lists["sum"]([1, "2"])
    with pytest.raises(SentinelRuntimeError, match="found a bool"):
        lists["sum"]([True])
    assert lists["sum"]([1, UNDEFINED]) is UNDEFINED


def test_difference() -> None:
    assert lists["difference"]([1, 2, 3, 2, 4], [2], [4, 5]) == [1, 3]
    assert lists["difference"]([1, 1.0, "1"], [1]) == ["1"]
    assert lists["difference"]([[1], {"a": 1}], [[1]]) == [{"a": 1}]
    assert lists["difference"]([1, 2]) == [1, 2]


def test_union() -> None:
    assert lists["union"]([2, 1], [1, 3], [3, 4, 2]) == [2, 1, 3, 4]
    assert lists["union"]([True, 1, 1.0]) == [True, 1]  # bools are not numbers
    assert lists["union"]([{"a": [1]}], [{"a": [1.0]}]) == [{"a": [1]}]


def test_intersection() -> None:
    assert lists["intersection"]([1, 2, 3, 2], [2, 3, 4], [3, 2]) == [2, 3]
    assert lists["intersection"]([1, 2], []) == []
    assert lists["intersection"]([1, 1]) == [1]


def test_set_helpers_need_lists() -> None:
    for fn in ("difference", "union", "intersection"):
        with pytest.raises(
            SentinelRuntimeError, match=rf"^lists\.{fn}: expected a list as argument 2, got string$"
        ):
            lists[fn]([1], "x")
        with pytest.raises(
            SentinelRuntimeError, match=rf"^lists\.{fn}: expected at least 1 argument, got 0$"
        ):
            lists[fn]()


def test_size_limits() -> None:
    small = imp("collection/lists", max_items=3)
    with pytest.raises(SentinelLimitError):
        small["concat"]([1, 2], [3, 4])
    with pytest.raises(SentinelLimitError):
        small["union"]([1, 2], [3, 4])


@given(st.lists(st.integers(-5, 5)), st.lists(st.integers(-5, 5)))
def test_set_identities(a: list[int], b: list[int]) -> None:
    union = lists["union"](a, b)
    assert set(union) == set(a) | set(b) and len(union) == len(set(union))
    assert set(lists["intersection"](a, b)) == set(a) & set(b)
    assert set(lists["difference"](a, b)) == set(a) - set(b)


@given(st.lists(st.integers()))
def test_sort_agrees_with_python(items: list[int]) -> None:
    assert lists["sort"](items, UserFunc(compare)) == sorted(items)
