"""Run tasks and advancing runs: the emulator sends run-task requests and notifications (checklist 14-15).

Routes (``/api/v2``, user token):

- ``POST /organizations/:org/tasks`` (``type`` ``tasks``; ``name``, ``url``, ``category`` ``task``,
  ``hmac-key``, ``enabled`` default true, ``description``): an organization run task. When enabled, the
  verification request (``access_token`` ``"test-token"``, no real task result) goes out first; a
  non-200 answer refuses the creation with 422 on ``url`` (the emulator's choice; Terraform Cloud's exact
  answer is unconfirmed). ``GET /organizations/:org/tasks``, ``GET|DELETE /tasks/:id``.
- ``POST /workspaces/:ws_id/tasks`` (``type`` ``workspace-tasks``; ``enforcement-level``
  ``mandatory``/``advisory``, ``stage`` or ``stages`` among ``pre_plan``, ``post_plan``, ``pre_apply``,
  ``post_apply``, default ``post_plan``; ``relationships.task``): attaches a run task to a workspace.
  ``GET /workspaces/:ws_id/tasks``, ``DELETE /workspaces/:ws_id/tasks/:id``.

Admin (``/_emulator``, no auth):

- ``POST /runs/{run_id}/advance`` ``{"status": "post_plan_running"}``: the run moves to that status (any
  string; a status past planning finishes its plan, ``planning`` starts it, ``errored``/``canceled``
  before the plan finished end it the same way) and the emulator sends, concurrently and before
  answering, what Terraform Cloud would send at that moment:

  - a run-task request to every enabled workspace run task of the stage the status opens
    (``pre_plan_running`` → ``pre_plan``, ``post_plan_running`` → ``post_plan``, …), each with a fresh
    task result, its access token and a callback URL on the host the admin call used (also for
    speculative runs). ``X-TFC-Task-Signature`` is the HMAC of the body, empty without a key. A receiver
    answering anything but 200 (or not answering) leaves the result ``errored`` at once;
  - a notification to every enabled configuration subscribed to the trigger the status means
    (``planning`` → ``run:planning``; ``planned``, ``cost_estimated``, ``policy_checked``,
    ``policy_override``, ``post_plan_completed`` → ``run:needs_attention``; ``applying`` →
    ``run:applying``; ``applied``, ``planned_and_finished`` → ``run:completed``; ``errored``,
    ``canceled``, ``force_canceled`` → ``run:errored``), never for speculative runs.

  Answers with the deliveries made (status codes, or the connection error).
- ``GET /deliveries``: every delivery since the last reset, newest last; access tokens redacted.

The callback side (``PATCH /api/v2/task-results/:id/callback``: token check 401, status values 422, 409
once final, ``errored`` after 10 minutes) lives in ``api.py``/``store.py``; the results are inspected
with ``GET /_emulator/task-results/:id``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from tfc_sentinel.emulator import jsonapi
from tfc_sentinel.emulator.api import Caller, State, document, member, read_data
from tfc_sentinel.emulator.clock import isoformat
from tfc_sentinel.emulator.errors import Invalid, NotFound
from tfc_sentinel.emulator.jsonapi import API, ref
from tfc_sentinel.emulator.models import TASK_ENFORCEMENT_LEVELS, TASK_STAGES, Run, TaskResult, User, new_id
from tfc_sentinel.emulator.notifications import (
    Delivery,
    notification_payload,
    notify_targets,
    payload_time,
    post_signed,
    run_app_url,
    send_notification,
    username,
)
from tfc_sentinel.emulator.store import Store

__all__ = [
    "RUN_TASK_SIGNATURE_HEADER",
    "STAGE_FOR_STATUS",
    "TRIGGER_FOR_STATUS",
    "RunTask",
    "WorkspaceTask",
    "admin_router",
    "advance_run",
    "router",
    "run_task_payload",
]

RUN_TASK_SIGNATURE_HEADER: Final = "X-TFC-Task-Signature"
VERIFICATION_TOKEN: Final = "test-token"
STAGE_FOR_STATUS: Final = {
    "pre_plan_running": "pre_plan",
    "post_plan_running": "post_plan",
    "pre_apply_running": "pre_apply",
    "post_apply_running": "post_apply",
}
TRIGGER_FOR_STATUS: Final = {
    "pending": "run:created",
    "planning": "run:planning",
    "planned": "run:needs_attention",
    "cost_estimated": "run:needs_attention",
    "policy_checked": "run:needs_attention",
    "policy_override": "run:needs_attention",
    "post_plan_completed": "run:needs_attention",
    "applying": "run:applying",
    "applied": "run:completed",
    "planned_and_finished": "run:completed",
    "errored": "run:errored",
    "canceled": "run:errored",
    "force_canceled": "run:errored",
}
# Statuses a run reaches only once its plan finished (the plan is then exportable if it has JSON).
PLAN_FINISHED_STATUSES: Final = frozenset(
    {
        "planned",
        "cost_estimating",
        "cost_estimated",
        "policy_checking",
        "policy_override",
        "policy_soft_failed",
        "policy_checked",
        "confirmed",
        "post_plan_running",
        "post_plan_awaiting_decision",
        "post_plan_completed",
        "planned_and_finished",
        "planned_and_saved",
        "pre_apply_running",
        "pre_apply_completed",
        "apply_queued",
        "queuing_apply",
        "applying",
        "applied",
        "post_apply_running",
        "post_apply_completed",
    }
)
PLAN_ENDED: Final = {"errored": "errored", "canceled": "canceled", "force_canceled": "canceled"}
MAX_STATUS_LENGTH: Final = 64


@dataclass
class RunTask:
    """An organization's run task: where requests go and the key they are signed with."""

    id: str
    organization: str
    name: str
    url: str
    hmac_key: str = field(repr=False)
    """Write-only; an empty key means requests carry an empty signature."""
    enabled: bool
    description: str
    created_at: float


@dataclass
class WorkspaceTask:
    """A run task attached to a workspace for some stages, at an enforcement level."""

    id: str
    workspace_id: str
    task_id: str
    enforcement_level: str
    stages: list[str]
    created_at: float


# -- payloads ----------------------------------------------------------------------------------------------


def run_task_payload(store: Store, result: TaskResult, run: Run, base_url: str) -> dict[str, Any]:
    """A run-task request (tfc-api.md section 12) for ``result``: its stage, token and callback URL."""
    base = base_url.rstrip("/")
    workspace = store.workspaces[run.workspace_id]
    plan_stage = result.stage != "pre_plan"
    return {
        "payload_version": 1,
        "stage": result.stage,
        "access_token": result.access_token,
        "capabilities": {"outcomes": True},
        "configuration_version_download_url": None,
        "configuration_version_id": None,
        "is_speculative": run.plan_only,
        "organization_name": workspace.organization,
        "plan_json_api_url": f"{base}{API}/plans/{run.plan_id}/json-output" if plan_stage else None,
        "run_app_url": run_app_url(base, workspace, run),
        "run_created_at": payload_time(run.created_at),
        "run_created_by": username(store, run.created_by),
        "run_id": run.id,
        "run_message": run.message,
        "task_result_callback_url": result.handout(base)["callback_url"],
        "task_result_enforcement_level": result.enforcement_level,
        "task_result_id": result.id,
        "vcs_branch": None,
        "vcs_commit_url": None,
        "vcs_pull_request_url": None,
        "vcs_repo_url": None,
        "workspace_app_url": f"{base}/app/{workspace.organization}/{workspace.name}",
        "workspace_id": workspace.id,
        "workspace_name": workspace.name,
        "workspace_working_directory": workspace.working_directory,
    }


def verification_payload(task: RunTask, base_url: str) -> dict[str, Any]:
    """The creation-time test request: ``access_token`` is the literal ``test-token``, nothing is real."""
    base = base_url.rstrip("/")
    return {
        "payload_version": 1,
        "stage": "test",
        "access_token": VERIFICATION_TOKEN,
        "capabilities": {"outcomes": True},
        "is_speculative": False,
        "organization_name": task.organization,
        "run_id": None,
        "task_result_callback_url": f"{base}{API}/task-results/verification/callback",
        "task_result_enforcement_level": None,
        "task_result_id": None,
        "workspace_id": None,
        "workspace_name": None,
    }


async def send_run_task(
    store: Store,
    task: RunTask,
    target_id: str,
    payload: dict[str, Any],
    event: str,
    result: TaskResult | None,
) -> Delivery:
    delivery = await post_signed(
        store,
        kind="run-task",
        target_id=target_id,
        url=task.url,
        event=event,
        payload=payload,
        signature_header=RUN_TASK_SIGNATURE_HEADER,
        key=task.hmac_key,
        always_sign=True,
        run_id=payload.get("run_id"),
        task_result_id=result.id if result else None,
    )
    if result is not None and delivery.status != 200:
        # Terraform Cloud errors the result when the task's endpoint does not take the request.
        with store.lock:
            now = store.clock.now()
            if result.status == "pending":
                result.status = "errored"
                result.message = (
                    f"the run task endpoint did not accept the request ({delivery.status or delivery.error})"
                )
                result.updated_at = now
                result.status_timestamps.setdefault("errored-at", now)
    return delivery


# -- advancing a run ---------------------------------------------------------------------------------------


def _move(store: Store, run: Run, status: str) -> None:
    """Set the run's status, and its plan's where the status implies one (caller holds the lock)."""
    now = store.clock.now()
    run.status = status
    run.status_timestamps[status.replace("_", "-") + "-at"] = now
    plan = store.plans[run.plan_id]
    if status == "planning" and plan.status not in ("finished", "running"):
        plan.status = "running"
        plan.status_timestamps["started-at"] = now
    elif status in PLAN_FINISHED_STATUSES and plan.status != "finished":
        plan.status = "finished"
        plan.status_timestamps["finished-at"] = now
    elif status in PLAN_ENDED and plan.status not in ("finished", "errored", "canceled"):
        plan.status = PLAN_ENDED[status]
        plan.status_timestamps[f"{PLAN_ENDED[status]}-at"] = now


async def advance_run(store: Store, run_id: str, status: str, base_url: str) -> dict[str, Any]:
    """Move the run to ``status`` and send the run-task requests and notifications that status causes."""
    with store.lock:
        run = store.runs.get(run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} not found")
        _move(store, run, status)
        stage = STAGE_FOR_STATUS.get(status)
        trigger = TRIGGER_FOR_STATUS.get(status)
        sends = []
        if stage is not None:
            for attachment in list(store.workspace_tasks.values()):
                task = store.run_tasks.get(attachment.task_id)
                if attachment.workspace_id != run.workspace_id or stage not in attachment.stages:
                    continue
                if task is None or not task.enabled:
                    continue
                result = store.create_task_result(run.id, stage, attachment.enforcement_level)
                payload = run_task_payload(store, result, run, base_url)
                sends.append(send_run_task(store, task, attachment.id, payload, stage, result))
        if trigger is not None:
            for config in notify_targets(store, run, trigger):
                payload = notification_payload(store, config, run, trigger, base_url)
                sends.append(send_notification(store, config, payload, trigger, run.id))
    deliveries = await asyncio.gather(*sends)
    return {
        "run_id": run_id,
        "status": status,
        "stage": stage,
        "trigger": trigger,
        "deliveries": [delivery.to_json() for delivery in deliveries],
    }


# -- routes ------------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v2")
admin_router = APIRouter(prefix="/_emulator", include_in_schema=False)


def task_resource(task: RunTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "type": "tasks",
        "attributes": {
            "name": task.name,
            "url": task.url,
            "category": "task",
            "enabled": task.enabled,
            "description": task.description,
            "hmac-key": None,
            "created-at": isoformat(task.created_at),
        },
        "relationships": {"organization": {"data": ref("organizations", task.organization)}},
        "links": {"self": f"{API}/tasks/{task.id}"},
    }


def workspace_task_resource(attachment: WorkspaceTask) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "type": "workspace-tasks",
        "attributes": {
            "enforcement-level": attachment.enforcement_level,
            "stage": attachment.stages[0],
            "stages": list(attachment.stages),
            "created-at": isoformat(attachment.created_at),
        },
        "relationships": {
            "task": {"data": ref("tasks", attachment.task_id)},
            "workspace": {"data": ref("workspaces", attachment.workspace_id)},
        },
        "links": {"self": f"{API}/workspaces/{attachment.workspace_id}/tasks/{attachment.id}"},
    }


def _attributes(data: dict[str, Any], *types: str) -> dict[str, Any]:
    if data.get("type") not in types:
        raise Invalid(f'data.type must be "{types[0]}"', pointer="/data/type")
    attributes = member(data, "attributes")
    if not isinstance(attributes, dict):
        raise Invalid("data.attributes must be an object", pointer="/data/attributes")
    return attributes


def _string(attributes: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = attributes.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(
            f"{name} must be a{' non-empty' if required else ''} string", pointer=f"/data/attributes/{name}"
        )
    return value


def _task(store: Store, user: User, task_id: str) -> RunTask:
    with store.lock:
        task = store.run_tasks.get(task_id)
        if task is None:
            raise NotFound(f"run task {task_id!r} not found")
        store.organization(user, task.organization)
        return task


@router.post("/organizations/{org_name}/tasks")
async def create_task(org_name: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    store.organization(user, org_name)
    attributes = _attributes(await read_data(request), "tasks")
    url = _string(attributes, "url", required=True)
    if not url.startswith(("http://", "https://")):
        raise Invalid("url must be an http(s) URL", pointer="/data/attributes/url")
    if attributes.get("category", "task") != "task":
        raise Invalid('category must be "task"', pointer="/data/attributes/category")
    enabled = attributes.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Invalid("enabled must be true or false", pointer="/data/attributes/enabled")
    task = RunTask(
        id=new_id("task"),
        organization=org_name,
        name=_string(attributes, "name", required=True).strip(),
        url=url,
        hmac_key=_string(attributes, "hmac-key"),
        enabled=enabled,
        description=_string(attributes, "description"),
        created_at=store.clock.now(),
    )
    if task.enabled:
        payload = verification_payload(task, str(request.base_url))
        delivery = await send_run_task(store, task, task.id, payload, "verification", None)
        if delivery.status != 200:
            answer = f"HTTP {delivery.status}" if delivery.status is not None else delivery.error
            raise Invalid(
                f"the run task's url did not answer the verification request with 200 ({answer})",
                pointer="/data/attributes/url",
            )
    with store.lock:
        store.run_tasks[task.id] = task
    return document(task_resource(task), status_code=201)


@router.get("/organizations/{org_name}/tasks")
async def list_tasks(org_name: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    store.organization(user, org_name)
    with store.lock:
        tasks = [t for t in store.run_tasks.values() if t.organization == org_name]
    page, links, pagination = jsonapi.paginate(request, tasks)
    return document([task_resource(t) for t in page], links=links, meta={"pagination": pagination})


@router.get("/tasks/{task_id}")
async def show_task(task_id: str, state: State, user: Caller) -> Response:
    return document(task_resource(_task(state.store, user, task_id)))


@router.delete("/tasks/{task_id}")
async def delete_task(task_id: str, state: State, user: Caller) -> Response:
    store = state.store
    task = _task(store, user, task_id)
    with store.lock:
        store.run_tasks.pop(task.id, None)
        for attachment_id in [a.id for a in store.workspace_tasks.values() if a.task_id == task.id]:
            del store.workspace_tasks[attachment_id]
    return Response(status_code=204)


@router.post("/workspaces/{workspace_id}/tasks")
async def attach_task(workspace_id: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    workspace = store.workspace(user, workspace_id)
    data = await read_data(request)
    attributes = _attributes(data, "workspace-tasks")
    level = attributes.get("enforcement-level")
    if level not in TASK_ENFORCEMENT_LEVELS:
        raise Invalid(
            f"enforcement-level must be one of {', '.join(TASK_ENFORCEMENT_LEVELS)}",
            pointer="/data/attributes/enforcement-level",
        )
    stages = attributes.get("stages")
    if stages is None:
        stages = [attributes.get("stage", "post_plan")]
    if not isinstance(stages, list) or not stages or any(s not in TASK_STAGES for s in stages):
        raise Invalid(f"stage(s) must be among {', '.join(TASK_STAGES)}", pointer="/data/attributes/stages")
    task_ref = member(data, "relationships", "task", "data")
    if not isinstance(task_ref, dict) or not isinstance(task_ref.get("id"), str):
        raise Invalid(
            "the run task is required: relationships.task.data.id", pointer="/data/relationships/task"
        )
    with store.lock:
        task = store.run_tasks.get(task_ref["id"])
        if task is None or task.organization != workspace.organization:
            raise Invalid(
                "relationships.task names no run task of this organization",
                pointer="/data/relationships/task/data/id",
            )
        attachment = WorkspaceTask(
            id=new_id("wstask"),
            workspace_id=workspace.id,
            task_id=task.id,
            enforcement_level=level,
            stages=list(dict.fromkeys(stages)),
            created_at=store.clock.now(),
        )
        store.workspace_tasks[attachment.id] = attachment
    return document(workspace_task_resource(attachment), status_code=201)


@router.get("/workspaces/{workspace_id}/tasks")
async def list_workspace_tasks(workspace_id: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    store.workspace(user, workspace_id)
    with store.lock:
        attachments = [a for a in store.workspace_tasks.values() if a.workspace_id == workspace_id]
    page, links, pagination = jsonapi.paginate(request, attachments)
    return document([workspace_task_resource(a) for a in page], links=links, meta={"pagination": pagination})


@router.delete("/workspaces/{workspace_id}/tasks/{attachment_id}")
async def detach_task(workspace_id: str, attachment_id: str, state: State, user: Caller) -> Response:
    store = state.store
    store.workspace(user, workspace_id)
    with store.lock:
        attachment = store.workspace_tasks.get(attachment_id)
        if attachment is None or attachment.workspace_id != workspace_id:
            raise NotFound(f"workspace run task {attachment_id!r} not found")
        del store.workspace_tasks[attachment_id]
    return Response(status_code=204)


@admin_router.post("/runs/{run_id}/advance")
async def advance(run_id: str, request: Request, state: State) -> Response:
    """Body ``{"status": "<run status>"}``; see the module documentation for what gets sent."""
    from tfc_sentinel.emulator.admin import json_object

    status = (await json_object(request)).get("status")
    if not isinstance(status, str) or not status.strip() or len(status) > MAX_STATUS_LENGTH:
        raise Invalid("'status' must be a run status, e.g. post_plan_running or planned", pointer="/status")
    if run_id not in state.store.runs:
        raise Invalid(f"run {run_id!r} does not exist", pointer="")
    return JSONResponse(await advance_run(state.store, run_id, status.strip(), str(request.base_url)))


@admin_router.get("/deliveries")
async def deliveries(state: State) -> Response:
    """Every webhook delivery since the last reset (notifications and run-task requests), oldest first."""
    with state.store.lock:
        return JSONResponse({"deliveries": [delivery.to_json() for delivery in state.store.deliveries]})
