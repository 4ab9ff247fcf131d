"""The API calls as I/O-free generators ("flows"), shared by the sync and the async client.

A flow yields the :class:`ApiRequest` it needs, receives the :class:`ApiResponse` (or has the
client's typed error thrown into it) and returns a model. The two clients only move bytes, so the
multi-step logic that matters most, such as recovering a plan-export POST whose answer was lost,
exists once and is tested once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tfc_sentinel.tfc.download import scrub
from tfc_sentinel.tfc.errors import (
    MalformedResponseError,
    NotFoundError,
    PlanExportFailedError,
    PlanNotExportableError,
    ServerError,
    TfcConnectionError,
    UnprocessableError,
    error_for_status,
)
from tfc_sentinel.tfc.models import (
    EXPORT_DATA_TYPE,
    Comment,
    DocumentError,
    Organization,
    PingInfo,
    Plan,
    PlanExport,
    Run,
    RunPage,
    TaskResultOutcome,
    Workspace,
)
from tfc_sentinel.tfc.retry import IDEMPOTENT_METHODS, rate_limit_delay

T = TypeVar("T")
JSONAPI = "application/vnd.api+json"
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request to the API. ``path`` is an API path, or an absolute URL for callbacks."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    body: Any = None
    expect: tuple[int, ...] = (200,)
    idempotent: bool | None = None
    token: str | None = field(default=None, repr=False)
    """Overrides the client's token (a run task's access token for its callback)."""

    @property
    def is_idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    @property
    def display_path(self) -> str:
        """What messages and logs may show: the path without host, query or fragment."""
        return urlsplit(self.path).path if "://" in self.path else self.path.split("?")[0]

    @property
    def secret_url(self) -> str | None:
        """A callback URL's query may carry a code: such a URL is kept out of messages."""
        return self.path if "?" in self.path else None

    def encoded_body(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()

    def headers(self, token: str, user_agent: str) -> dict[str, str]:
        """JSON:API headers; every mutating request carries the content type, even a bodiless DELETE."""
        headers = {"Accept": JSONAPI, "User-Agent": user_agent}
        bearer = self.token if self.token is not None else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if self.method in ("POST", "PATCH", "PUT", "DELETE"):
            headers["Content-Type"] = JSONAPI
        return headers


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


Flow = Generator[ApiRequest, ApiResponse, T]


def check_response(request: ApiRequest, status: int, headers: Mapping[str, str], body: bytes) -> ApiResponse:
    """Pass an expected status through; raise the typed error for any other."""
    if status in request.expect:
        return ApiResponse(status, headers, body)
    retry_after = rate_limit_delay(headers) if status == 429 else None
    raise error_for_status(
        request.method,
        request.display_path,
        status,
        body,
        headers.get("Content-Type", ""),
        retry_after=retry_after,
    )


def document(request: ApiRequest, response: ApiResponse) -> Any:
    """The response body as JSON, or MalformedResponseError naming the request."""
    try:
        return json.loads(response.body)
    except ValueError:
        excerpt = response.body[:80].decode("utf-8", errors="replace")
        raise MalformedResponseError(request.method, request.display_path, f"not JSON: {excerpt!r}") from None


def _model(request: ApiRequest, response: ApiResponse, parse: Any) -> Any:
    try:
        return parse(document(request, response))
    except DocumentError as exc:
        raise MalformedResponseError(request.method, request.display_path, str(exc)) from None


def failure_reason(exc: BaseException, secret_url: str | None = None) -> str:
    """An exception as text for an error message, with a secret URL removed from it."""
    text = f"{type(exc).__name__}: {exc}"
    return scrub(text, secret_url) if secret_url else text


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_id(value: str, what: str) -> str:
    """IDs go into URL paths: refuse anything that could change the path or query."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"{what} {value!r} is not a valid Terraform Cloud ID (letters, digits, '-', '_')")
    return value


# -- flows ---------------------------------------------------------------------------------------


def ping() -> Flow[PingInfo]:
    response = yield ApiRequest("GET", "/ping", expect=(200, 204))
    h = response.headers
    return PingInfo(
        api_version=h.get("TFP-API-Version"),
        tfe_version=h.get("X-TFE-Version"),
        app_name=h.get("TFP-AppName"),
        rate_limit=h.get("X-RateLimit-Limit"),
    )


def get_run(run_id: str) -> Flow[Run]:
    request = ApiRequest("GET", f"/runs/{_check_id(run_id, 'run ID')}")
    return _model(request, (yield request), Run.from_document)


def get_plan(plan_id: str) -> Flow[Plan]:
    request = ApiRequest("GET", f"/plans/{_check_id(plan_id, 'plan ID')}")
    return _model(request, (yield request), Plan.from_document)


def get_workspace(organization: str, name: str) -> Flow[Workspace]:
    path = (
        f"/organizations/{_check_id(organization, 'organization')}/workspaces/{_check_id(name, 'workspace')}"
    )
    request = ApiRequest("GET", path)
    return _model(request, (yield request), Workspace.from_document)


def get_workspace_by_id(workspace_id: str) -> Flow[Workspace]:
    """A workspace by ID (a run only names its workspace's ID; its name and organization build app URLs)."""
    request = ApiRequest("GET", f"/workspaces/{_check_id(workspace_id, 'workspace ID')}")
    return _model(request, (yield request), Workspace.from_document)


def list_runs(
    workspace_id: str,
    *,
    page: int = 1,
    page_size: int = 20,
    statuses: Iterable[str] = (),
    operations: Iterable[str] = (),
    status_group: str | None = None,
) -> Flow[RunPage]:
    """One page of a workspace's runs, newest first. Plan-only runs come only if asked for."""
    params = {"page[number]": str(page), "page[size]": str(min(max(page_size, 1), MAX_PAGE_SIZE))}
    if statuses := ",".join(statuses):
        params["filter[status]"] = statuses
    if operations := ",".join(operations):
        params["filter[operation]"] = operations
    if status_group:
        params["filter[status_group]"] = status_group
    request = ApiRequest("GET", f"/workspaces/{_check_id(workspace_id, 'workspace ID')}/runs", params=params)
    return _model(request, (yield request), RunPage.from_document)


def _all_pages(path: str) -> Flow[list[Mapping[str, Any]]]:
    items: list[Mapping[str, Any]] = []
    page: int | None = 1
    while page:
        request = ApiRequest(
            "GET", path, params={"page[number]": str(page), "page[size]": str(MAX_PAGE_SIZE)}
        )
        doc = document(request, (yield request))
        data = doc.get("data") if isinstance(doc, Mapping) else None
        if not isinstance(data, list):
            raise MalformedResponseError(request.method, path, "expected a data array")
        items.extend(data)
        page = ((doc.get("meta") or {}).get("pagination") or {}).get("next-page")
    return items


def list_organizations() -> Flow[list[Organization]]:
    return [Organization.from_data(item) for item in (yield from _all_pages("/organizations"))]


def list_workspaces(organization: str) -> Flow[list[Workspace]]:
    path = f"/organizations/{_check_id(organization, 'organization')}/workspaces"
    return [Workspace.from_data(item) for item in (yield from _all_pages(path))]


def get_plan_export(export_id: str) -> Flow[PlanExport]:
    request = ApiRequest("GET", f"/plan-exports/{_check_id(export_id, 'plan export ID')}")
    return _model(request, (yield request), PlanExport.from_document)


def create_plan_export(plan_id: str) -> Flow[PlanExport]:
    """A single POST; 5xx and lost answers are not retried (see create_or_reuse_plan_export)."""
    body = {
        "data": {
            "type": "plan-exports",
            "attributes": {"data-type": EXPORT_DATA_TYPE},
            "relationships": {"plan": {"data": {"id": _check_id(plan_id, "plan ID"), "type": "plans"}}},
        }
    }
    request = ApiRequest("POST", "/plan-exports", body=body, expect=(201,))
    return _model(request, (yield request), PlanExport.from_document)


def delete_plan_export(export_id: str) -> Flow[bool]:
    """True if this call deleted it; False if it was already gone (a retried DELETE, or expired)."""
    request = ApiRequest(
        "DELETE", f"/plan-exports/{_check_id(export_id, 'plan export ID')}", expect=(204, 200)
    )
    try:
        yield request
    except NotFoundError:
        return False
    return True


def find_live_plan_export(plan: Plan) -> Flow[PlanExport | None]:
    """The newest pending, queued or finished export of the plan, found through relationships.exports."""
    live: list[PlanExport] = []
    for export_id in plan.export_ids:
        try:
            export = yield from get_plan_export(export_id)
        except NotFoundError:  # deleted between the two reads
            continue
        if export.is_live and export.data_type in (EXPORT_DATA_TYPE, ""):
            live.append(export)
    return max(live, key=lambda e: e.sort_key) if live else None


def create_or_reuse_plan_export(plan_id: str) -> Flow[PlanExport]:
    """Create the plan's export, or reuse a live one: safe to call again after any failure.

    ``POST /plan-exports`` is never repeated blindly. A 422 (an export is already pending or
    downloadable) or a lost answer (5xx, reset, timeout) may mean the export exists; the plan's
    ``relationships.exports`` tells, and only when no live export is listed is one more POST made.
    """
    plan = yield from get_plan(plan_id)
    if blocker := plan.export_blocker():
        raise PlanNotExportableError(blocker)
    existing = yield from find_live_plan_export(plan)
    if existing is not None:
        return existing
    try:
        return (yield from create_plan_export(plan_id))
    except (UnprocessableError, ServerError, TfcConnectionError) as failure:
        plan = yield from get_plan(plan_id)
        existing = yield from find_live_plan_export(plan)
        if existing is not None:
            return existing
        if isinstance(failure, UnprocessableError):
            if blocker := plan.export_blocker():
                raise PlanNotExportableError(blocker) from None
            raise
    # The POST failed before creating anything: one more attempt is safe.
    return (yield from create_plan_export(plan_id))


_FAILED_EXPORT_ADVICE = {
    "errored": "Terraform Cloud could not build the bundle; create a new export, and if it fails again "
    "check the plan in Terraform Cloud",
    "canceled": "the export was canceled; create a new export",
    "expired": "its bundle expired before it was downloaded (exports live one hour); create a new export",
}


def require_finished(export: PlanExport) -> PlanExport:
    """Return a finished export; raise PlanExportFailedError naming why any other final one failed."""
    if export.status == "finished":
        return export
    said = f" ({export.error_message})" if export.error_message else ""
    advice = _FAILED_EXPORT_ADVICE.get(export.status, "create a new export")
    raise PlanExportFailedError(
        export.id, export.status, f"plan export {export.id} ended {export.status!r}{said}: {advice}"
    )


def download_location(export_id: str) -> Flow[str]:
    """The blob URL the download redirects to (short-lived and secret: never log or store it)."""
    request = ApiRequest(
        "GET", f"/plan-exports/{_check_id(export_id, 'plan export ID')}/download", expect=(302,)
    )
    response = yield request
    location = response.headers.get("Location") or response.headers.get("location")
    if not location:
        raise MalformedResponseError(request.method, request.display_path, "302 without a Location header")
    return location


def create_run_comment(run_id: str, body: str) -> Flow[Comment]:
    """POST a comment; not retried on 5xx, since a repeat could post it twice."""
    payload = {"data": {"type": "comments", "attributes": {"body": body}}}
    request = ApiRequest("POST", f"/runs/{_check_id(run_id, 'run ID')}/comments", body=payload, expect=(201,))
    return _model(request, (yield request), Comment.from_document)


def list_run_comments(run_id: str) -> Flow[list[Comment]]:
    path = f"/runs/{_check_id(run_id, 'run ID')}/comments"
    return [Comment.from_document({"data": item}) for item in (yield from _all_pages(path))]


TASK_RESULT_STATUSES = frozenset({"passed", "failed", "running"})


def update_task_result(
    callback_url: str,
    access_token: str,
    status: str,
    message: str,
    url: str | None = None,
    outcomes: Iterable[TaskResultOutcome] = (),
) -> Flow[None]:
    """PATCH a run task's callback URL, verbatim, with the run task's own access token."""
    if status not in TASK_RESULT_STATUSES:
        raise ValueError(f"task result status must be one of {sorted(TASK_RESULT_STATUSES)}, not {status!r}")
    if not callback_url.startswith(("https://", "http://")):
        raise ValueError("task_result_callback_url must be the absolute URL Terraform Cloud sent")
    attributes: dict[str, Any] = {"status": status, "message": message[:1000] or status}
    if url:
        attributes["url"] = url[:500]
    data: dict[str, Any] = {"type": "task-results", "attributes": attributes}
    rows = [outcome.to_json() for outcome in outcomes][:250]
    if rows:
        data["relationships"] = {"outcomes": {"data": rows}}
    yield ApiRequest("PATCH", callback_url, body={"data": data}, expect=(200, 204), token=access_token)
    return None
