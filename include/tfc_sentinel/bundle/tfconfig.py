"""The ``tfconfig/v2`` and v1 ``tfconfig`` mock files, built from the ``configuration`` block of plan JSON.

Configuration is a module *tree* (no instances); Terraform Cloud flattens it into maps whose keys carry
the module address: ``module.a.aws_instance.x`` for resources, ``module.a:name`` for variables,
outputs, providers and module calls, ``RESOURCE:INDEX`` for provisioners. Expressions keep plan JSON's
``{constant_value | references}`` maps; an absent ``count``/``for_each`` is ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED, module_source
from tfc_sentinel.bundle.planjson import config_modules, module_path
from tfc_sentinel.bundle.v1tree import all_paths, module_key, v1_source

__all__ = ["STRIP_INDEX", "tfconfig_v1_source", "tfconfig_v2_data", "tfconfig_v2_source"]

# Policies use strip_index to compare instance addresses (from tfplan) with config addresses.
STRIP_INDEX = """\
strip_index = func(addr) {
\tparts = strings.split(addr, ".")
\tfor parts as i, part {
\t\tparts[i] = strings.split(part, "[")[0]
\t}

\treturn strings.join(parts, ".")
}
"""


def _key(module_address: str, name: str) -> str:
    return f"{module_address}:{name}" if module_address else name


def _address(module_address: str, address: str) -> str:
    return f"{module_address}.{address}" if module_address else address


def _expressions(value: Any) -> Any:
    """Expressions as written by Terraform; ``{}`` when there are none."""
    return value if value is not None else {}


def _resource(module_address: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address": _address(module_address, str(resource.get("address", ""))),
        "config": _expressions(resource.get("expressions")),
        "count": _expressions(resource.get("count_expression")),
        "depends_on": list(resource.get("depends_on") or []),
        "for_each": _expressions(resource.get("for_each_expression")),
        "mode": resource.get("mode", "managed"),
        "module_address": module_address,
        "name": resource.get("name", ""),
        "provider_config_key": resource.get("provider_config_key", ""),
        "provisioners": [
            _provisioner(module_address, resource, index, provisioner)
            for index, provisioner in enumerate(resource.get("provisioners") or [])
        ],
        "type": resource.get("type", ""),
    }


def _provisioner(
    module_address: str, resource: Mapping[str, Any], index: int, provisioner: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "config": _expressions(provisioner.get("expressions")),
        "index": index,
        "resource_address": _address(module_address, str(resource.get("address", ""))),
        "type": provisioner.get("type", ""),
    }


def _provider(key: str, provider: Mapping[str, Any]) -> dict[str, Any]:
    entry = {
        "alias": provider.get("alias", ""),
        "config": _expressions(provider.get("expressions")),
        "module_address": provider.get("module_address", ""),
        "name": provider.get("name", ""),
        "provider_config_key": key,
        "version_constraint": provider.get("version_constraint", ""),
    }
    if "full_name" in provider:
        entry["full_name"] = provider["full_name"]
    return entry


def tfconfig_v2_data(plan: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The top-level names of ``mock-tfconfig-v2.sentinel`` in Terraform Cloud's order."""
    configuration = plan.get("configuration") or {}
    providers = {
        str(key): _provider(str(key), provider)
        for key, provider in (configuration.get("provider_config") or {}).items()
    }
    resources: dict[str, Any] = {}
    provisioners: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    module_calls: dict[str, Any] = {}
    for module_address, module in config_modules(configuration.get("root_module")):
        for resource in module.get("resources") or []:
            entry = _resource(module_address, resource)
            resources[entry["address"]] = entry
            for provisioner in entry["provisioners"]:
                provisioners[f"{entry['address']}:{provisioner['index']}"] = provisioner
        for name, variable in (module.get("variables") or {}).items():
            variables[_key(module_address, name)] = {
                "default": variable.get("default"),
                "description": variable.get("description", ""),
                "module_address": module_address,
                "name": name,
            }
        for name, output in (module.get("outputs") or {}).items():
            outputs[_key(module_address, name)] = {
                "depends_on": list(output.get("depends_on") or []),
                "description": output.get("description", ""),
                "module_address": module_address,
                "name": name,
                "sensitive": bool(output.get("sensitive", False)),
                "value": _expressions(output.get("expression")),
            }
        for name, call in (module.get("module_calls") or {}).items():
            module_calls[_key(module_address, name)] = {
                "config": _expressions(call.get("expressions")),
                "count": _expressions(call.get("count_expression")),
                "depends_on": list(call.get("depends_on") or []),
                "for_each": _expressions(call.get("for_each_expression")),
                "module_address": module_address,
                "name": name,
                "source": call.get("source", ""),
                "version_constraint": call.get("version_constraint", ""),
            }
    return [
        ("providers", providers),
        ("resources", resources),
        ("provisioners", provisioners),
        ("variables", variables),
        ("outputs", outputs),
        ("module_calls", module_calls),
    ]


def tfconfig_v2_source(plan: Mapping[str, Any]) -> str:
    """Text of ``mock-tfconfig-v2.sentinel`` (imports ``strings`` for ``strip_index``)."""
    return module_source(tfconfig_v2_data(plan), imports=("strings",), functions=(STRIP_INDEX,))


# --- v1 ----------------------------------------------------------------------------------------------


def _v1_expressions(expressions: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split plan JSON expressions into v1 ``config`` (constants) and ``references`` (per attribute).

    Nested blocks are lists of expression maps and become lists of maps on both sides; an attribute
    without a constant value is absent from ``config`` and has ``[]`` or its references.
    """
    config: dict[str, Any] = {}
    references: dict[str, Any] = {}
    for name, expression in (expressions or {}).items():
        if isinstance(expression, list):
            pairs = [_v1_expressions(block) for block in expression if isinstance(block, Mapping)]
            config[name] = [pair[0] for pair in pairs]
            references[name] = [pair[1] for pair in pairs]
        elif isinstance(expression, Mapping):
            if "constant_value" in expression:
                config[name] = expression["constant_value"]
            references[name] = list(expression.get("references") or [])
    return config, references


def _v1_provider(provider: Mapping[str, Any]) -> dict[str, Any]:
    config, references = _v1_expressions(provider.get("expressions"))
    return {"config": config, "references": references, "version": provider.get("version_constraint", "")}


def _v1_providers(configuration: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Providers grouped by module address, then name; aliased ones under ``alias`` (default as ``""``)."""
    grouped: dict[str, dict[str, Any]] = {}
    for provider in (configuration.get("provider_config") or {}).values():
        module_address = str(provider.get("module_address", ""))
        name = str(provider.get("name", ""))
        entry = grouped.setdefault(module_address, {}).setdefault(
            name, {"alias": {}, "config": {}, "references": {}, "version": ""}
        )
        alias = str(provider.get("alias", ""))
        body = _v1_provider(provider)
        entry["alias"][alias] = body
        if not alias:
            entry.update(body)
    return grouped


def _v1_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    config, references = _v1_expressions(resource.get("expressions"))
    provisioners = []
    for provisioner in resource.get("provisioners") or []:
        p_config, p_references = _v1_expressions(provisioner.get("expressions"))
        provisioners.append(
            {"config": p_config, "references": p_references, "type": provisioner.get("type", "")}
        )
    return {"config": config, "provisioners": provisioners or None, "references": references}


def tfconfig_v1_source(plan: Mapping[str, Any]) -> str:
    """Text of the v1 ``mock-tfconfig.sentinel``: per module ``data``, ``modules``, ``outputs``,
    ``providers``, ``resources`` and ``variables`` (constants in ``config``, refs in ``references``)."""
    configuration = plan.get("configuration") or {}
    providers = _v1_providers(configuration)
    modules: dict[str, Any] = {}
    for module_address, module in config_modules(configuration.get("root_module")):
        resources: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for resource in module.get("resources") or []:
            namespace = data if resource.get("mode") == "data" else resources
            namespace.setdefault(str(resource.get("type", "")), {})[str(resource.get("name", ""))] = (
                _v1_resource(resource)
            )
        calls: dict[str, Any] = {}
        for name, call in (module.get("module_calls") or {}).items():
            config, references = _v1_expressions(call.get("expressions"))
            calls[name] = {
                "config": config,
                "references": references,
                "source": call.get("source", ""),
                "version": call.get("version_constraint", ""),
            }
        outputs = {}
        for name, output in (module.get("outputs") or {}).items():
            expression = output.get("expression") or {}
            outputs[name] = {
                "depends_on": list(output.get("depends_on") or []),
                "description": output.get("description", ""),
                "references": list(expression.get("references") or []),
                "sensitive": bool(output.get("sensitive", False)),
                "value": expression.get("constant_value", UNDEFINED),
            }
        variables = {
            name: {"default": variable.get("default"), "description": variable.get("description", "")}
            for name, variable in (module.get("variables") or {}).items()
        }
        modules[module_key(module_path(module_address))] = {
            "data": data,
            "modules": calls,
            "outputs": outputs,
            "providers": providers.get(module_address, {}),
            "resources": resources,
            "variables": variables,
        }
    if "root" not in modules:
        modules["root"] = {
            "data": {},
            "modules": {},
            "outputs": {},
            "providers": {},
            "resources": {},
            "variables": {},
        }
    paths = all_paths(module_path(address) for address, _ in config_modules(configuration.get("root_module")))
    aliases = ("data", "modules", "providers", "resources", "variables", "outputs")
    return v1_source(modules, paths, (), aliases=aliases)
