"""The ``tfstate/v2`` and v1 ``tfstate`` mock files: the state before the plan (plan JSON ``prior_state``).

A first plan of a workspace has no ``prior_state``; Terraform Cloud then writes empty maps and the
plan's Terraform version, which this module does too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED, module_source
from tfc_sentinel.bundle.planjson import instance_key, module_path, walk_modules
from tfc_sentinel.bundle.tfplan import resource_values
from tfc_sentinel.bundle.v1tree import all_paths, module_key, v1_source

__all__ = ["state_resources", "tfstate_v1_source", "tfstate_v2_data", "tfstate_v2_source"]


def state_resources(values: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Resources of a state ``values`` object keyed by address (deposed objects suffixed with the key)."""
    resources: dict[str, dict[str, Any]] = {}
    for module_address, module in walk_modules((values or {}).get("root_module")):
        for resource in module.get("resources") or []:
            entry = resource_values(module_address, resource)
            key = str(entry["address"])
            if entry["deposed_key"]:
                key = f"{key}:{entry['deposed_key']}"
            resources[key] = entry
    return resources


def tfstate_v2_data(plan: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The top-level names of ``mock-tfstate-v2.sentinel``."""
    prior = plan.get("prior_state") or {}
    values = prior.get("values") or {}
    outputs = {
        name: {
            "name": name,
            "sensitive": bool(output.get("sensitive", False)),
            "value": output.get("value", UNDEFINED),
        }
        for name, output in (values.get("outputs") or {}).items()
    }
    return [
        ("terraform_version", prior.get("terraform_version") or plan.get("terraform_version", "")),
        ("outputs", outputs),
        ("resources", state_resources(values)),
    ]


def tfstate_v2_source(plan: Mapping[str, Any]) -> str:
    """Text of ``mock-tfstate-v2.sentinel``."""
    return module_source(tfstate_v2_data(plan))


def _output_type(value: Any) -> str:
    """v1 output ``type``: Terraform 0.11 only knew ``string``, ``list`` and ``map``."""
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return "string"


def tfstate_v1_source(plan: Mapping[str, Any]) -> str:
    """Text of the v1 ``mock-tfstate.sentinel``: prior state as a module tree of ``attr`` maps.

    Plan JSON records outputs of the root module only, so child modules have empty ``outputs``;
    deposed objects have no v1 representation and are left out.
    """
    prior = plan.get("prior_state") or {}
    values = prior.get("values") or {}
    resources = [entry for entry in state_resources(values).values() if not entry["deposed_key"]]
    paths = all_paths([module_path(str(entry["module_address"])) for entry in resources])
    modules: dict[str, Any] = {
        module_key(path): {"data": {}, "outputs": {}, "path": path, "resources": {}} for path in paths
    }
    for entry in resources:
        module = modules[module_key(module_path(str(entry["module_address"])))]
        namespace = module["data" if entry["mode"] == "data" else "resources"]
        instances = namespace.setdefault(str(entry["type"]), {}).setdefault(str(entry["name"]), {})
        attributes = entry["values"]
        instances[instance_key(entry["index"])] = {
            "attr": attributes,
            "depends_on": entry["depends_on"],
            "id": str(attributes.get("id") or "") if isinstance(attributes, Mapping) else "",
            "tainted": entry["tainted"],
        }
    modules["root"]["outputs"] = {
        name: {
            "sensitive": bool(output.get("sensitive", False)),
            "type": _output_type(output.get("value")),
            "value": output.get("value", UNDEFINED),
        }
        for name, output in (values.get("outputs") or {}).items()
    }
    head = [("terraform_version", prior.get("terraform_version") or plan.get("terraform_version", ""))]
    return v1_source(modules, paths, head, aliases=("data", "outputs", "path", "resources"))
