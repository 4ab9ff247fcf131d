"""Shared shape of the deprecated v1 mocks (``tfplan``, ``tfconfig``, ``tfstate`` without ``/v2``).

v1 mocks hold a private ``_modules`` map keyed ``"root"`` / ``"module.a.module.b"``, a ``module_paths``
list, a ``module(path)`` function that looks a module up by its path of names, and aliases of the root
module's namespaces (``resources = _modules.root.resources`` …). v1 predates module ``count`` and
``for_each``, so module instance keys are dropped: instances of one module call share one entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tfc_sentinel.bundle.literal import module_source

__all__ = ["MODULE_FUNC", "module_key", "v1_source"]

# Looks up a module by a path of names; [] is the root. Errors like the real mocks on a non-list.
MODULE_FUNC = """\
module = func(path) {
\tif types.type_of(path) is not "list" {
\t\terror("expected list, got", types.type_of(path))
\t}

\tif length(path) < 1 {
\t\treturn _modules.root
\t}

\taddr = []
\tfor path as p {
\t\tappend(addr, "module")
\t\tappend(addr, p)
\t}

\treturn _modules[strings.join(addr, ".")]
}
"""


def module_key(path: Sequence[str]) -> str:
    """``_modules`` key for a module path: ``[]`` → ``"root"``, ``["a", "b"]`` → ``"module.a.module.b"``."""
    return ".".join(f"module.{name}" for name in path) if path else "root"


def all_paths(paths: Iterable[Sequence[str]]) -> list[list[str]]:
    """Every path given plus all their ancestors and the root, sorted (parents before children)."""
    seen: set[tuple[str, ...]] = {()}
    for path in paths:
        for depth in range(1, len(path) + 1):
            seen.add(tuple(path[:depth]))
    return [list(path) for path in sorted(seen)]


def v1_source(
    modules: dict[str, Any],
    module_paths: list[list[str]],
    head: Iterable[tuple[str, Any]],
    aliases: Sequence[str],
) -> str:
    """Text of a v1 mock: ``_modules``, ``module_paths``, extra names, ``module()``, root aliases."""
    alias_lines = "\n".join(f"{name} = _modules.root.{name}" for name in aliases)
    return module_source(
        [("_modules", modules), ("module_paths", module_paths), *head],
        imports=("strings", "types"),
        functions=(MODULE_FUNC, alias_lines),
    )
