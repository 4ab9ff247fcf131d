"""Which resources a failed policy complains about, guessed from its prints and rule values.

Sentinel has no notion of "violating resource": policies say it in prose (``print("aws_instance.web
has instance_type t2.xlarge ...")``) or in values (a ``filter`` over ``resource_changes`` is a map keyed
by address; the common ``tfplan-functions`` return ``{"messages": {address: message}}``). So the
heuristic looks for Terraform resource addresses:

* in every print line (the line, trimmed, becomes the description);
* in rule values: string keys and string items that are addresses, and maps carrying an ``address``
  field (a resource change), searched a few levels deep.

An address is ``[module.NAME[KEY].]…[data.]TYPE.NAME[KEY]`` where TYPE has a provider prefix and an
underscore (``aws_s3_bucket``, ``null_resource``); that rules out most prose (``main.sentinel``,
``rc.change``) while keeping every real resource type. Words that are plan fields rather than
resource types (``resource_changes.x``) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from tfc_sentinel.lang.values import Value

from .model import RuleResult, Violation

__all__ = ["ADDRESS_RE", "find_addresses", "find_violations"]

_KEY = r'\[(?:\d+|"[^"\n]{0,200}")\]'
ADDRESS_RE: Final = re.compile(
    rf"(?<![\w.\-/])"
    rf"(?P<address>(?:module\.[A-Za-z_][\w-]*(?:{_KEY})?\.)*"
    rf"(?:data\.)?(?P<type>[a-z][a-z0-9]*_[a-z0-9_]+)\.(?P<name>[A-Za-z_][\w-]*)(?:{_KEY})?)"
    rf"(?![\w\-(])"
)
"""A Terraform resource address somewhere in a text."""

# Field names of the plan/config data models that would otherwise look like resource types.
_NOT_TYPES: Final = frozenset(
    {
        "resource_changes",
        "resource_drift",
        "planned_values",
        "prior_state",
        "output_changes",
        "module_calls",
        "module_address",
        "provider_name",
        "provider_config_key",
        "after_unknown",
        "before_sensitive",
        "after_sensitive",
        "root_module",
        "child_modules",
        "cost_estimate",
        "target_addrs",
    }
)
_NOT_NAMES: Final = frozenset({"sentinel", "hcl", "json", "tf", "tfvars"})
_MAX_DEPTH: Final = 6
_MAX_DESCRIPTION: Final = 300


def find_addresses(text: str) -> list[str]:
    """Resource addresses in ``text``, in order, without duplicates."""
    found: dict[str, None] = {}
    for match in ADDRESS_RE.finditer(text):
        if match["type"] in _NOT_TYPES or match["name"] in _NOT_NAMES:
            continue
        found.setdefault(match["address"], None)
    return list(found)


def _is_address(text: str) -> bool:
    match = ADDRESS_RE.fullmatch(text.strip())
    return bool(match) and match["type"] not in _NOT_TYPES and match["name"] not in _NOT_NAMES


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def _from_value(value: Value, depth: int = 0) -> Iterable[tuple[str, str]]:
    """(address, description) pairs found in a rule value."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        if _is_address(value):
            yield value.strip(), ""
        else:
            for address in find_addresses(value):
                yield address, _short(value)
        return
    if isinstance(value, Mapping):
        address = value.get("address")
        if isinstance(address, str) and _is_address(address):
            yield address, ""
            return
        for key, item in value.items():
            if isinstance(key, str) and _is_address(key):
                yield key, _short(item) if isinstance(item, str) else ""
            else:
                yield from _from_value(item, depth + 1)
        return
    if isinstance(value, list | tuple):
        for item in value:
            yield from _from_value(item, depth + 1)


def _without_leading(line: str, address: str) -> str:
    """``"aws_s3_bucket.x: deleted"`` -> ``"deleted"``: the address is shown beside the description.

    Only a separator after the address is dropped; ``"aws_s3_bucket.x has acl ..."`` stays a sentence.
    """
    rest = line[len(address) :].lstrip() if line.startswith(address) else ""
    if rest[:1] in (":", "-", "–", "—") and rest[1:].strip():
        return rest[1:].strip()
    return line


def find_violations(
    prints: Iterable[str], rules: Mapping[str, RuleResult], result: Value = None
) -> list[Violation]:
    """Violations from prints first (they carry the policy's own wording), then from rule values.

    One entry per address; a later finding fills in a missing description. ``result`` (``main``'s
    value) is searched too when ``main`` is not among ``rules``.
    """
    found: dict[str, Violation] = {}

    def add(address: str, description: str, source: str) -> None:
        existing = found.get(address)
        if existing is None:
            found[address] = Violation(address, description, source)
        elif not existing.description and description:
            existing.description = description

    for entry in prints:
        for line in entry.splitlines():
            for address in find_addresses(line):
                add(address, _short(_without_leading(line.strip(), address)), "print")
    values = [(name, rule.value) for name, rule in rules.items()]
    if "main" not in rules and result is not None:
        values.append(("main", result))
    for name, value in values:
        if isinstance(value, bool) or value is None:
            continue
        for address, description in _from_value(value):
            add(address, description, f"rule:{name}")
    return list(found.values())
