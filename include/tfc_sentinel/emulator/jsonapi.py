"""JSON:API documents as Terraform Cloud writes them: resource objects, pagination, error documents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from tfc_sentinel.emulator.clock import isoformat
from tfc_sentinel.emulator.errors import EmulatorError
from tfc_sentinel.emulator.models import (
    DISCARDABLE_RUN_STATUSES,
    FINAL_RUN_STATUSES,
    Comment,
    Organization,
    Plan,
    PlanExport,
    Run,
    TaskResult,
    Workspace,
)
from tfc_sentinel.emulator.store import Store

MEDIA_TYPE: Final = "application/vnd.api+json"
API: Final = "/api/v2"
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
RATE_LIMIT_DETAIL: Final = "You have exceeded the API's rate limit."

Item = TypeVar("Item")


class JsonApiResponse(JSONResponse):
    media_type = MEDIA_TYPE


def error_document(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """One JSON:API error; ``status`` is a string as in most Terraform Cloud errors (429 differs)."""
    error: dict[str, Any] = {"status": str(status), "title": title}
    if detail:
        error["detail"] = detail
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    elif parameter is not None:
        error["source"] = {"parameter": parameter}
    return {"errors": [error]}


def error_response(exc: EmulatorError) -> JsonApiResponse:
    # 401 and 404 carry exactly the documented bodies: the detail would only tell a prober what exists.
    detail = None if exc.status in (401, 404) else exc.detail
    body = error_document(exc.status, exc.title, detail, pointer=exc.pointer, parameter=exc.parameter)
    return JsonApiResponse(body, status_code=exc.status)


def rate_limit_document() -> dict[str, Any]:
    """The documented 429 body: note the integer ``status``."""
    return {"errors": [{"detail": RATE_LIMIT_DETAIL, "status": 429, "title": "Too many requests"}]}


def _stamps(stamps: dict[str, float]) -> dict[str, str]:
    return {name: isoformat(moment) for name, moment in stamps.items()}


def ref(type_: str, id_: str) -> dict[str, str]:
    return {"id": id_, "type": type_}


# -- resource objects ---------------------------------------------------------------------------------------


def organization(org: Organization) -> dict[str, Any]:
    return {
        "id": org.name,
        "type": "organizations",
        "attributes": {"name": org.name, "email": org.email, "created-at": isoformat(org.created_at)},
        "links": {"self": f"{API}/organizations/{org.name}"},
    }


def workspace(ws: Workspace) -> dict[str, Any]:
    return {
        "id": ws.id,
        "type": "workspaces",
        "attributes": {
            "name": ws.name,
            "description": ws.description,
            "created-at": isoformat(ws.created_at),
            "terraform-version": ws.terraform_version,
            "working-directory": ws.working_directory,
            "execution-mode": ws.execution_mode,
            "auto-apply": ws.auto_apply,
            "tag-names": list(ws.tags),
            "vcs-repo": ws.vcs_repo,
            "permissions": {
                "can-queue-run": ws.can("can-queue-run"),
                "can-read-run": True,
                "can-download-sentinel-mocks": ws.can("can-download-sentinel-mocks"),
                "can-comment": ws.can("can-comment"),
            },
        },
        "relationships": {
            "organization": {"data": ref("organizations", ws.organization)},
            "runs": {"links": {"related": f"{API}/workspaces/{ws.id}/runs"}},
        },
        "links": {"self": f"{API}/organizations/{ws.organization}/workspaces/{ws.name}"},
    }


def run(r: Run, store: Store) -> dict[str, Any]:
    plan = store.plans[r.plan_id]
    ws = store.workspaces[r.workspace_id]
    final = r.status in FINAL_RUN_STATUSES
    awaiting = r.status in DISCARDABLE_RUN_STATUSES
    relationships: dict[str, Any] = {
        "workspace": {"data": ref("workspaces", r.workspace_id)},
        "plan": {"data": ref("plans", r.plan_id), "links": {"related": f"{API}/runs/{r.id}/plan"}},
        "comments": {"links": {"related": f"{API}/runs/{r.id}/comments"}},
    }
    if r.created_by:
        relationships["created-by"] = {"data": ref("users", r.created_by)}
    return {
        "id": r.id,
        "type": "runs",
        "attributes": {
            "status": r.status,
            "message": r.message,
            "source": r.source,
            "trigger-reason": r.trigger_reason,
            "created-at": isoformat(r.created_at),
            "status-timestamps": _stamps(r.status_timestamps),
            "has-changes": plan.has_changes,
            "is-destroy": r.is_destroy,
            "plan-only": r.plan_only,
            "refresh-only": r.refresh_only,
            "save-plan": r.save_plan,
            "allow-empty-apply": r.empty_apply,
            "auto-apply": ws.auto_apply,
            "target-addrs": list(r.target_addrs) or None,
            "replace-addrs": None,
            "variables": [dict(v) for v in r.variables],
            "actions": {
                "is-cancelable": not final and not awaiting,
                "is-confirmable": awaiting and not r.plan_only,
                "is-discardable": awaiting,
                "is-force-cancelable": False,
            },
            "permissions": {
                "can-apply": ws.can("can-queue-apply"),
                "can-cancel": True,
                "can-comment": ws.can("can-comment"),
                "can-discard": True,
                "can-force-execute": True,
                "can-force-cancel": True,
                "can-override-policy-check": False,
            },
        },
        "relationships": relationships,
        "links": {"self": f"{API}/runs/{r.id}"},
    }


def plan(p: Plan, store: Store) -> dict[str, Any]:
    counts = p.resource_counts()
    return {
        "id": p.id,
        "type": "plans",
        "attributes": {
            "status": p.status,
            "has-changes": p.has_changes,
            "resource-additions": counts["additions"],
            "resource-changes": counts["changes"],
            "resource-destructions": counts["destructions"],
            "resource-imports": counts["imports"],
            "execution-details": {"mode": store.workspace_of_plan(p).execution_mode},
            "status-timestamps": _stamps(p.status_timestamps),
            "actions": {"is-exportable": p.is_exportable},
            "permissions": {"can-export": store.can_export(p)},
        },
        "relationships": {
            "state-versions": {"data": []},
            "exports": {"data": [ref("plan-exports", export_id) for export_id in p.exports]},
        },
        "links": {"self": f"{API}/plans/{p.id}"},
    }


def plan_export(export: PlanExport, store: Store) -> dict[str, Any]:
    status = store.export_status(export)
    links = {"self": f"{API}/plan-exports/{export.id}"}
    if status == "finished":
        links["download"] = f"{API}/plan-exports/{export.id}/download"
    return {
        "id": export.id,
        "type": "plan-exports",
        "attributes": {
            "data-type": export.data_type,
            "status": status,
            "status-timestamps": store.export_timestamps(export),
            "error-message": export.error_message if status == "errored" else None,
        },
        "relationships": {"plan": {"data": ref("plans", export.plan_id)}},
        "links": links,
    }


def comment(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "type": "comments",
        "attributes": {"body": c.body, "created-at": isoformat(c.created_at)},
        "relationships": {
            "run-event": {"data": ref("run-events", c.run_event_id)},
            "run": {"data": ref("runs", c.run_id)},
        },
        "links": {"self": f"{API}/comments/{c.id}"},
    }


def task_result(result: TaskResult, store: Store) -> dict[str, Any]:
    """A ``task-results`` resource as the callback's 200 returns it. Terraform Cloud relates it to a
    task stage; the emulator has no task stages yet, so it names the run instead."""
    return {
        "id": result.id,
        "type": "task-results",
        "attributes": {
            "status": store.task_result_status(result),
            "message": result.message,
            "url": result.url,
            "workspace-task-enforcement-level": result.enforcement_level,
            "created-at": isoformat(result.created_at),
            "updated-at": isoformat(result.updated_at),
            "status-timestamps": _stamps(result.status_timestamps),
        },
        "relationships": {"run": {"data": ref("runs", result.run_id)}},
        "links": {"self": f"{API}/task-results/{result.id}"},
    }


# -- pagination ----------------------------------------------------------------------------------------------


def page_params(request: Request) -> tuple[int, int]:
    """``page[number]`` (from 1) and ``page[size]`` (default 20, capped at 100 as Terraform Cloud does)."""
    values = []
    for name, default in (("page[number]", 1), ("page[size]", DEFAULT_PAGE_SIZE)):
        raw = request.query_params.get(name)
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            raise EmulatorError(f"{name} must be a positive integer, got {raw!r}", parameter=name) from None
        if value < 1:
            raise EmulatorError(f"{name} must be a positive integer, got {raw!r}", parameter=name)
        values.append(value)
    return values[0], min(values[1], MAX_PAGE_SIZE)


def paginate(
    request: Request, items: Sequence[Item]
) -> tuple[Sequence[Item], dict[str, Any], dict[str, Any]]:
    """Slice one page and build ``links`` (absolute, other query parameters kept) and ``meta.pagination``."""
    number, size = page_params(request)
    total = len(items)
    pages = max(1, math.ceil(total / size))
    prev_page = number - 1 if 1 < number <= pages + 1 else None
    next_page = number + 1 if number < pages else None
    base = str(request.url.replace(query=""))
    others = [(k, v) for k, v in request.query_params.multi_items() if not k.startswith("page[")]

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        return f"{base}?{urlencode([*others, ('page[number]', page), ('page[size]', size)])}"

    links = {
        "self": link(number),
        "first": link(1),
        "prev": link(prev_page),
        "next": link(next_page),
        "last": link(pages),
    }
    pagination = {
        "current-page": number,
        "page-size": size,
        "prev-page": prev_page,
        "next-page": next_page,
        "total-pages": pages,
        "total-count": total,
    }
    return items[(number - 1) * size : number * size], links, pagination
