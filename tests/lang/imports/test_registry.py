"""The registry: every standard name loads, unknown names and ``http`` fail clearly, contexts behave."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from tfc_sentinel.lang.errors import SentinelImportError, SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.imports import STDLIB_NAMES, ImportContext, load_stdlib
from tfc_sentinel.lang.values import Builtin

from .helpers import context


@pytest.mark.parametrize("name", [n for n in STDLIB_NAMES if n != "http"])
def test_every_standard_import_builds_a_map(name: str) -> None:
    obj = load_stdlib(name, context())
    assert isinstance(obj, dict)
    assert obj
    assert all(isinstance(key, str) for key in obj)


@pytest.mark.parametrize("name", [n for n in STDLIB_NAMES if n != "http"])
def test_functions_are_named_builtins(name: str) -> None:
    for value in load_stdlib(name, context()).values():
        if callable(value):
            assert isinstance(value, Builtin)
            assert value.name.count(".") == 1


def test_names_match_the_documented_standard_library() -> None:
    assert set(STDLIB_NAMES) == {
        "base64", "collection", "collection/lists", "collection/maps", "decimal", "http", "json",
        "runtime", "sockaddr", "strings", "time", "types", "units", "version",
    }  # fmt: skip


def test_unknown_import_names_itself_and_the_standard_ones() -> None:
    with pytest.raises(SentinelImportError) as info:
        load_stdlib("tfplan/v3", context())
    message = str(info.value)
    assert '"tfplan/v3"' in message
    assert "strings" in message and "collection/maps" in message


def test_http_is_unavailable_offline() -> None:
    with pytest.raises(SentinelImportError, match="network"):
        load_stdlib("http", context())


def test_import_errors_are_runtime_errors() -> None:
    assert issubclass(SentinelImportError, SentinelRuntimeError)


def test_each_load_builds_a_fresh_object() -> None:
    ctx = context()
    first, second = load_stdlib("strings", ctx), load_stdlib("strings", ctx)
    assert first is not second
    first["split"] = None
    assert isinstance(second["split"], Builtin)


def test_default_context() -> None:
    ctx = ImportContext()
    assert ctx.now.tzinfo is not None
    assert ctx.max_items == 10_000_000
    assert isinstance(ctx.runtime_info["version"], str)
    assert abs((datetime.now(UTC) - ctx.now).total_seconds()) < 60


def test_check_size() -> None:
    ctx = ImportContext(max_items=3)
    ctx.check_size("x.y", 3)
    with pytest.raises(SentinelLimitError, match=r"x\.y"):
        ctx.check_size("x.y", 4)


def test_modules_do_not_shadow_python_standard_library() -> None:
    for name in ("json", "time", "types", "decimal", "base64"):
        load_stdlib(name, context())
        assert sys.modules[name].__name__ == name
        assert "tfc_sentinel" not in (getattr(sys.modules[name], "__file__", None) or "")
