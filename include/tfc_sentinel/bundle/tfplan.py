"""The ``tfplan/v2`` and v1 ``tfplan`` mock files, built from ``terraform show -json`` plan output.

v2 mirrors the plan JSON keyed by address (as Terraform Cloud does) so policies can look resources up
directly; v1 is the older module tree of per-instance ``applied`` values and string ``diff`` entries.
Sensitive values are written as the plan JSON has them, next to Terraform's ``before_sensitive`` /
``after_sensitive`` masks (policies need the values; ``sensitive.scrub_plan`` exists for bundles that
are shared), so treat bundles as secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED, module_source
from tfc_sentinel.bundle.planjson import config_module_paths, instance_key, module_path, walk_modules
from tfc_sentinel.bundle.v1tree import all_paths, module_key, v1_source

__all__ = ["resource_change_key", "tfplan_v1_source", "tfplan_v2_data", "tfplan_v2_source", "v1_diff"]


def _missing(mapping: Mapping[str, Any], key: str) -> Any:
    """The value at ``key``, or ``undefined`` when Terraform left it out (an unknown value)."""
    return mapping.get(key, UNDEFINED)


def resource_change_key(change: Mapping[str, Any]) -> str:
    """``resource_changes`` key: the address, plus ``:DEPOSED_KEY`` for a deposed object.

    A replace with ``create_before_destroy`` has a current and a deposed object at one address; the
    suffix keeps both, and matches how Terraform Cloud keys deposed entries.
    """
    address = str(change.get("address", ""))
    deposed = change.get("deposed") or ""
    return f"{address}:{deposed}" if deposed else address


def resource_values(module_address: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource of ``planned_values`` or ``prior_state`` (the same JSON shape) as the v2 mocks hold it."""
    return {
        "address": resource.get("address", ""),
        "depends_on": list(resource.get("depends_on") or []),
        "deposed_key": resource.get("deposed_key") or "",
        "index": resource.get("index"),
        "mode": resource.get("mode", "managed"),
        "module_address": module_address,
        "name": resource.get("name", ""),
        "provider_name": resource.get("provider_name", ""),
        "tainted": bool(resource.get("tainted", False)),
        "type": resource.get("type", ""),
        "values": resource.get("values") if resource.get("values") is not None else {},
    }


def planned_values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``planned_values``: outputs by name, resources by address over all modules."""
    values = values or {}
    resources: dict[str, Any] = {}
    for module_address, module in walk_modules(values.get("root_module")):
        for resource in module.get("resources") or []:
            resources[str(resource.get("address", ""))] = resource_values(module_address, resource)
    outputs = {
        name: {
            "name": name,
            "sensitive": bool(output.get("sensitive", False)),
            "value": _missing(output, "value"),
        }
        for name, output in (values.get("outputs") or {}).items()
    }
    return {"outputs": outputs, "resources": resources}


def _change(change: Mapping[str, Any] | None) -> dict[str, Any]:
    change = change or {}
    out = {
        "actions": list(change.get("actions") or []),
        "after": _missing(change, "after"),
        "after_unknown": change.get("after_unknown", "after" not in change),
        "before": change.get("before"),
    }
    # Terraform ≥ 0.15 writes sensitivity masks; older plans have none, and neither do their mocks.
    for key in ("before_sensitive", "after_sensitive"):
        if key in change:
            out[key] = change[key]
    if "replace_paths" in change:
        out["replace_paths"] = change["replace_paths"]
    return out


def _resource_change(change: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address": change.get("address", ""),
        "change": _change(change.get("change")),
        "deposed": change.get("deposed") or "",
        "index": change.get("index"),
        "mode": change.get("mode", "managed"),
        "module_address": change.get("module_address") or "",
        "name": change.get("name", ""),
        "provider_name": change.get("provider_name", ""),
        "type": change.get("type", ""),
    }


def resource_changes(changes: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    """``resource_changes`` or ``resource_drift`` keyed by address (deposed objects suffixed)."""
    return {resource_change_key(change): _resource_change(change) for change in changes or []}


def output_changes(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {name: {"change": _change(change), "name": name} for name, change in (changes or {}).items()}


def variables(plan_variables: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        name: {"name": name, "value": _missing(variable or {}, "value")}
        for name, variable in (plan_variables or {}).items()
    }


def tfplan_v2_data(plan: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The top-level names of ``mock-tfplan-v2.sentinel`` in Terraform Cloud's order."""
    return [
        ("terraform_version", plan.get("terraform_version", "")),
        ("planned_values", planned_values(plan.get("planned_values"))),
        ("variables", variables(plan.get("variables"))),
        ("resource_changes", resource_changes(plan.get("resource_changes"))),
        ("resource_drift", resource_changes(plan.get("resource_drift"))),
        ("output_changes", output_changes(plan.get("output_changes"))),
        ("raw", plan),
    ]


def tfplan_v2_source(plan: Mapping[str, Any]) -> str:
    """Text of ``mock-tfplan-v2.sentinel``."""
    return module_source(tfplan_v2_data(plan))


# --- v1 ----------------------------------------------------------------------------------------------


def _flat_text(value: Any) -> str:
    """A scalar as v1 diff text (Terraform 0.11 flatmap strings): ``true``, ``10``, ``""`` for null."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _flatten(prefix: str, value: Any, unknown: Any, out: dict[str, tuple[str, bool]]) -> None:
    """Flatten ``value`` into flatmap keys: ``a.%``/``a.#`` counts, ``a.key``/``a.0`` items.

    ``unknown`` is the matching part of ``after_unknown``; ``True`` there marks the key computed.
    """
    if unknown is True:
        out[prefix] = ("", True)
        return
    if isinstance(value, Mapping):
        unknowns = unknown if isinstance(unknown, Mapping) else {}
        keys = set(value) | {key for key, flag in unknowns.items() if flag is True}
        out[f"{prefix}.%"] = (str(len(keys)), False)
        for key in keys:
            _flatten(f"{prefix}.{key}", value.get(key), unknowns.get(key), out)
    elif isinstance(value, list):
        unknowns = unknown if isinstance(unknown, list) else []
        out[f"{prefix}.#"] = (str(len(value)), False)
        for index, item in enumerate(value):
            _flatten(f"{prefix}.{index}", item, unknowns[index] if index < len(unknowns) else None, out)
    elif value is not None:
        out[prefix] = (_flat_text(value), False)


def _flatmap(values: Any, unknown: Any) -> dict[str, tuple[str, bool]]:
    out: dict[str, tuple[str, bool]] = {}
    values = values if isinstance(values, Mapping) else {}
    unknowns = unknown if isinstance(unknown, Mapping) else {}
    for key in set(values) | {key for key, flag in unknowns.items() if flag is True}:
        _flatten(str(key), values.get(key), unknowns.get(key), out)
    return out


def v1_diff(before: Any, after: Any, after_unknown: Any) -> dict[str, dict[str, Any]]:
    """v1 ``diff``: flatmap key → ``{computed, new, old}`` for every attribute that changes.

    A computed key's ``new`` is ``""``. A wholly unknown collection is keyed by its count
    (``ebs_block_device.#``) when the old value shows it is one; otherwise by its name.
    """
    old = _flatmap(before, None)
    new = _flatmap(after, after_unknown)
    old_values = before if isinstance(before, Mapping) else {}
    for key in [key for key, (_, computed) in new.items() if computed and "." not in key]:
        previous = old_values.get(key)
        if isinstance(previous, list):
            new[f"{key}.#"] = new.pop(key)
        elif isinstance(previous, Mapping):
            new[f"{key}.%"] = new.pop(key)
    diff: dict[str, dict[str, Any]] = {}
    for key in set(old) | set(new):
        old_text = old.get(key, ("", False))[0]
        new_text, computed = new.get(key, ("", False))
        if computed or old_text != new_text:
            diff[key] = {"computed": computed, "new": new_text, "old": old_text}
    return diff


def _v1_instance(change: Mapping[str, Any]) -> dict[str, Any]:
    """One v1 instance: ``applied`` (absent for a pure delete), ``destroy``, ``diff``, ``requires_new``."""
    body = change.get("change") or {}
    actions = list(body.get("actions") or [])
    deleting_only = actions == ["delete"]
    entry: dict[str, Any] = {
        "destroy": "delete" in actions,
        "diff": {}
        if deleting_only
        else v1_diff(body.get("before"), body.get("after"), body.get("after_unknown")),
        "requires_new": "delete" in actions and "create" in actions,
    }
    if not deleting_only:
        after = body.get("after")
        entry["applied"] = after if isinstance(after, Mapping) else {}
    return entry


def tfplan_v1_source(plan: Mapping[str, Any]) -> str:
    """Text of the v1 ``mock-tfplan.sentinel``: a module tree of per-instance diffs.

    Every current (non-deposed) object of ``resource_changes`` appears, no-op ones too, so a policy sees
    all planned resources; deposed objects have no v1 representation and are left out.
    """
    changes = [change for change in plan.get("resource_changes") or [] if not change.get("deposed")]
    paths = all_paths(
        [module_path(str(change.get("module_address") or "")) for change in changes]
        + config_module_paths(plan)
    )
    modules: dict[str, Any] = {
        module_key(path): {"data": {}, "path": path, "resources": {}} for path in paths
    }
    for change in changes:
        module = modules[module_key(module_path(str(change.get("module_address") or "")))]
        namespace = module["data" if change.get("mode") == "data" else "resources"]
        instances = namespace.setdefault(str(change.get("type", "")), {}).setdefault(
            str(change.get("name", "")), {}
        )
        instances[instance_key(change.get("index"))] = _v1_instance(change)
    variables = {name: (spec or {}).get("value") for name, spec in (plan.get("variables") or {}).items()}
    head = [("terraform_version", plan.get("terraform_version", "")), ("variables", variables)]
    return v1_source(modules, paths, head, aliases=("data", "path", "resources"))
