"""Optional scrubbing of sensitive values from plan JSON before mocks are written.

By default mocks carry values exactly as the plan JSON has them, with Terraform's sensitivity masks
(``sensitive_values``, ``before_sensitive``, ``after_sensitive``) beside them: policies need real values
to evaluate, and Terraform Cloud itself only *attempts* to scrub ("we do not guarantee 100% accuracy"),
so a bundle is a secret either way. ``scrub_plan`` is for bundles meant to be shared: every value a
mask marks sensitive, every sensitive output and every sensitive variable becomes ``SCRUBBED`` (the
text Terraform's own CLI prints), everywhere the value appears, ``raw`` included.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from tfc_sentinel.bundle.planjson import config_modules, walk_modules

__all__ = ["SCRUBBED", "scrub_plan", "scrub_value"]

SCRUBBED: Final = "(sensitive value)"


def scrub_value(value: Any, mask: Any) -> Any:
    """``value`` with every part that ``mask`` (a Terraform sensitivity mask) marks ``true`` replaced."""
    if mask is True:
        return SCRUBBED if value is not None else None
    if isinstance(mask, Mapping) and isinstance(value, Mapping):
        return {key: scrub_value(item, mask.get(key)) for key, item in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [scrub_value(item, mask[i] if i < len(mask) else None) for i, item in enumerate(value)]
    return value


def _scrub_state_values(values: Any) -> None:
    """In place: resources by their ``sensitive_values`` mask, outputs marked sensitive."""
    if not isinstance(values, dict):
        return
    for output in (values.get("outputs") or {}).values():
        if output.get("sensitive") and "value" in output:
            output["value"] = scrub_value(output["value"], True)
    for _, module in walk_modules(values.get("root_module")):
        for resource in module.get("resources") or []:
            if "values" in resource:
                resource["values"] = scrub_value(resource["values"], resource.get("sensitive_values"))


def _scrub_change(change: Any) -> None:
    if not isinstance(change, dict):
        return
    for side in ("before", "after"):
        if side in change:
            change[side] = scrub_value(change[side], change.get(f"{side}_sensitive"))


def scrub_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``plan`` with sensitive values replaced by ``SCRUBBED``."""
    scrubbed: dict[str, Any] = copy.deepcopy(dict(plan))
    _scrub_state_values(scrubbed.get("planned_values"))
    _scrub_state_values((scrubbed.get("prior_state") or {}).get("values"))
    for key in ("resource_changes", "resource_drift"):
        for change in scrubbed.get(key) or []:
            _scrub_change(change.get("change"))
    for change in (scrubbed.get("output_changes") or {}).values():
        _scrub_change(change)
    root = (scrubbed.get("configuration") or {}).get("root_module")
    for module_address, module in config_modules(root):
        for name, variable in (module.get("variables") or {}).items():
            if not variable.get("sensitive"):
                continue
            if "default" in variable:
                variable["default"] = scrub_value(variable["default"], True)
            given = (scrubbed.get("variables") or {}).get(name) if not module_address else None
            if isinstance(given, dict) and "value" in given:
                given["value"] = scrub_value(given["value"], True)
    return scrubbed
