"""The FastAPI app behind the "Policy results" views (mounted by the api-server at ``/tfc-sentinel``).

Routes (all ``GET``, all need a logged-in Airflow user, see :mod:`tfc_sentinel.ui.auth`):

- ``/`` - overview: recent checks of the DAGs the user may read, filters (``period``, ``workspace``,
  ``outcome``, ``policy``, ``dag_id``), per-policy pass rate;
- ``/runs/{dag_id}/{run_id}`` - one DAG run's results (the DAG-run tab);
- ``/runs/{dag_id}/{run_id}/reports/{task_id}/{map_index}/{filename}`` - a stored report file
  (``report.json``, ``report.junit.xml``, ``report.html``, ``report.md``, ``tests.*``). The file is
  looked up in that check's XCom summary; no request value is ever used as a path.

Routes are plain ``def`` functions: FastAPI runs them in its thread pool, which is what blocking DB
queries and file reads need, so the api-server's event loop never waits on them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from . import auth, data, pages
from .data import REPORT_KINDS, Check, Filters, ReportUnavailable
from .pages import SECURITY_HEADERS, CheckSection, Download

__all__ = ["create_app"]

CurrentUser = Annotated[Any, Depends(auth.current_user)]

# Download name -> (report kind, format); the formats and suffixes are the operator's (REPORT_FILES).
_DOWNLOADS: Final = {
    data.report_file_name(kind, fmt): (kind, fmt) for kind in REPORT_KINDS for fmt in data.REPORT_FILES
}
_MEDIA_TYPES: Final = {
    "json": "application/json",
    "junit": "application/xml",
    "html": "text/html",
    "markdown": "text/markdown",
}
_LABELS: Final = {"json": "JSON", "junit": "JUnit XML", "html": "HTML", "markdown": "Markdown"}
# A stored HTML report opened from here runs nothing and loads nothing, even if a policy printed markup.
_REPORT_CSP: Final = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


def _base(request: Request) -> str:
    """The app's mount path as the browser sees it (Airflow's base path + ``/tfc-sentinel``)."""
    return str(request.scope.get("root_path") or "").rstrip("/")


def _html(text: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status_code, headers=dict(SECURITY_HEADERS))


def _session() -> Any:
    from airflow.utils.session import create_session

    return create_session()


def _check_access(user: Any, dag_id: str) -> None:
    if not auth.can_read_dag_runs(user, dag_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"You may not read the runs of DAG {dag_id}.")


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:150]


def _downloads(check: Check, kind: str, base: str) -> list[Download]:
    found = []
    for fmt in data.REPORT_FILES:
        if check.report_location(kind, fmt) is None:
            continue
        name = data.report_file_name(kind, fmt)
        href = pages.path(
            base, "runs", check.dag_id, check.dag_run_id, "reports", check.task_id, str(check.map_index), name
        )
        filename = _safe_name(f"{check.dag_id}__{check.dag_run_id}__{check.key}__{name}")
        found.append(Download(_LABELS[fmt], href, filename))
    return found


def _section(check: Check, base: str) -> CheckSection:
    """One check with its reports parsed; a missing or unreadable file becomes a note, not an error page."""
    section = CheckSection(check)
    location = check.report_location("report", "json")
    if location is None:
        section.report_error = "the task recorded no JSON report"
    else:
        try:
            section.report = data.load_report(location)
        except ReportUnavailable as exc:
            section.report_error = str(exc)
    if check.tests is not None:
        tests_location = check.report_location("tests", "json")
        if tests_location is not None:
            try:
                section.tests = data.load_report(tests_location)
            except ReportUnavailable as exc:
                section.tests_error = str(exc)
    section.downloads = _downloads(check, "report", base)
    section.test_downloads = _downloads(check, "tests", base)
    return section


def create_app() -> FastAPI:
    """The app; the api-server builds it on the first request (see :mod:`tfc_sentinel.ui.plugin`)."""
    app = FastAPI(
        title="tfc-sentinel policy results",
        description="Sentinel policy results of Airflow DAG runs (tfc-sentinel).",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """HTML for people (the iframe, a browser tab), JSON for API clients; status kept either way."""
        headers = dict(exc.headers or {})
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        titles = {401: "Not logged in", 403: "Not allowed", 404: "Not found"}
        login = auth.login_url() if exc.status_code == status.HTTP_401_UNAUTHORIZED else None
        if login and not login.startswith(("/", "http://", "https://")):
            login = None
        page = pages.error_page(
            exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), login=login
        )
        response = _html(page, exc.status_code)
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": "bad request"}, status_code=status.HTTP_400_BAD_REQUEST)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, user: CurrentUser) -> HTMLResponse:
        """Recent checks of readable DAGs, filtered; the period is applied in SQL, the rest here."""
        filters = Filters.parse(request.query_params)
        dag_ids = auth.readable_dag_ids(user)
        with _session() as session:
            checks, skipped = data.query_checks(session, dag_ids, since=filters.since(datetime.now(UTC)))
        shown = data.filter_checks(checks, filters)
        page = pages.overview_page(
            shown,
            data.pass_rates(shown, only=filters.policy),
            filters,
            base=_base(request),
            workspaces=sorted({c.workspace for c in checks if c.workspace} | {filters.workspace} - {""}),
            policies=sorted({p["name"] for c in checks for p in c.policies} | {filters.policy} - {""}),
            dag_ids=sorted({c.dag_id for c in checks}),
            capped=len(checks) + skipped >= data.MAX_CHECKS,
            user=auth.user_name(user),
        )
        return _html(page)

    @app.get("/runs/{dag_id}/{run_id}", response_class=HTMLResponse)
    def run_results(request: Request, dag_id: str, run_id: str, user: CurrentUser) -> HTMLResponse:
        """The DAG-run tab: every policy check of the run, with the full reports when readable."""
        _check_access(user, dag_id)
        with _session() as session:
            view = data.load_run(session, dag_id, run_id)
        if view is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"DAG {dag_id} has no run {run_id}.")
        base = _base(request)
        sections = [_section(check, base) for check in view.checks]
        return _html(pages.run_page(view, sections, base=base, user=auth.user_name(user)))

    @app.get("/runs/{dag_id}/{run_id}/reports/{task_id}/{map_index}/{filename}")
    def report_file(
        dag_id: str, run_id: str, task_id: str, map_index: int, filename: str, user: CurrentUser
    ) -> Response:
        """A stored report, found through the check's XCom summary (never from a path in the request)."""
        _check_access(user, dag_id)
        if filename not in _DOWNLOADS:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"No report named {filename}.")
        kind, fmt = _DOWNLOADS[filename]
        with _session() as session:
            checks, _ = data.query_checks(session, {dag_id}, dag_id=dag_id, run_id=run_id)
        check = next((c for c in checks if c.task_id == task_id and c.map_index == map_index), None)
        location = check.report_location(kind, fmt) if check is not None else None
        if check is None or location is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"This check stored no {filename}.")
        try:
            content = data.read_report_bytes(location)
        except ReportUnavailable as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        download = _safe_name(f"{dag_id}__{run_id}__{check.key}__{filename}")
        headers = {
            "Content-Disposition": f'attachment; filename="{download}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": _REPORT_CSP,
        }
        return Response(content, media_type=f"{_MEDIA_TYPES[fmt]}; charset=utf-8", headers=headers)

    return app
