"""Read the parts of ``terraform show -json`` output that every mock file needs.

Terraform nests resources by module (``root_module.child_modules[*].resources``) and writes optional
keys only when set; these helpers flatten the tree and fill Terraform Cloud's defaults in one place so
the v1 and v2 writers agree on addresses, indexes and module paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from tfc_sentinel.bundle.errors import BundleError

__all__ = [
    "NOT_A_PLAN_HINT",
    "config_module_paths",
    "config_modules",
    "instance_key",
    "is_plan",
    "module_path",
    "walk_modules",
]

NOT_A_PLAN_HINT: Final = (
    "expected the output of `terraform show -json PLANFILE` "
    "(an object with format_version and planned_values or resource_changes)"
)

# One step of a module address: ``module.NAME``, an optional ``[0]`` or ``["key"]``, then ``.`` or the end.
_MODULE_STEP = re.compile(r'module\.([^.\[\]"]+)(?:\[(?:-?[0-9]+|"(?:[^"\\]|\\.)*")\])?(?:\.|$)')


def is_plan(data: Any) -> bool:
    """True when ``data`` looks like plan JSON (not state JSON, not a provider-schemas dump)."""
    return (
        isinstance(data, Mapping)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


def walk_modules(module: Mapping[str, Any] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield ``(module_address, module)`` for a ``root_module`` and all descendants, root first.

    The root's address is ``""`` as in Terraform Cloud's mocks; children carry their own ``address``.
    """
    if not module:
        return
    stack: list[tuple[str, Mapping[str, Any]]] = [("", module)]
    while stack:
        address, current = stack.pop()
        yield address, current
        children = current.get("child_modules") or []
        for child in reversed(children):
            stack.append((str(child.get("address", "")), child))


def module_path(module_address: str) -> list[str]:
    """Return the v1 module path for an address: ``module.a[0].module.b`` → ``["a", "b"]``.

    v1 imports predate module expansion, so instance keys are dropped, as Terraform Cloud does.
    """
    names: list[str] = []
    pos = 0
    while pos < len(module_address):
        match = _MODULE_STEP.match(module_address, pos)
        if match is None:
            raise BundleError(f"plan JSON has a malformed module address: {module_address!r}")
        names.append(match.group(1))
        pos = match.end()
    return names


def config_modules(root: Mapping[str, Any] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield ``(module_address, module)`` over the configuration tree, root (``""``) first.

    Child addresses are ``module.NAME`` joined with dots, without instance keys.
    """
    if not root:
        return
    stack: list[tuple[str, Mapping[str, Any]]] = [("", root)]
    while stack:
        address, module = stack.pop()
        yield address, module
        calls = module.get("module_calls") or {}
        for name in sorted(calls, reverse=True):
            child = calls[name].get("module") or {}
            prefix = f"{address}." if address else ""
            stack.append((f"{prefix}module.{name}", child))


def config_module_paths(plan: Mapping[str, Any]) -> list[list[str]]:
    """v1 module paths of every module in the configuration tree (root included)."""
    configuration = plan.get("configuration") or {}
    return [module_path(address) for address, _ in config_modules(configuration.get("root_module"))]


def instance_key(index: Any) -> int | str:
    """v1 instance key: the count index, the for_each key, or ``0`` for a single instance."""
    if index is None:
        return 0
    if isinstance(index, bool):
        return int(index)
    return index if isinstance(index, int | str) else str(index)
