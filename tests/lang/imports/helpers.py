"""Shared helpers for the standard-import tests: build imports, make user-function stand-ins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tfc_sentinel.lang.imports import ImportContext, load_stdlib
from tfc_sentinel.lang.values import Value

FIXED_NOW = datetime(2019, 11, 17, 23, 19, 5, 123456, tzinfo=UTC)


def context(**overrides: Any) -> ImportContext:
    return ImportContext(**{"now": FIXED_NOW, **overrides})


def imp(name: str, **overrides: Any) -> dict[str, Value]:
    """The import object of ``name`` for a fixed evaluation time."""
    return load_stdlib(name, context(**overrides))


class UserFunc:
    """Stands in for an evaluator function value: any callable exposing ``arity``."""

    def __init__(self, fn: Callable[..., Value], arity: int | None = None) -> None:
        self.fn = fn
        self.arity = fn.__code__.co_argcount if arity is None else arity

    def __call__(self, *args: Value) -> Value:
        if len(args) != self.arity:
            raise AssertionError(f"called with {len(args)} arguments, declared {self.arity}")
        return self.fn(*args)


def fields(obj: dict[str, Value]) -> dict[str, Value]:
    """The data fields of an import object, without its methods."""
    return {k: v for k, v in obj.items() if not callable(v)}
