"""The ``tfrun`` mock file: run, workspace and organization metadata plus the cost estimate.

Run metadata does not come from the plan JSON, so every key is optional: a missing one gets what
Terraform Cloud writes when it has no value (``undefined`` for a commit outside VCS or a run without a
cost estimate, ``null`` for no targets, no description or no VCS repository, ``false`` for flags, ``""``
for a root working directory). ``created_by`` and ``project`` (newer Terraform Cloud) appear only when
given, so mocks for older policies look like the public ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED, module_source

__all__ = ["tfrun_data", "tfrun_source"]

_DEFAULT_RUN_ID = "run-mock"
_DEFAULT_MESSAGE = "Queued manually using Terraform"


def _text(value: Any) -> Any:
    return value if value is None or value is UNDEFINED else str(value)


def _variables(variables: Any) -> dict[str, Any]:
    """Run variables: ``{name: {category, sensitive}}``; Terraform Cloud never exposes their values here.

    Accepts that shape, or a list of ``{key|name, category, sensitive}`` items as the API returns them.
    """
    if isinstance(variables, Mapping):
        items = [(str(name), spec if isinstance(spec, Mapping) else {}) for name, spec in variables.items()]
    else:
        items = [
            (str(item.get("key", item.get("name", ""))), item)
            for item in variables or []
            if isinstance(item, Mapping)
        ]
    return {
        name: {
            "category": str(spec.get("category", "terraform")),
            "sensitive": bool(spec.get("sensitive", False)),
        }
        for name, spec in items
    }


def _vcs_repo(repo: Any) -> Any:
    if not isinstance(repo, Mapping):
        return None
    return {
        "branch": str(repo.get("branch", "")),
        "display_identifier": str(repo.get("display_identifier", repo.get("identifier", ""))),
        "identifier": str(repo.get("identifier", "")),
        "ingress_submodules": bool(repo.get("ingress_submodules", False)),
    }


def _workspace(workspace: Mapping[str, Any]) -> dict[str, Any]:
    tags = workspace.get("tags")
    return {
        "auto_apply": bool(workspace.get("auto_apply", False)),
        "created_at": _text(workspace.get("created_at", "")),
        "description": _text(workspace.get("description")),
        "execution_mode": _text(workspace.get("execution_mode", "remote")),
        "id": _text(workspace.get("id", "ws-mock")),
        "name": _text(workspace.get("name", "mock-workspace")),
        "tags": [str(tag) for tag in tags] if isinstance(tags, list | tuple) else [],
        "tag_bindings": [
            {"key": str(b.get("key", "")), "value": str(b.get("value", ""))}
            for b in workspace.get("tag_bindings") or []
            if isinstance(b, Mapping)
        ],
        "vcs_repo": _vcs_repo(workspace.get("vcs_repo")),
        "working_directory": _text(workspace.get("working_directory") or ""),
    }


def _cost_estimate(estimate: Any) -> Any:
    """Costs are decimal strings in Terraform Cloud; ``undefined`` when no estimate ran."""
    if not isinstance(estimate, Mapping):
        return UNDEFINED
    return {
        key: str(estimate.get(key, "0.0"))
        for key in ("delta_monthly_cost", "prior_monthly_cost", "proposed_monthly_cost")
    }


def tfrun_data(run: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The top-level names of ``mock-tfrun.sentinel`` in Terraform Cloud's order."""
    run = run or {}
    targets = run.get("target_addrs")
    replace = run.get("replace_addrs")
    organization = run.get("organization") if isinstance(run.get("organization"), Mapping) else {}
    workspace = run.get("workspace") if isinstance(run.get("workspace"), Mapping) else {}
    extras: list[tuple[str, Any]] = []
    if "created_by" in run:
        extras.append(("created_by", _text(run["created_by"])))
    if isinstance(run.get("project"), Mapping):
        project = run["project"]
        extras.append(
            ("project", {"id": _text(project.get("id", "")), "name": _text(project.get("name", ""))})
        )
    return [
        ("id", _text(run.get("id", _DEFAULT_RUN_ID))),
        ("created_at", _text(run.get("created_at", ""))),
        ("message", _text(run.get("message", _DEFAULT_MESSAGE))),
        ("commit_sha", _text(run.get("commit_sha")) if run.get("commit_sha") else UNDEFINED),
        ("speculative", bool(run.get("speculative", False))),
        ("is_destroy", bool(run.get("is_destroy", False))),
        ("target_addrs", [str(addr) for addr in targets] if targets else None),
        ("refresh", bool(run.get("refresh", True))),
        ("refresh_only", bool(run.get("refresh_only", False))),
        ("replace_addrs", [str(addr) for addr in replace] if replace else None),
        ("variables", _variables(run.get("variables"))),
        ("organization", {"name": _text(organization.get("name", "mock-organization"))}),
        ("workspace", _workspace(workspace)),
        ("cost_estimate", _cost_estimate(run.get("cost_estimate"))),
        *extras,
    ]


def tfrun_source(run: Mapping[str, Any] | None) -> str:
    """Text of ``mock-tfrun.sentinel``; it imports ``strings`` and ``types`` like the real file."""
    return module_source(tfrun_data(run), imports=("strings", "types"))
