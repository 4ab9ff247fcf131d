"""``types``, ``units`` and ``runtime``: small imports with fixed content."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import imp


class FakeRule:
    is_rule = True

    def __call__(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (True, "bool"),
        ("Hello!", "string"),
        (42, "int"),
        (42.123, "float"),
        (None, "null"),
        (UNDEFINED, "undefined"),
        ([1], "list"),
        ({}, "map"),
        (lambda: 1, "func"),
        (FakeRule(), "rule"),
    ],
)
def test_type_of(value: object, name: str) -> None:
    assert imp("types")["type_of"](value) == name


def test_type_of_import_objects_is_map() -> None:
    assert imp("types")["type_of"](imp("decimal")["new"](1)) == "map"
    assert imp("types")["type_of"](imp("types")["type_of"]) == "func"


def test_type_of_arity() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^types\.type_of: expected 1 argument, got 2$"):
        imp("types")["type_of"](1, 2)


def test_units_are_powers_of_1024() -> None:
    units = imp("units")
    assert units == {
        "kilobyte": 1024,
        "megabyte": 1048576,
        "gigabyte": 1073741824,
        "terabyte": 1099511627776,
        "petabyte": 1125899906842624,
    }
    assert all(type(v) is int for v in units.values())


def test_runtime_version_defaults_to_the_followed_sentinel_release() -> None:
    version = imp("runtime")["version"]
    assert isinstance(version, str)
    assert imp("version")["new"](version)["major"] == 0


def test_runtime_reflects_context_and_is_a_copy() -> None:
    info = {"version": "0.99.0", "engine": {"name": "tfc-sentinel"}}
    runtime = imp("runtime", runtime_info=info)
    assert runtime == info
    runtime["engine"]["name"] = "changed"
    assert info["engine"]["name"] == "tfc-sentinel"
