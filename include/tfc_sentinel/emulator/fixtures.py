"""Seed documents: the bundled fixtures (``fixtures/*.json``) and ``POST /_emulator/seed`` share one shape.

A document holds ``organizations``, ``users``, ``workspaces`` and ``runs`` lists (each optional). Runs
embed their plan; a plan's ``json`` is the ``terraform show -json`` output, inline, or in fixture files
a path relative to the fixture directory (``load_fixture_dir`` inlines it). IDs may be given (fixtures use fixed ones so tests and
docs can name them) or left out (generated). See ``fixtures/README.md`` for the fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfc_sentinel.emulator.clock import parse_time
from tfc_sentinel.emulator.errors import BadSeed
from tfc_sentinel.emulator.models import (
    ID_ALPHABET,
    ID_LENGTH,
    Organization,
    Plan,
    Run,
    User,
    Workspace,
    new_id,
)

if TYPE_CHECKING:
    from tfc_sentinel.emulator.store import Store

FIXTURES_DIR = Path(__file__).with_name("fixtures")

# Plans keep moving a few seconds behind their run; fixtures may override each timestamp.
_PLAN_QUEUED_AFTER, _PLAN_STARTED_AFTER, _PLAN_ENDED_AFTER = 2.0, 5.0, 25.0


@dataclass
class ParsedDocument:
    organizations: list[Organization] = field(default_factory=list)
    users: list[tuple[User, list[str]]] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)
    runs: list[tuple[Run, Plan]] = field(default_factory=list)

    def summary(self) -> dict[str, list[str]]:
        return {
            "organizations": [o.name for o in self.organizations],
            "users": [u.id for u, _ in self.users],
            "workspaces": [w.id for w in self.workspaces],
            "runs": [r.id for r, _ in self.runs],
            "plans": [p.id for _, p in self.runs],
        }


def load_fixture_dir(directory: Path | None = None) -> list[dict[str, Any]]:
    """Read every top-level ``*.json`` seed document of a fixture directory, in name order.

    Plan ``json`` given as a path is read now and put inline, so later resets need no file access.
    """
    directory = Path(directory or FIXTURES_DIR)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise BadSeed(f"no *.json seed documents in fixture directory {directory}")
    documents = []
    for path in files:
        document = _read_json(path, str(path))
        for i, run in enumerate(document.get("runs", []) if isinstance(document, dict) else []):
            plan = run.get("plan") if isinstance(run, dict) else None
            if isinstance(plan, dict) and isinstance(plan.get("json"), str):
                plan["json"] = _read_plan_file(directory, plan["json"], f"{path.name}: runs[{i}].plan.json")
        documents.append(document)
    return documents


def _read_plan_file(directory: Path, relative: str, where: str) -> dict[str, Any]:
    path = (directory / relative).resolve()
    if not path.is_relative_to(directory.resolve()):
        raise BadSeed(f"{where}: path {relative!r} leaves the fixture directory")
    data = _read_json(path, where)
    if not isinstance(data, dict) or "format_version" not in data:
        raise BadSeed(f"{where}: {path} is not `terraform show -json` output (no format_version)")
    return data


def _read_json(path: Path, where: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadSeed(f"{where}: cannot read {path}: {exc}") from exc


def parse_document(document: Mapping[str, Any], store: Store) -> ParsedDocument:
    """Check a seed document against itself and the store's current records; return the new records."""
    if not isinstance(document, Mapping):
        raise BadSeed("a seed document must be a JSON object")
    unknown = set(document) - {"organizations", "users", "workspaces", "runs"}
    if unknown:
        raise BadSeed(f"unknown seed keys {sorted(unknown)}; use organizations, users, workspaces, runs")
    parsed = ParsedDocument()
    org_names = set(store.organizations)
    for i, raw in enumerate(_items(document, "organizations")):
        where = f"organizations[{i}]"
        name = _str(raw, "name", where)
        if name in org_names:
            raise BadSeed(f"{where}: organization {name!r} already exists")
        org_names.add(name)
        created = _time(raw, "created_at", where, "2021-01-01T00:00:00Z")
        parsed.organizations.append(Organization(name, raw.get("email", f"admin@{name}.example"), created))

    ids = set(store.users) | set(store.workspaces) | set(store.runs) | set(store.plans)
    tokens_taken = set(store.tokens)
    for i, raw in enumerate(_items(document, "users")):
        where = f"users[{i}]"
        user_id = _new_or_given(raw, "id", "user", where, ids)
        orgs = raw.get("organizations", [])
        if not isinstance(orgs, list) or any(o not in org_names for o in orgs):
            raise BadSeed(f"{where}.organizations must list known organizations; known: {sorted(org_names)}")
        tokens = raw.get("tokens", [])
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
            raise BadSeed(f"{where}.tokens must be a list of non-empty strings")
        if set(tokens) & tokens_taken:
            raise BadSeed(f"{where}: a token already belongs to another user")
        tokens_taken.update(tokens)
        user = User(user_id, _str(raw, "username", where), list(orgs))
        parsed.users.append((user, list(tokens)))
    user_ids = set(store.users) | {u.id for u, _ in parsed.users}

    workspace_ids = set(store.workspaces)
    taken_names = {(w.organization, w.name) for w in store.workspaces.values()}
    for i, raw in enumerate(_items(document, "workspaces")):
        where = f"workspaces[{i}]"
        org = _str(raw, "organization", where)
        if org not in org_names:
            raise BadSeed(f"{where}: unknown organization {org!r}")
        name = _str(raw, "name", where)
        if (org, name) in taken_names:
            raise BadSeed(f"{where}: workspace {name!r} already exists in {org!r}")
        taken_names.add((org, name))
        ws_id = _new_or_given(raw, "id", "ws", where, ids)
        workspace_ids.add(ws_id)
        parsed.workspaces.append(
            Workspace(
                id=ws_id,
                organization=org,
                name=name,
                created_at=_time(raw, "created_at", where, "2022-01-01T00:00:00Z"),
                description=raw.get("description", ""),
                terraform_version=raw.get("terraform_version", "1.9.5"),
                working_directory=raw.get("working_directory", ""),
                execution_mode=raw.get("execution_mode", "remote"),
                auto_apply=bool(raw.get("auto_apply", False)),
                tags=_typed(raw, "tags", where, list, []),
                vcs_repo=raw.get("vcs_repo"),
                permissions=_permissions(raw, where),
            )
        )

    for i, raw in enumerate(_items(document, "runs")):
        parsed.runs.append(_parse_run(raw, f"runs[{i}]", ids, workspace_ids, user_ids))
    return parsed


def _parse_run(
    raw: Mapping[str, Any],
    where: str,
    ids: set[str],
    workspace_ids: set[str],
    user_ids: set[str],
) -> tuple[Run, Plan]:
    workspace_id = _str(raw, "workspace", where)
    if workspace_id not in workspace_ids:
        raise BadSeed(f"{where}: unknown workspace {workspace_id!r}")
    created_by = raw.get("created_by")
    if created_by is not None and created_by not in user_ids:
        raise BadSeed(f"{where}: unknown user {created_by!r} in created_by")
    run_id = _new_or_given(raw, "id", "run", where, ids)
    created = _time(raw, "created_at", where, None)
    status = _str(raw, "status", where)
    raw_plan = raw.get("plan")
    if not isinstance(raw_plan, Mapping):
        raise BadSeed(f"{where}.plan must be an object with at least a status")
    plan_where = f"{where}.plan"
    plan_id = _new_or_given(raw_plan, "id", "plan", plan_where, ids)
    plan_status = _str(raw_plan, "status", plan_where)
    plan_json = raw_plan.get("json")
    if plan_json is not None and (not isinstance(plan_json, dict) or "format_version" not in plan_json):
        raise BadSeed(
            f"{plan_where}.json must be `terraform show -json` output (an object with format_version)"
        )
    if plan_status == "finished" and plan_json is None:
        raise BadSeed(f"{plan_where}: a finished plan needs its json (terraform show -json output)")
    run = Run(
        id=run_id,
        workspace_id=workspace_id,
        plan_id=plan_id,
        status=status,
        created_at=created,
        message=raw.get("message", ""),
        source=raw.get("source", "tfe-api"),
        trigger_reason=raw.get("trigger_reason", "manual"),
        plan_only=bool(raw.get("plan_only", False)),
        is_destroy=bool(raw.get("is_destroy", False)),
        refresh_only=bool(raw.get("refresh_only", False)),
        save_plan=bool(raw.get("save_plan", False)),
        empty_apply=bool(raw.get("empty_apply", False)),
        status_timestamps=_run_timestamps(raw, status, created, where),
        target_addrs=_typed(raw, "target_addrs", where, list, []),
        variables=_variables(raw, where),
        commit_sha=raw.get("commit_sha"),
        created_by=created_by,
        cost_estimate=raw.get("cost_estimate"),
    )
    plan = Plan(
        id=plan_id,
        run_id=run_id,
        status=plan_status,
        created_at=created + _PLAN_QUEUED_AFTER,
        status_timestamps=_plan_timestamps(raw_plan, plan_status, created, plan_where),
        plan_json=plan_json,
    )
    return run, plan


def _run_timestamps(raw: Mapping[str, Any], status: str, created: float, where: str) -> dict[str, float]:
    given = raw.get("status_timestamps")
    if given:
        return _timestamps(given, f"{where}.status_timestamps")
    return {status.replace("_", "-") + "-at": created + _PLAN_ENDED_AFTER}


def _timestamps(given: Any, where: str) -> dict[str, float]:
    if not isinstance(given, Mapping):
        raise BadSeed(f"{where} must map names such as 'planned-at' to ISO 8601 timestamps")
    return {name: _parse(value, f"{where}.{name}") for name, value in given.items()}


def _plan_timestamps(raw: Mapping[str, Any], status: str, run_created: float, where: str) -> dict[str, float]:
    given = raw.get("status_timestamps")
    if given:
        return _timestamps(given, f"{where}.status_timestamps")
    stamps = {"queued-at": run_created + _PLAN_QUEUED_AFTER}
    if status not in ("pending", "queued", "managed_queued"):
        stamps["started-at"] = run_created + _PLAN_STARTED_AFTER
    if status in ("finished", "errored", "canceled", "unreachable"):
        stamps[f"{status}-at"] = run_created + _PLAN_ENDED_AFTER
    return stamps


def _items(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = document.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise BadSeed(f"{key} must be a list of objects")
    return items


def _typed(raw: Mapping[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
    value = raw.get(key, default)
    if not isinstance(value, kind):
        raise BadSeed(f"{where}.{key} must be a {'list' if kind is list else kind.__name__}")
    return value


def _variables(raw: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    variables = _typed(raw, "variables", where, list, [])
    if not all(isinstance(v, dict) and isinstance(v.get("key"), str) for v in variables):
        raise BadSeed(f"{where}.variables must be a list of {{key, value}} objects")
    return variables


def _permissions(raw: Mapping[str, Any], where: str) -> dict[str, bool]:
    permissions = _typed(raw, "permissions", where, dict, {})
    if not all(isinstance(v, bool) for v in permissions.values()):
        raise BadSeed(f"{where}.permissions must map permission names to true or false")
    return dict(permissions)


def _str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise BadSeed(f"{where}.{key} must be a non-empty string")
    return value


def _new_or_given(raw: Mapping[str, Any], key: str, prefix: str, where: str, taken: set[str]) -> str:
    """The record's given ID (checked for shape and uniqueness) or a fresh random one."""
    value = raw.get(key)
    if value is None:
        value = new_id(prefix)
    else:
        suffix = value[len(prefix) + 1 :] if isinstance(value, str) and value.startswith(f"{prefix}-") else ""
        if len(suffix) != ID_LENGTH or any(ch not in ID_ALPHABET for ch in suffix):
            raise BadSeed(
                f"{where}.{key}: {value!r} is not {prefix}- followed by {ID_LENGTH} letters or digits"
            )
        if value in taken:
            raise BadSeed(f"{where}.{key}: {value!r} is already used")
    taken.add(value)
    return value


def _time(raw: Mapping[str, Any], key: str, where: str, default: str | None) -> float:
    value = raw.get(key, default)
    if value is None:
        raise BadSeed(f"{where}.{key} is required (ISO 8601 with a timezone)")
    return _parse(value, f"{where}.{key}")


def _parse(value: Any, where: str) -> float:
    try:
        if not isinstance(value, str):
            raise TypeError(value)
        return parse_time(value)
    except (TypeError, ValueError) as exc:
        raise BadSeed(f"{where}: {value!r} is not an ISO 8601 timestamp with a timezone") from exc
