"""``collection``: filter, find, matches, reduce and reject over lists and maps with user callbacks."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED, Builtin

from .helpers import UserFunc, imp

collection = imp("collection")
filter_, find, matches, reduce, reject = (
    collection[k] for k in ("filter", "find", "matches", "reduce", "reject")
)


def is_even(x: object) -> object:
    return isinstance(x, int) and x % 2 == 0


def test_filter_even_numbers() -> None:
    assert filter_([1, 2, 3, 4, 5, 6], UserFunc(is_even)) == [2, 4, 6]


def test_filter_map_gives_list_of_values() -> None:
    assert filter_({"a": 1, "b": 2, "c": 4}, UserFunc(is_even)) == [2, 4]


def test_reject_is_the_complement() -> None:
    assert reject([1, 2, 3, 4, 5, 6], UserFunc(is_even)) == [1, 3, 5]


def test_only_true_selects() -> None:
    verdicts = UserFunc(lambda x: x)
    items = [True, False, UNDEFINED, 1, "true", None]
    assert filter_(items, verdicts) == [True]
    assert reject(items, verdicts) == [False, UNDEFINED, 1, "true", None]


def test_find_by_value_and_by_key() -> None:
    assert find([1, 2, 3], UserFunc(lambda x: x > 1)) == 2
    assert find({"a": 1, "b": 2}, UserFunc(lambda v, k: k == "b")) == 2
    assert find(["x", "y"], UserFunc(lambda v, i: i == 1)) == "y"
    assert find([1, 3], UserFunc(is_even)) is UNDEFINED
    assert find([], UserFunc(is_even)) is UNDEFINED


def test_find_stops_at_first_match() -> None:
    seen: list[object] = []

    def record(x: object) -> bool:
        seen.append(x)
        return x == 2

    assert find([1, 2, 3, 4], UserFunc(record)) == 2
    assert seen == [1, 2]


def test_callbacks_without_declared_arity_get_one_argument() -> None:
    assert filter_([1, 2], lambda *args: len(args) == 1) == [1, 2]
    assert filter_([1, 2], Builtin("test.pred", lambda x: x == 2)) == [2]


def test_callback_that_appends_does_not_change_iteration() -> None:
    items = [1, 2]
    assert filter_(items, UserFunc(lambda x: items.append(x) is None)) == [1, 2]


def test_matches_partial_deep_comparison() -> None:
    items = [
        {"foo": {"bar": "wip", "baz": 1}, "id": 1},
        {"foo": {"bar": "done"}, "id": 2},
        {"foo": {"bar": "wip"}, "id": 3},
        "not a map",
    ]
    assert [i["id"] for i in matches(items, {"foo": {"bar": "wip"}})] == [1, 3]
    assert matches(items, {"foo": {"bar": "nope"}}) == []
    assert matches(items, {}) == items[:3]  # an empty partial map matches every map, only maps


def test_matches_lists_numbers_and_maps() -> None:
    items = {"a": {"tags": ["x", "y"], "n": 1.0}, "b": {"tags": ["y"], "n": 2}}
    assert matches(items, {"tags": ["x"]}) == [items["a"]]
    assert matches(items, {"n": 1}) == [items["a"]]
    assert matches(items, {"tags": []}) == [items["a"], items["b"]]
    assert matches([{"flag": True}, {"flag": 1}], {"flag": True}) == [{"flag": True}]


def test_reduce_with_initial() -> None:
    assert reduce([1, 2, 3], UserFunc(lambda acc, x: acc + x), 10) == 16


def test_reduce_without_initial_starts_from_first_element() -> None:
    assert reduce([1, 2, 3], UserFunc(lambda acc, x: acc + x)) == 6
    assert reduce([5], UserFunc(lambda acc, x: acc + x)) == 5
    assert reduce([], UserFunc(lambda acc, x: acc + x)) is UNDEFINED
    assert reduce([], UserFunc(lambda acc, x: acc + x), 0) == 0


def test_reduce_passes_keys_when_declared() -> None:
    result = reduce({"a": 1, "b": 2}, UserFunc(lambda acc, v, k: [*acc, k + str(v)]), [])
    assert result == ["a1", "b2"]
    assert reduce(["x", "y"], UserFunc(lambda acc, v, i: acc + i), 0) == 1


def test_undefined_collection_gives_undefined() -> None:
    for fn in (filter_, find, reject):
        assert fn(UNDEFINED, UserFunc(is_even)) is UNDEFINED
    assert matches(UNDEFINED, {}) is UNDEFINED
    assert reduce(UNDEFINED, UserFunc(lambda a, b: a)) is UNDEFINED


def test_type_errors() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^collection\.filter: expected a list or map as argument 1, got string$"
    ):
        filter_("abc", UserFunc(is_even))
    with pytest.raises(
        SentinelRuntimeError, match=r"^collection\.find: expected a function as argument 2, got map$"
    ):
        find([1], {})
    with pytest.raises(
        SentinelRuntimeError, match=r"^collection\.matches: expected a map as argument 2, got list$"
    ):
        matches([1], [1])
    with pytest.raises(SentinelRuntimeError, match=r"^collection\.reduce: expected 2 to 3 arguments, got 4$"):
        reduce([1], UserFunc(lambda a, b: a), 0, 0)


def test_callback_errors_propagate() -> None:
    def boom(x: object) -> object:
        raise SentinelRuntimeError("boom")

    with pytest.raises(SentinelRuntimeError, match="boom"):
        filter_([1], UserFunc(boom))
