"""Sentinel's standard imports as plain Python over the engine's value representation.

Each import lives in its own module exposing ``build(ctx) -> dict``: the import object, a map of
attribute name -> value whose functions are :class:`~tfc_sentinel.lang.values.Builtin` values.
:func:`load_stdlib` imports that module only when a policy asks for it, so a policy that uses
``strings`` never pays for ``decimal``.

Callbacks. Functions taking a user function (``collection.filter``, ``collection/lists.sort``, ...)
call it with the documented arguments; where the documentation allows an optional extra argument
(the key or index of an element), it is passed only when the callable declares enough parameters.
The parameter count is read from an integer ``arity`` attribute, else from a ``params`` list, else
from the Python signature, so the evaluator's function values should expose one of the first two.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from tfc_sentinel.lang.errors import SentinelImportError, SentinelLimitError
from tfc_sentinel.lang.values import Value

__all__ = ["ENGINE_SENTINEL_VERSION", "STDLIB_NAMES", "ImportContext", "load_stdlib"]

ENGINE_SENTINEL_VERSION: Final = "0.40.0"
"""The Sentinel release whose documented behaviour the imports follow; ``runtime.version`` by default."""

STDLIB_NAMES: Final = (
    "base64",
    "collection",
    "collection/lists",
    "collection/maps",
    "decimal",
    "http",
    "json",
    "runtime",
    "sockaddr",
    "strings",
    "time",
    "types",
    "units",
    "version",
)

# Modules whose natural name would shadow Python's standard library carry a trailing underscore.
_MODULES: Final = {
    "base64": "base64_",
    "collection": "collection",
    "collection/lists": "collection_lists",
    "collection/maps": "collection_maps",
    "decimal": "decimal_",
    "json": "json_",
    "runtime": "runtime",
    "sockaddr": "sockaddr",
    "strings": "strings",
    "time": "time_",
    "types": "types_",
    "units": "units",
    "version": "version",
}


def _default_runtime_info() -> dict[str, Value]:
    return {"version": ENGINE_SENTINEL_VERSION}


@dataclass
class ImportContext:
    """What one policy evaluation shares with its imports.

    ``now`` is fixed for the evaluation so ``time.now`` reads the same everywhere (naive values are
    taken as UTC); ``max_items`` caps the size of any list, map or string an import builds, so a
    policy cannot exhaust memory through an import; ``runtime_info`` becomes the ``runtime`` import.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    max_items: int = 10_000_000
    runtime_info: dict[str, Value] = field(default_factory=_default_runtime_info)

    def check_size(self, name: str, size: int) -> None:
        """Raise :class:`SentinelLimitError` before an import builds a value larger than allowed."""
        if size > self.max_items:
            raise SentinelLimitError(f"{name}: result of {size} items exceeds the limit of {self.max_items}")


def load_stdlib(name: str, ctx: ImportContext) -> dict[str, Value]:
    """The import object for ``import "name"``, built fresh for this evaluation."""
    if name == "http":
        raise SentinelImportError(
            'import "http": network imports are unavailable in this offline engine; '
            "replace the data with a mock or a static import"
        )
    module = _MODULES.get(name)
    if module is None:
        raise SentinelImportError(
            f'import "{name}": not a standard import (the standard imports are {", ".join(STDLIB_NAMES)})'
        )
    built: dict[str, Value] = importlib.import_module(f"{__name__}.{module}").build(ctx)
    return built
