"""Test-only routes under ``/_emulator`` on the API port: inspect, reset, seed, fault, move the clock.

No authentication and no content-type rule (plain JSON is fine); never rate limited, faulted or logged.
Bad input gets 422 with a JSON:API error naming the problem.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tfc_sentinel.emulator.api import get_state
from tfc_sentinel.emulator.errors import BadSeed, Invalid
from tfc_sentinel.emulator.models import TASK_ENFORCEMENT_LEVELS, TASK_STAGES
from tfc_sentinel.emulator.state import EmulatorState

State = Annotated[EmulatorState, Depends(get_state)]
router = APIRouter(prefix="/_emulator", include_in_schema=False)


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise Invalid("the request body is not valid JSON", pointer="") from None
    if not isinstance(body, dict):
        raise Invalid("the request body must be a JSON object", pointer="")
    return body


def reply(body: dict[str, Any], status_code: int = 200) -> Response:
    return JSONResponse(body, status_code=status_code)


@router.get("/state")
async def state_page(state: State) -> Response:
    """Counters: live exports, exports by status, task results, requests per endpoint, blob requests and
    auth leaks."""
    return reply({**state.snapshot(), "config": state.config.tunables(), "faults": state.faults.to_json()})


@router.get("/requests")
async def request_log(state: State) -> Response:
    """Each request: app, method, path, template, status, fault, authorization (sent or not), credential
    (``user``, ``task-result``, ``unknown`` or None), user, time."""
    return reply({"requests": state.recorder.entries()})


@router.post("/reset")
async def reset(state: State) -> Response:
    state.reset()
    return reply({"reset": True})


@router.post("/tokens/revoke")
async def revoke_token(request: Request, state: State) -> Response:
    """Body ``{"token": "…"}``: from now on that API token gets 401, as after a user revoked it mid-run
    (``reset`` restores it). Answers ``{"revoked": false}`` for a token that was not valid."""
    token = (await json_object(request)).get("token")
    if not isinstance(token, str) or not token:
        raise Invalid("'token' must be the API token to revoke", pointer="/token")
    return reply({"revoked": state.store.revoke_token(token)})


@router.get("/faults")
async def show_faults(state: State) -> Response:
    return reply(state.faults.to_json())


@router.post("/faults")
async def add_faults(request: Request, state: State) -> Response:
    """Body: ``{"rules": [rule, …], "export_outcomes": {"plan-…" | "*": "errored" | "canceled" | "stuck" | null}}``."""
    try:
        state.faults.add(await json_object(request))
    except ValueError as exc:
        raise Invalid(str(exc), pointer="") from None
    return reply(state.faults.to_json(), status_code=201)


@router.delete("/faults")
async def clear_faults(state: State) -> Response:
    state.faults.clear()
    return reply(state.faults.to_json())


@router.post("/clock/advance")
async def advance_clock(request: Request, state: State) -> Response:
    seconds = (await json_object(request)).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        raise Invalid("'seconds' must be a number >= 0 (the clock only moves forward)", pointer="/seconds")
    state.clock.advance(seconds)
    return reply(state.snapshot()["clock"])


@router.post("/clock/freeze")
async def freeze_clock(request: Request, state: State) -> Response:
    frozen = (await json_object(request)).get("frozen", True)
    if not isinstance(frozen, bool):
        raise Invalid("'frozen' must be true or false", pointer="/frozen")
    state.clock.freeze(frozen)
    return reply(state.snapshot()["clock"])


@router.get("/config")
async def show_config(state: State) -> Response:
    return reply(state.config.tunables())


@router.patch("/config")
async def change_config(request: Request, state: State) -> Response:
    try:
        state.config.update(await json_object(request))
    except ValueError as exc:
        raise Invalid(str(exc), pointer="") from None
    return reply(state.config.tunables())


@router.post("/seed")
async def seed(request: Request, state: State) -> Response:
    """Add organizations, users (with tokens), workspaces and runs with inline plan JSON; returns their IDs."""
    try:
        created = state.store.load(await json_object(request))
    except BadSeed as exc:
        raise Invalid(str(exc), pointer="") from None
    return reply(created, status_code=201)


@router.post("/task-results")
async def create_task_result(request: Request, state: State) -> Response:
    """Stand in for Terraform Cloud sending a run-task request: make a pending result and hand out what
    the request would carry. Body: ``{"run_id": "run-…", "stage": "post_plan", "enforcement_level":
    "mandatory", "require_code": false}`` (all but ``run_id`` optional). The access token is shown only here."""
    body = await json_object(request)
    run_id = body.get("run_id")
    if not isinstance(run_id, str) or run_id not in state.store.runs:
        raise Invalid(f"'run_id' must name an existing run, got {run_id!r}", pointer="/run_id")
    choices = {
        "stage": (TASK_STAGES, "post_plan"),
        "enforcement_level": (TASK_ENFORCEMENT_LEVELS, "mandatory"),
    }
    picked = {}
    for name, (allowed, default) in choices.items():
        picked[name] = body.get(name, default)
        if picked[name] not in allowed:
            raise Invalid(f"'{name}' must be one of {', '.join(allowed)}", pointer=f"/{name}")
    require_code = body.get("require_code", False)
    if not isinstance(require_code, bool):
        raise Invalid("'require_code' must be true or false", pointer="/require_code")
    result = state.store.create_task_result(run_id, require_code=require_code, **picked)
    return reply(result.handout(str(request.base_url)), status_code=201)


@router.get("/task-results/{task_result_id}")
async def show_task_result(task_result_id: str, state: State) -> Response:
    """Status (``errored`` once the deadline passed), message, url, outcomes and every PATCH received."""
    return reply(state.store.describe_task_result(task_result_id))
