"""Asynchronous Terraform Cloud client on aiohttp + tenacity (triggers, which must never block).

It drives the same flows as the sync client (:mod:`tfc_sentinel.tfc.calls`), so both behave alike
by construction; only the transport differs.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import tenacity

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


def _ssl_context(config: TfcConfig) -> ssl.SSLContext | bool:
    if not config.verify_tls:
        return False
    return ssl.create_default_context(cafile=config.ca_bundle) if config.ca_bundle else True


class AsyncTfcClient:
    """Async twin of :class:`~tfc_sentinel.tfc.client.TfcClient`; ``async with`` it."""

    def __init__(self, config: TfcConfig) -> None:
        self.config = config
        self._ssl = _ssl_context(config)
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=config.connect_timeout, sock_read=config.read_timeout
        )
        self._api: aiohttp.ClientSession | None = None
        self._blob: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AsyncTfcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        for session in (self._api, self._blob):
            if session is not None:
                await session.close()
        self._api = self._blob = None

    def __repr__(self) -> str:
        return f"AsyncTfcClient(origin={self.config.origin!r})"

    def _session(self, blob: bool = False) -> aiohttp.ClientSession:
        # Sessions are created lazily, inside the running event loop, as aiohttp requires.
        if blob:
            if self._blob is None:
                # A separate plain session for the blob host: no token, no cookies, no decoding.
                self._blob = aiohttp.ClientSession(
                    timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
                )
            return self._blob
        if self._api is None:
            self._api = aiohttp.ClientSession(timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar())
        return self._api

    # -- transport ---------------------------------------------------------------------------------

    async def _send_once(self, request: ApiRequest) -> ApiResponse:
        path = request.display_path
        try:
            async with self._session().request(
                request.method,
                self.config.url(request.path),
                params=request.params,
                data=request.encoded_body(),
                headers=request.headers(self.config.token, self.config.user_agent),
                allow_redirects=False,
                ssl=self._ssl,
            ) as response:
                body = await response.read()
                status, headers = response.status, response.headers
        except TimeoutError as exc:
            raise TfcTimeoutError(request.method, path, f"timed out ({type(exc).__name__})") from None
        except aiohttp.ClientError as exc:
            raise TfcConnectionError(request.method, path, failure_reason(exc, request.secret_url)) from None
        log.debug("%s %s -> %s", request.method, path, status)
        return calls.check_response(request, status, headers, body)

    async def _send(self, request: ApiRequest) -> ApiResponse:
        kwargs = self.config.retry.tenacity_kwargs(
            request.method, request.display_path, request.is_idempotent
        )
        return await tenacity.AsyncRetrying(**kwargs)(self._send_once, request)

    async def _drive(self, flow: Flow[T]) -> T:
        """Run a flow of calls: send each request it yields, feed back the answer or the error."""
        try:
            request = next(flow)
            while True:
                try:
                    response = await self._send(request)
                except TfcError as exc:
                    request = flow.throw(exc)
                else:
                    request = flow.send(response)
        except StopIteration as stop:
            return stop.value

    # -- API ---------------------------------------------------------------------------------------

    async def ping(self) -> PingInfo:
        return await self._drive(calls.ping())

    async def list_organizations(self) -> list[Organization]:
        return await self._drive(calls.list_organizations())

    async def list_workspaces(self, organization: str) -> list[Workspace]:
        return await self._drive(calls.list_workspaces(organization))

    async def get_workspace(self, organization: str, name: str) -> Workspace:
        return await self._drive(calls.get_workspace(organization, name))

    async def get_workspace_by_id(self, workspace_id: str) -> Workspace:
        return await self._drive(calls.get_workspace_by_id(workspace_id))

    async def get_run(self, run_id: str) -> Run:
        return await self._drive(calls.get_run(run_id))

    async def list_runs(self, workspace_id: str, **filters: Any) -> RunPage:
        return await self._drive(calls.list_runs(workspace_id, **filters))

    async def get_plan(self, plan_id: str) -> Plan:
        return await self._drive(calls.get_plan(plan_id))

    async def get_plan_export(self, export_id: str) -> PlanExport:
        return await self._drive(calls.get_plan_export(export_id))

    async def create_plan_export(self, plan_id: str) -> PlanExport:
        return await self._drive(calls.create_plan_export(plan_id))

    async def create_or_reuse_plan_export(self, plan_id: str) -> PlanExport:
        return await self._drive(calls.create_or_reuse_plan_export(plan_id))

    async def wait_for_plan_export(
        self, export_id: str, timeout: float = 600.0, poll_interval: float = 2.0
    ) -> PlanExport:
        """Poll until the export is final; return it if finished, else raise why it is not."""
        started = time.monotonic()
        while True:
            export = await self.get_plan_export(export_id)
            if not export.is_waiting:
                return calls.require_finished(export)
            waited = time.monotonic() - started
            if waited >= timeout:
                raise PlanExportTimeoutError(export_id, export.status, waited)
            await asyncio.sleep(min(poll_interval, timeout - waited))

    async def delete_plan_export(self, export_id: str) -> bool:
        return await self._drive(calls.delete_plan_export(export_id))

    async def create_run_comment(self, run_id: str, body: str) -> Comment:
        return await self._drive(calls.create_run_comment(run_id, body))

    async def list_run_comments(self, run_id: str) -> list[Comment]:
        return await self._drive(calls.list_run_comments(run_id))

    async def update_task_result(
        self,
        callback_url: str,
        access_token: str,
        status: str,
        message: str,
        url: str | None = None,
        outcomes: Iterable[TaskResultOutcome] = (),
    ) -> None:
        await self._drive(
            calls.update_task_result(callback_url, access_token, status, message, url, outcomes)
        )

    async def download_plan_export(self, export_id: str, dest: str | Path) -> Path:
        """Stream a finished export's archive to ``dest``; see the sync client for the rules."""
        target = Path(dest)
        path = f"/plan-exports/{export_id}/download"
        kwargs = self.config.retry.tenacity_kwargs("GET", path, idempotent=True)
        await tenacity.AsyncRetrying(**kwargs)(self._download_once, export_id, target)
        return target

    async def _download_once(self, export_id: str, target: Path) -> None:
        location = await self._drive(calls.download_location(export_id))
        url = resolve_location(self.config.url(f"/plan-exports/{export_id}/download"), location)
        # Without the method: DownloadError puts "GET" in front (the message once read "GET GET ...").
        where = f"/plan-exports/{export_id}/download (blob host {blob_host(url)})"
        log.info("downloading plan export %s from blob host %s", export_id, blob_host(url))
        with hiding_url(url):
            await self._fetch_blob(url, target, where)

    async def _fetch_blob(self, url: str, target: Path, where: str) -> None:
        try:
            async with self._session(blob=True).get(url, ssl=self._ssl) as response:
                if response.status != 200:
                    raise DownloadError("GET", where, f"blob host answered HTTP {response.status}")
                received = 0
                with atomic_file(target) as fh:
                    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                        await asyncio.to_thread(fh.write, chunk)  # disk writes stay off the event loop
                        received += len(chunk)
                    if problem := check_length(response.headers.get("Content-Length"), received):
                        raise DownloadError("GET", where, problem)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownloadError("GET", where, failure_reason(exc, url)) from None
