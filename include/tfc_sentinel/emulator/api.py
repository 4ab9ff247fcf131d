"""The ``/api/v2`` routes: the part of Terraform Cloud's API tfc-sentinel uses (tfc-api.md sections 1-10,
and the run-task callback of section 12).

Handlers only translate HTTP to store calls and store records to JSON:API; the behaviour lives in
``store``. Nothing here is test-only: faults, rate limits and the request log sit in ``middleware``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from tfc_sentinel.emulator import jsonapi
from tfc_sentinel.emulator.errors import EmulatorError, Invalid, Unauthorized, UnsupportedMediaType
from tfc_sentinel.emulator.jsonapi import MEDIA_TYPE, JsonApiResponse
from tfc_sentinel.emulator.models import (
    DATA_TYPE,
    DISCARDABLE_RUN_STATUSES,
    FINAL_RUN_STATUSES,
    KNOWN_RUN_STATUSES,
    RUN_OPERATIONS,
    TASK_CALLBACK_STATUSES,
    TASK_MESSAGE_MAX,
    TASK_OUTCOME_BODY_MAX,
    TASK_OUTCOMES_MAX,
    TASK_TAG_LEVELS,
    TASK_URL_MAX,
    Run,
    User,
)
from tfc_sentinel.emulator.state import EmulatorState

API_VERSION: Final = "2.6"
TFE_VERSION: Final = "v202405-1"
APP_NAME: Final = "Terraform Cloud Emulator"
RUN_INCLUDES: Final = ("plan", "workspace", "created_by")
STATUS_GROUPS: Final = ("non_final", "final", "discardable")


def bearer_token(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def get_state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def require_media_type(request: Request) -> None:
    """POST, PATCH and DELETE must send the JSON:API content type, even without a body (415)."""
    if request.method in ("POST", "PATCH", "DELETE"):
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != MEDIA_TYPE:
            raise UnsupportedMediaType(f"send Content-Type: {MEDIA_TYPE} (got {media_type or 'none'})")


async def caller(request: Request) -> User:
    """The token's user; then, for POST/PATCH/DELETE, the JSON:API content type (even without a body)."""
    user = request.app.state.emulator.store.user_for_token(bearer_token(request.headers))
    if user is None:
        raise Unauthorized()
    require_media_type(request)
    return user


State = Annotated[EmulatorState, Depends(get_state)]
Caller = Annotated[User, Depends(caller)]
router = APIRouter(prefix="/api/v2")


def document(data: Any, status_code: int = 200, **extra: Any) -> JsonApiResponse:
    return JsonApiResponse({"data": data, **extra}, status_code=status_code)


async def read_data(request: Request) -> dict[str, Any]:
    """The body's ``data`` object, or 422 pointing at what is wrong."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Invalid("the request body is not valid JSON", pointer="") from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise Invalid("the request body needs a top-level `data` object", pointer="/data")
    return body["data"]


def member(data: dict[str, Any], *path: str) -> Any:
    """``data[path[0]][path[1]]…``, or None where a level is missing or not an object."""
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def split_param(request: Request, name: str) -> list[str]:
    raw = request.query_params.get(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else []


def check_values(name: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise EmulatorError(
            f"{name}: unknown value(s) {', '.join(bad)}; use {', '.join(allowed)}", parameter=name
        )


# -- discovery -------------------------------------------------------------------------------------------------


@router.get("/ping")
async def ping() -> Response:
    """Unauthenticated; clients read the API version and rate limit from these headers."""
    headers = {"TFP-API-Version": API_VERSION, "X-TFE-Version": TFE_VERSION, "TFP-AppName": APP_NAME}
    return Response(status_code=204, headers=headers)


@router.get("/organizations")
async def list_organizations(request: Request, state: State, user: Caller) -> Response:
    page, links, pagination = jsonapi.paginate(request, state.store.visible_organizations(user))
    return document([jsonapi.organization(o) for o in page], links=links, meta={"pagination": pagination})


@router.get("/organizations/{org_name}")
async def show_organization(org_name: str, state: State, user: Caller) -> Response:
    return document(jsonapi.organization(state.store.organization(user, org_name)))


@router.get("/organizations/{org_name}/workspaces")
async def list_workspaces(org_name: str, request: Request, state: State, user: Caller) -> Response:
    workspaces = state.store.workspaces_of(user, org_name)
    search = request.query_params.get("search[name]")
    if search:
        workspaces = [ws for ws in workspaces if search.lower() in ws.name.lower()]
    page, links, pagination = jsonapi.paginate(request, workspaces)
    return document([jsonapi.workspace(ws) for ws in page], links=links, meta={"pagination": pagination})


@router.get("/organizations/{org_name}/workspaces/{workspace_name}")
async def show_workspace_by_name(org_name: str, workspace_name: str, state: State, user: Caller) -> Response:
    return document(jsonapi.workspace(state.store.workspace_by_name(user, org_name, workspace_name)))


@router.get("/workspaces/{workspace_id}")
async def show_workspace(workspace_id: str, state: State, user: Caller) -> Response:
    return document(jsonapi.workspace(state.store.workspace(user, workspace_id)))


# -- runs -------------------------------------------------------------------------------------------------------


@router.get("/workspaces/{workspace_id}/runs")
async def list_workspace_runs(workspace_id: str, request: Request, state: State, user: Caller) -> Response:
    return run_list(request, state, state.store.runs_of_workspace(user, workspace_id))


@router.get("/organizations/{org_name}/runs")
async def list_organization_runs(org_name: str, request: Request, state: State, user: Caller) -> Response:
    return run_list(request, state, state.store.runs_of_organization(user, org_name))


def run_list(request: Request, state: EmulatorState, runs: list[Run]) -> Response:
    """Filter, count and page runs (newest first) as Terraform Cloud's two run lists do."""
    operations = split_param(request, "filter[operation]")
    check_values("filter[operation]", operations, RUN_OPERATIONS)
    # Speculative (plan-only) runs stay out of run lists unless asked for by operation.
    runs = (
        [r for r in runs if r.operation in operations] if operations else [r for r in runs if not r.plan_only]
    )
    sources = split_param(request, "filter[source]")
    if sources:
        runs = [r for r in runs if r.source in sources]
    status_counts = _status_counts(runs)
    statuses = split_param(request, "filter[status]")  # an open set: unknown values simply match nothing
    if statuses:
        runs = [r for r in runs if r.status in statuses]
    groups = split_param(request, "filter[status_group]")
    check_values("filter[status_group]", groups, STATUS_GROUPS)
    if groups:
        runs = [r for r in runs if _status_groups(r.status) & set(groups)]
    includes = include_param(request)
    page, links, pagination = jsonapi.paginate(request, runs)
    extra: dict[str, Any] = {
        "links": links,
        "meta": {"pagination": pagination, "status-counts": status_counts},
    }
    if includes:
        extra["included"] = included_for(page, includes, state)
    return document([jsonapi.run(r, state.store) for r in page], **extra)


def _status_groups(status: str) -> set[str]:
    """Final or not (unknown statuses count as still moving), plus "discardable" when awaiting a decision."""
    groups = {"final" if status in FINAL_RUN_STATUSES else "non_final"}
    if status in DISCARDABLE_RUN_STATUSES:
        groups.add("discardable")
    return groups


def _status_counts(runs: list[Run]) -> dict[str, int]:
    counts = {status.replace("_", "-"): 0 for status in KNOWN_RUN_STATUSES}
    for run in runs:
        key = run.status.replace("_", "-")
        counts[key] = counts.get(key, 0) + 1
    counts["total"] = len(runs)
    return counts


def include_param(request: Request) -> list[str]:
    includes = split_param(request, "include")
    check_values("include", includes, RUN_INCLUDES)
    return includes


def included_for(runs: Sequence[Run], includes: list[str], state: EmulatorState) -> list[dict[str, Any]]:
    """The ``included`` array for ``?include=``: each related record once, in first-seen order."""
    store = state.store
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        if "plan" in includes:
            found.setdefault(("plans", run.plan_id), jsonapi.plan(store.plans[run.plan_id], store))
        if "workspace" in includes:
            found.setdefault(
                ("workspaces", run.workspace_id), jsonapi.workspace(store.workspaces[run.workspace_id])
            )
        if "created_by" in includes and run.created_by in store.users:
            user = store.users[run.created_by]
            found.setdefault(
                ("users", user.id),
                {
                    "id": user.id,
                    "type": "users",
                    "attributes": {"username": user.username},
                    "links": {"self": f"{jsonapi.API}/users/{user.id}"},
                },
            )
    return list(found.values())


@router.get("/runs/{run_id}")
async def show_run(run_id: str, request: Request, state: State, user: Caller) -> Response:
    run = state.store.run(user, run_id)
    includes = include_param(request)
    extra = {"included": included_for([run], includes, state)} if includes else {}
    return document(jsonapi.run(run, state.store), **extra)


@router.get("/runs/{run_id}/plan")
async def show_run_plan(run_id: str, state: State, user: Caller) -> Response:
    run = state.store.run(user, run_id)
    return document(jsonapi.plan(state.store.plans[run.plan_id], state.store))


@router.get("/plans/{plan_id}")
async def show_plan(plan_id: str, state: State, user: Caller) -> Response:
    return document(jsonapi.plan(state.store.plan(user, plan_id), state.store))


# -- plan exports ------------------------------------------------------------------------------------------------


@router.post("/plan-exports")
async def create_plan_export(request: Request, state: State, user: Caller) -> Response:
    data = await read_data(request)
    if data.get("type") != "plan-exports":
        raise Invalid('data.type must be "plan-exports"', pointer="/data/type")
    data_type = member(data, "attributes", "data-type")
    if data_type != DATA_TYPE:
        detail = f"data-type must be {DATA_TYPE!r}" + (
            f", got {data_type!r}" if data_type is not None else ""
        )
        raise Invalid(detail, pointer="/data/attributes/data-type")
    plan_ref = member(data, "relationships", "plan", "data")
    if not isinstance(plan_ref, dict) or not isinstance(plan_ref.get("id"), str) or not plan_ref["id"]:
        raise Invalid(
            "the plan to export is required: relationships.plan.data.id", pointer="/data/relationships/plan"
        )
    if plan_ref.get("type", "plans") != "plans":
        raise Invalid(
            'relationships.plan.data.type must be "plans"', pointer="/data/relationships/plan/data/type"
        )
    export = state.store.create_export(user, plan_ref["id"], data_type)
    return document(jsonapi.plan_export(export, state.store), status_code=201)


@router.get("/plan-exports/{export_id}")
async def show_plan_export(export_id: str, state: State, user: Caller) -> Response:
    return document(jsonapi.plan_export(state.store.export(user, export_id), state.store))


@router.get("/plan-exports/{export_id}/download")
async def download_plan_export(export_id: str, request: Request, state: State, user: Caller) -> Response:
    """302 to a short-lived blob URL on the blob host; the secret in the URL is its only credential."""
    secret = state.store.grant_blob(user, export_id)
    blob_base = (
        request.app.state.blob_base_url
        or f"{request.url.scheme}://{request.url.hostname}:{request.app.state.blob_port}"
    )
    return RedirectResponse(f"{blob_base}/v1/object/{secret}", status_code=302)


@router.delete("/plan-exports/{export_id}")
async def delete_plan_export(export_id: str, state: State, user: Caller) -> Response:
    state.store.delete_export(user, export_id)
    return Response(status_code=204)


# -- comments ------------------------------------------------------------------------------------------------------


@router.post("/runs/{run_id}/comments")
async def create_comment(run_id: str, request: Request, state: State, user: Caller) -> Response:
    data = await read_data(request)
    if data.get("type") != "comments":
        raise Invalid('data.type must be "comments"', pointer="/data/type")
    body = member(data, "attributes", "body")
    if not isinstance(body, str) or not body.strip():
        raise Invalid("the comment body must be a non-empty string", pointer="/data/attributes/body")
    return document(jsonapi.comment(state.store.add_comment(user, run_id, body)), status_code=201)


@router.get("/runs/{run_id}/comments")
async def list_comments(run_id: str, request: Request, state: State, user: Caller) -> Response:
    page, links, pagination = jsonapi.paginate(request, state.store.comments_of(user, run_id))
    return document([jsonapi.comment(c) for c in page], links=links, meta={"pagination": pagination})


@router.get("/comments/{comment_id}")
async def show_comment(comment_id: str, state: State, user: Caller) -> Response:
    return document(jsonapi.comment(state.store.comment(user, comment_id)))


# -- run-task callbacks ----------------------------------------------------------------------------------------


@router.patch("/task-results/{task_result_id}/callback")
async def task_result_callback(task_result_id: str, request: Request, state: State) -> Response:
    """A run task reports progress or its verdict. Only that result's access token works here: user API
    tokens are 401, so a client that sends its own token instead is caught."""
    token = bearer_token(request.headers)
    if token is None or state.store.task_result_for_token(token) is None:
        raise Unauthorized()
    require_media_type(request)
    result = state.store.task_result_for_callback(task_result_id, token, request.query_params.get("code"))
    raw = await request.body()
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", errors="replace")  # kept for the record; parse_task_result rejects it
    result = state.store.update_task_result(result, body, parse_task_result)
    return document(jsonapi.task_result(result, state.store))


def parse_task_result(body: Any) -> dict[str, Any]:
    """The TaskResult fields a callback body sets, after the checks of tfc-api.md section 12 (422 with a
    pointer to the first problem). ``message``, ``url`` and ``outcomes`` change only when sent."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise Invalid("the request body needs a top-level `data` object", pointer="/data")
    data = body["data"]
    if data.get("type") != "task-results":
        raise Invalid('data.type must be "task-results"', pointer="/data/type")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        raise Invalid("data.attributes must be an object", pointer="/data/attributes")
    status = attributes.get("status")
    if status not in TASK_CALLBACK_STATUSES:
        raise Invalid(
            f"status must be one of {', '.join(TASK_CALLBACK_STATUSES)}, got {status!r}",
            pointer="/data/attributes/status",
        )
    changes: dict[str, Any] = {"status": status}
    message = attributes.get("message")
    if message is not None:
        if not isinstance(message, str) or not 1 <= len(message) <= TASK_MESSAGE_MAX:
            raise Invalid(
                f"message must be a string of 1 to {TASK_MESSAGE_MAX} characters",
                pointer="/data/attributes/message",
            )
        changes["message"] = message
    url = attributes.get("url")
    if url is not None:
        if not isinstance(url, str) or len(url) > TASK_URL_MAX:
            raise Invalid(
                f"url must be a string of at most {TASK_URL_MAX} characters", pointer="/data/attributes/url"
            )
        changes["url"] = url
    relationships = data.get("relationships")
    if relationships is not None and not isinstance(relationships, dict):
        raise Invalid("data.relationships must be an object", pointer="/data/relationships")
    if relationships and "outcomes" in relationships:
        changes["outcomes"] = parse_outcomes(member(relationships, "outcomes", "data"))
    return changes


def parse_outcomes(rows: Any) -> list[dict[str, Any]]:
    """The outcome attribute objects, checked: ids and descriptions, tag levels, body size, count."""
    pointer = "/data/relationships/outcomes/data"
    if not isinstance(rows, list):
        raise Invalid("relationships.outcomes.data must be a list", pointer=pointer)
    if len(rows) > TASK_OUTCOMES_MAX:
        raise Invalid(f"at most {TASK_OUTCOMES_MAX} outcomes, got {len(rows)}", pointer=pointer)
    outcomes = []
    for index, row in enumerate(rows):
        at = f"{pointer}/{index}"
        if not isinstance(row, dict) or row.get("type") != "task-result-outcomes":
            raise Invalid('each outcome needs type "task-result-outcomes"', pointer=f"{at}/type")
        attributes = row.get("attributes")
        if not isinstance(attributes, dict):
            raise Invalid("an outcome needs an attributes object", pointer=f"{at}/attributes")
        for name in ("outcome-id", "description"):
            value = attributes.get(name)
            if not isinstance(value, str) or not value.strip():
                raise Invalid(f"{name} is required (a non-empty string)", pointer=f"{at}/attributes/{name}")
        for name in ("body", "url"):
            if attributes.get(name) is not None and not isinstance(attributes[name], str):
                raise Invalid(f"{name} must be a string", pointer=f"{at}/attributes/{name}")
        if len((attributes.get("body") or "").encode()) > TASK_OUTCOME_BODY_MAX:
            raise Invalid(
                f"an outcome body may hold at most {TASK_OUTCOME_BODY_MAX} bytes",
                pointer=f"{at}/attributes/body",
            )
        check_tags(attributes.get("tags"), f"{at}/attributes/tags")
        outcomes.append(attributes)
    return outcomes


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901): tag names may hold ``/`` or ``~``."""
    return token.replace("~", "~0").replace("/", "~1")


def check_tags(tags: Any, pointer: str) -> None:
    """``tags``: an object of tag name -> list of ``{"label", "level"}``, level none/info/warning/error."""
    if tags is None:
        return
    if not isinstance(tags, dict):
        raise Invalid("tags must be an object of tag name -> list of labels", pointer=pointer)
    for name, labels in tags.items():
        if not isinstance(labels, list):
            raise Invalid(f"tag {name!r} must be a list of labels", pointer=f"{pointer}/{escape(name)}")
        for index, label in enumerate(labels):
            at = f"{pointer}/{escape(name)}/{index}"
            if not isinstance(label, dict) or not isinstance(label.get("label"), str):
                raise Invalid("a tag needs a string label", pointer=f"{at}/label")
            level = label.get("level", "none")
            if level not in TASK_TAG_LEVELS:
                raise Invalid(
                    f"tag level must be one of {', '.join(TASK_TAG_LEVELS)}, got {level!r}",
                    pointer=f"{at}/level",
                )


# -- the app -------------------------------------------------------------------------------------------------------


def install_error_handlers(app: FastAPI) -> None:
    """Every error body is a JSON:API error document, including FastAPI's own 404/405/422 and crashes."""

    async def on_emulator_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EmulatorError)
        return jsonapi.error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "error")
        body = jsonapi.error_document(exc.status_code, title)
        return JsonApiResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        return JsonApiResponse(jsonapi.error_document(422, "invalid request", str(exc)), status_code=422)

    async def on_crash(request: Request, exc: Exception) -> Response:
        detail = f"{type(exc).__name__}: {exc}"
        return JsonApiResponse(jsonapi.error_document(500, "internal server error", detail), status_code=500)

    app.add_exception_handler(EmulatorError, on_emulator_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_crash)
