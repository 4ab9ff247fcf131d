"""Synchronous Terraform Cloud client on requests + tenacity (operators, CLI, demo)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
import tenacity
import urllib3

from tfc_sentinel.tfc import calls
from tfc_sentinel.tfc.calls import ApiRequest, ApiResponse, Flow, failure_reason
from tfc_sentinel.tfc.config import TfcConfig
from tfc_sentinel.tfc.download import (
    CHUNK_SIZE,
    atomic_file,
    blob_host,
    check_length,
    hiding_url,
    resolve_location,
)
from tfc_sentinel.tfc.errors import (
    DownloadError,
    PlanExportTimeoutError,
    TfcConnectionError,
    TfcError,
    TfcTimeoutError,
)
from tfc_sentinel.tfc.models import (
    Comment,
    Organization,
    PingInfo,
    Plan,
    PlanExport,
    Run,
    RunPage,
    TaskResultOutcome,
    Workspace,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An explicit no-op auth: stops requests from adding ~/.netrc credentials to blob requests."""
    return request


class TfcClient:
    """Terraform Cloud / Enterprise API client. Use as a context manager, or call ``close()``."""

    def __init__(self, config: TfcConfig) -> None:
        self.config = config
        self._verify: bool | str = config.ca_bundle or config.verify_tls
        self._api = requests.Session()
        self._blob = requests.Session()  # no token, ever: the blob host gets a plain client
        self._blob.auth = _no_auth

    def __enter__(self) -> TfcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._blob.close()

    def __repr__(self) -> str:
        return f"TfcClient(origin={self.config.origin!r})"

    # -- transport ---------------------------------------------------------------------------------

    def _send_once(self, request: ApiRequest) -> ApiResponse:
        path = request.display_path
        try:
            response = self._api.request(
                request.method,
                self.config.url(request.path),
                params=request.params,
                data=request.encoded_body(),
                headers=request.headers(self.config.token, self.config.user_agent),
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                allow_redirects=False,
                verify=self._verify,
            )
            body = response.content
        except requests.Timeout as exc:
            raise TfcTimeoutError(request.method, path, failure_reason(exc, request.secret_url)) from None
        except requests.RequestException as exc:
            raise TfcConnectionError(request.method, path, failure_reason(exc, request.secret_url)) from None
        log.debug("%s %s -> %s", request.method, path, response.status_code)
        return calls.check_response(request, response.status_code, response.headers, body)

    def _send(self, request: ApiRequest) -> ApiResponse:
        kwargs = self.config.retry.tenacity_kwargs(
            request.method, request.display_path, request.is_idempotent
        )
        return tenacity.Retrying(**kwargs)(self._send_once, request)

    def _drive(self, flow: Flow[T]) -> T:
        """Run a flow of calls: send each request it yields, feed back the answer or the error."""
        try:
            request = next(flow)
            while True:
                try:
                    response = self._send(request)
                except TfcError as exc:
                    request = flow.throw(exc)
                else:
                    request = flow.send(response)
        except StopIteration as stop:
            return stop.value

    # -- API ---------------------------------------------------------------------------------------

    def ping(self) -> PingInfo:
        return self._drive(calls.ping())

    def list_organizations(self) -> list[Organization]:
        return self._drive(calls.list_organizations())

    def list_workspaces(self, organization: str) -> list[Workspace]:
        return self._drive(calls.list_workspaces(organization))

    def get_workspace(self, organization: str, name: str) -> Workspace:
        return self._drive(calls.get_workspace(organization, name))

    def get_workspace_by_id(self, workspace_id: str) -> Workspace:
        return self._drive(calls.get_workspace_by_id(workspace_id))

    def get_run(self, run_id: str) -> Run:
        return self._drive(calls.get_run(run_id))

    def list_runs(self, workspace_id: str, **filters: Any) -> RunPage:
        """One page; ``filters``: page, page_size, statuses, operations, status_group."""
        return self._drive(calls.list_runs(workspace_id, **filters))

    def iter_runs(self, workspace_id: str, **filters: Any) -> Iterator[Run]:
        """Every run across pages, newest first (mind the 30 requests/minute limit on run lists)."""
        page: int | None = filters.pop("page", 1)
        while page:
            result = self.list_runs(workspace_id, page=page, **filters)
            yield from result.runs
            page = result.pagination.next_page

    def get_plan(self, plan_id: str) -> Plan:
        return self._drive(calls.get_plan(plan_id))

    def get_plan_export(self, export_id: str) -> PlanExport:
        return self._drive(calls.get_plan_export(export_id))

    def create_plan_export(self, plan_id: str) -> PlanExport:
        return self._drive(calls.create_plan_export(plan_id))

    def create_or_reuse_plan_export(self, plan_id: str) -> PlanExport:
        return self._drive(calls.create_or_reuse_plan_export(plan_id))

    def wait_for_plan_export(
        self, export_id: str, timeout: float = 600.0, poll_interval: float = 2.0
    ) -> PlanExport:
        """Poll until the export is final; return it if finished, else raise why it is not."""
        started = time.monotonic()
        while True:
            export = self.get_plan_export(export_id)
            if not export.is_waiting:
                return calls.require_finished(export)
            waited = time.monotonic() - started
            if waited >= timeout:
                raise PlanExportTimeoutError(export_id, export.status, waited)
            time.sleep(min(poll_interval, timeout - waited))

    def delete_plan_export(self, export_id: str) -> bool:
        return self._drive(calls.delete_plan_export(export_id))

    def create_run_comment(self, run_id: str, body: str) -> Comment:
        return self._drive(calls.create_run_comment(run_id, body))

    def list_run_comments(self, run_id: str) -> list[Comment]:
        return self._drive(calls.list_run_comments(run_id))

    def update_task_result(
        self,
        callback_url: str,
        access_token: str,
        status: str,
        message: str,
        url: str | None = None,
        outcomes: Iterable[TaskResultOutcome] = (),
    ) -> None:
        self._drive(calls.update_task_result(callback_url, access_token, status, message, url, outcomes))

    def download_plan_export(self, export_id: str, dest: str | Path) -> Path:
        """Stream a finished export's archive to ``dest``; on failure no file is left there.

        The 302 is followed here, not by requests, so the token never reaches the blob host. A
        failed transfer asks for a fresh URL and starts over, within the retry policy.
        """
        target = Path(dest)
        path = f"/plan-exports/{export_id}/download"
        kwargs = self.config.retry.tenacity_kwargs("GET", path, idempotent=True)
        tenacity.Retrying(**kwargs)(self._download_once, export_id, target)
        return target

    def _download_once(self, export_id: str, target: Path) -> None:
        location = self._drive(calls.download_location(export_id))
        url = resolve_location(self.config.url(f"/plan-exports/{export_id}/download"), location)
        # Without the method: DownloadError puts "GET" in front (the message once read "GET GET ...").
        where = f"/plan-exports/{export_id}/download (blob host {blob_host(url)})"
        log.info("downloading plan export %s from blob host %s", export_id, blob_host(url))
        with hiding_url(url):
            self._fetch_blob(url, target, where)

    def _fetch_blob(self, url: str, target: Path, where: str) -> None:
        try:
            with self._blob.get(
                url,
                stream=True,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                verify=self._verify,
            ) as response:
                if response.status_code != 200:
                    raise DownloadError("GET", where, f"blob host answered HTTP {response.status_code}")
                received = 0
                with atomic_file(target) as fh:
                    for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
                        fh.write(chunk)
                        received += len(chunk)
                    if problem := check_length(response.headers.get("Content-Length"), received):
                        raise DownloadError("GET", where, problem)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise DownloadError("GET", where, failure_reason(exc, url)) from None
