"""``collection/maps``: paths with list indexes and splats for get, has, pick, set, unset and omit."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import imp

maps = imp("collection/maps")
get, has, pick, set_, unset, omit = (maps[k] for k in ("get", "has", "pick", "set", "unset", "omit"))


def test_get_documented() -> None:
    assert get({"foo": "bar"}, "foo") == "bar"
    assert get({"foo": [{"bar": {"baz": 4}}]}, "foo.0.bar.baz") == 4
    assert get({"foo": [{"bar": 4}, {"bar": 8}, {"bar": 45}]}, "foo.*.bar") == [4, 8, 45]
    assert get({}, "foo", "bar") == "bar"
    assert get({}, "foo") is UNDEFINED


def test_get_edge_cases() -> None:
    obj = {"a": [10, 20, 30], "n": None, "u": UNDEFINED, 0: {"x": 1}, "m": {"k": "v"}}
    assert get(obj, "a.-1") == 30
    assert get(obj, "a.3", "d") == "d"
    assert get(obj, "a.x", "d") == "d"
    assert get(obj, "n") is None  # null is a value
    assert get(obj, "n.deeper", "d") == "d"
    assert get(obj, "u", "d") == "d"
    assert get(obj, "0.x") == 1  # int keys, as in v1 mocks
    assert get(obj, "m.*") == ["v"]  # splat over map values
    assert get({"a": [{"b": 1}, {}, {"b": 2}]}, "a.*.b") == [1, 2]
    assert get({"a": {"*": 5}}, "a.*") == 5  # a literal key wins
    assert get({"a": [[{"b": 1}], [{"b": 2}, {"b": 3}]]}, "a.*.*.b") == [[1], [2, 3]]
    assert get({"": {"": 1}}, ".") == 1
    assert get([{"a": 1}], "0.a") == 1


def test_get_undefined_and_null_objects_give_the_default() -> None:
    assert get(UNDEFINED, "a", "d") == "d"
    assert get(None, "a", "d") == "d"
    assert get({"a": 1}, UNDEFINED, "d") == "d"
    assert get(UNDEFINED, "a") is UNDEFINED


def test_has_documented() -> None:
    assert has({"foo": "bar"}, "foo") is True
    assert has({}, "foo") is False


def test_has_edge_cases() -> None:
    obj = {"a": [{"b": None}, {}], "n": None}
    assert has(obj, "n") is True
    assert has(obj, "a.0.b") is True
    assert has(obj, "a.1.b") is False
    assert has(obj, "a.*.b") is True
    assert has({"a": []}, "a.*.b") is False
    assert has(None, "a") is False
    assert has(UNDEFINED, "a") is UNDEFINED


def test_pick_documented() -> None:
    assert pick({"foo": "bar"}, ["foo"]) == {"foo": "bar"}
    assert pick({"foo": "bar", "baz": "qux", "nit": "nat"}, ["foo", "baz"]) == {"foo": "bar", "baz": "qux"}
    obj = {"foo": "bar", "baz": [{"qux": 4}, {"qux": 10}], "nit": {"nat": "pak"}}
    assert pick(obj, ["baz.1.qux", "nit.nat"]) == {"baz": [{"qux": 10}], "nit": {"nat": "pak"}}


def test_pick_edge_cases() -> None:
    obj = {"a": [{"x": 1, "y": 2}, {"x": 3, "y": 4}], "b": {"c": 1, "d": 2}, "e": {}}
    assert pick(obj, ["a.*.x"]) == {"a": [{"x": 1}, {"x": 3}]}
    assert pick(obj, ["a.1.y", "a.0.x"]) == {"a": [{"x": 1}, {"y": 4}]}
    assert pick(obj, ["b", "b.c"]) == {"b": {"c": 1, "d": 2}}
    assert pick(obj, ["missing", "b.z"]) == {}
    assert pick(obj, []) == {}
    assert pick(obj, ["e"]) == {"e": {}}
    picked = pick(obj, ["b"])
    picked["b"]["c"] = 99
    assert obj["b"]["c"] == 1  # a copy


def test_set_documented() -> None:
    assert set_({"foo": "bar"}, "foo", "qux") == {"foo": "qux"}
    assert set_({}, "foo.bar.baz", 10) == {"foo": {"bar": {"baz": 10}}}
    assert set_({"foo": [2, 5]}, "foo.0", 10) == {"foo": [10, 5]}
    assert set_({"foo": [{"bar": True}, {"bar": False}]}, "foo.*.bar", True) == {
        "foo": [{"bar": True}, {"bar": True}]
    }


def test_set_does_not_modify_its_arguments() -> None:
    obj = {"a": {"b": [1]}}
    value = {"v": [1]}
    result = set_(obj, "a.c", value)
    assert obj == {"a": {"b": [1]}}
    result["a"]["b"].append(2)
    result["a"]["c"]["v"].append(2)
    assert obj == {"a": {"b": [1]}} and value == {"v": [1]}


def test_set_invalid_paths_give_undefined() -> None:
    assert set_({"a": "scalar"}, "a.b", 1) is UNDEFINED
    assert set_({"a": [1]}, "a.5", 1) is UNDEFINED
    assert set_({"a": None}, "a.b", 1) is UNDEFINED
    assert set_({"a": 1}, "a", UNDEFINED) is UNDEFINED


def test_set_int_keys_and_splat_over_maps() -> None:
    assert set_({0: {"x": 1}}, "0.x", 2) == {0: {"x": 2}}
    assert set_({"m": {"a": {"on": False}, "b": {"on": False}}}, "m.*.on", True) == {
        "m": {"a": {"on": True}, "b": {"on": True}}
    }


def test_unset_and_omit() -> None:
    obj = {"a": {"b": 1, "c": 2}, "l": [{"x": 1, "y": 2}, {"x": 3}], "k": "v"}
    assert unset(obj, "a.b") == {"a": {"c": 2}, "l": obj["l"], "k": "v"}
    assert unset(obj, "l.0") == {"a": obj["a"], "l": [{"x": 3}], "k": "v"}
    assert unset(obj, "l.*.x") == {"a": obj["a"], "l": [{"y": 2}, {}], "k": "v"}
    assert unset(obj, "missing.path") == obj
    assert omit(obj, ["a", "k", "l.*.y"]) == {"l": [{"x": 1}, {"x": 3}]}
    assert omit(obj, []) == obj
    assert obj["a"] == {"b": 1, "c": 2}  # untouched
    assert unset({"l": [1, 2, 3]}, "l.*") == {"l": []}


def test_type_errors() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^maps\.get: expected a map as argument 1, got string$"):
        get("abc", "a")
    with pytest.raises(SentinelRuntimeError, match=r"^maps\.get: expected a string as argument 2, got int$"):
        get({}, 1)
    with pytest.raises(
        SentinelRuntimeError, match=r"^maps\.pick: expected a list as argument 2, got string$"
    ):
        pick({}, "a")
    with pytest.raises(SentinelRuntimeError, match=r"^maps\.omit: expected a string as argument 2, got int$"):
        omit({}, [1])
    with pytest.raises(SentinelRuntimeError, match=r"^maps\.set: expected a map as argument 1, got null$"):
        set_(None, "a", 1)
    with pytest.raises(SentinelRuntimeError, match=r"^maps\.get: expected 2 to 3 arguments, got 1$"):
        get({})


def test_undefined() -> None:
    assert pick(UNDEFINED, ["a"]) is UNDEFINED
    assert set_(UNDEFINED, "a", 1) is UNDEFINED
    assert unset({}, UNDEFINED) is UNDEFINED
    assert omit(UNDEFINED, []) is UNDEFINED


def test_copies_are_capped() -> None:
    shared = list(range(100))
    with pytest.raises(SentinelLimitError):
        imp("collection/maps", max_items=500)["set"]({"a": [shared] * 10}, "b", 1)
