"""Run the emulator: API and blob host on two ports, one process, one background thread, one event loop.

``EmulatorServer`` is what tests, the demo and the CLI use::

    with EmulatorServer() as emu:              # free ports
        requests.get(f"{emu.api_url}/api/v2/runs/run-3YMjH7RcU18bXbD9",
                     headers={"Authorization": f"Bearer {emu.token}"})
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from tfc_sentinel.emulator.api import APP_NAME, install_error_handlers
from tfc_sentinel.emulator.api import router as api_router
from tfc_sentinel.emulator.blob import create_blob_app
from tfc_sentinel.emulator.config import EmulatorConfig
from tfc_sentinel.emulator.middleware import EmulatorMiddleware
from tfc_sentinel.emulator.state import EmulatorState

WILDCARD_HOSTS = ("0.0.0.0", "::", "")
T = TypeVar("T")


def create_api_app(state: EmulatorState, blob_port: int, blob_base_url: str | None = None) -> FastAPI:
    """The API app with the admin routes. Blob URLs go to ``blob_base_url``, or when that is None to the
    host name the client used for the API with ``blob_port`` (right for a wildcard bind behind a name).
    Notification configurations and run tasks (the emulator as webhook sender) come with their routes."""
    from tfc_sentinel.emulator import notifications, runtasks
    from tfc_sentinel.emulator.admin import router as admin_router

    app = FastAPI(title=APP_NAME, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    app.state.blob_port = blob_port
    app.state.blob_base_url = blob_base_url
    app.include_router(api_router)
    app.include_router(notifications.router)
    app.include_router(runtasks.router)
    app.include_router(admin_router)
    app.include_router(runtasks.admin_router)
    install_error_handlers(app)
    return app


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. The protocol is named explicitly: asyncio only disables Nagle's algorithm
    on accepted sockets whose ``proto`` is IPPROTO_TCP, and without that every keep-alive response with
    a body waits ~40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def _url_host(host: str) -> str:
    """The host to put in URLs for local clients: loopback for a wildcard bind, brackets for IPv6."""
    if host in WILDCARD_HOSTS:
        host = "::1" if host == "::" else "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class EmulatorServer:
    """A running emulator. ``start()`` binds (port 0 = a free port), serves in a daemon thread and waits
    until ``GET /api/v2/ping`` answers; ``stop()`` shuts both servers down. Also a context manager."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        blob_port: int = 0,
        fixtures_dir: Path | str | None = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """``tls`` = (certificate PEM, key PEM) serves both hosts over HTTPS, as Terraform Enterprise does."""
        self.state = EmulatorState(config, fixtures_dir)
        self.host = host
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self._ports = (port, blob_port)
        self.port = 0
        self.blob_port = 0
        self._servers: list[tuple[uvicorn.Server, socket.socket]] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    # -- addresses and credentials ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL of the API host, e.g. ``http://127.0.0.1:8750`` (append ``/api/v2/...``)."""
        return f"{self.scheme}://{_url_host(self.host)}:{self.port}"

    @property
    def blob_url(self) -> str:
        return f"{self.scheme}://{_url_host(self.host)}:{self.blob_port}"

    @property
    def tokens(self) -> dict[str, str]:
        """User name -> that user's first bearer token (fixture tokens come before configured ones)."""
        store = self.state.store
        by_user = {user.username: store.tokens_of(user.id) for user in store.users.values()}
        return {name: tokens[0] for name, tokens in by_user.items() if tokens}

    @property
    def token(self) -> str:
        """The main token: the configured one (CLI ``--token``), else the first fixture user's."""
        if self.state.config.tokens:
            return next(iter(self.state.config.tokens))
        return next(iter(self.tokens.values()))

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("this emulator is already started")
        api_sock = _listen(self.host, self._ports[0])
        try:
            blob_sock = _listen(self.host, self._ports[1])
        except OSError:
            api_sock.close()
            raise
        self.port, self.blob_port = api_sock.getsockname()[1], blob_sock.getsockname()[1]
        blob_base = None if self.host in WILDCARD_HOSTS else self.blob_url
        apps = [
            (
                EmulatorMiddleware(create_api_app(self.state, self.blob_port, blob_base), self.state, "api"),
                api_sock,
            ),
            (EmulatorMiddleware(create_blob_app(self.state), self.state, "blob"), blob_sock),
        ]
        for app, sock in apps:
            config = uvicorn.Config(
                app,
                lifespan="off",
                log_config=None,  # leave the host process's logging alone (pytest, Airflow)
                log_level="warning",
                access_log=False,
                proxy_headers=False,  # keep uvicorn's own send callable reaching our middleware
                timeout_graceful_shutdown=1,
                ssl_certfile=self.tls[0] if self.tls else None,
                ssl_keyfile=self.tls[1] if self.tls else None,
            )
            self._servers.append((uvicorn.Server(config), sock))
        self._thread = threading.Thread(target=self._serve, name="tfc-sentinel-emulator", daemon=True)
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def _serve(self) -> None:
        async def serve_all() -> None:
            self._loop = asyncio.get_running_loop()
            await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in self._servers))

        try:
            asyncio.run(serve_all())
        except BaseException as exc:  # surfaced by start() / stop(); a thread cannot raise to its starter
            self._error = exc

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.api_url}/api/v2/ping"
        # The readiness probe only asks "is it listening?": certificate checks are the clients' business.
        context = ssl._create_unverified_context() if self.tls else None
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1, context=context) as response:
                    if response.status == 204:
                        return
            except (urllib.error.URLError, OSError):
                pass
            assert self._thread is not None
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                reason = f": {self._error!r}" if self._error else ""
                raise RuntimeError(f"the emulator did not answer {url} within {timeout:g} s{reason}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        for _, sock in self._servers:
            sock.close()
        self._servers.clear()
        self._thread = None
        self._loop = None

    def wait(self) -> None:
        """Block until the servers stop (the CLI serves until Ctrl-C this way)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- admin shortcuts (same process; out-of-process tests use the /_emulator routes) --------------------

    def _on_loop(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the server's event loop, between requests, as the admin routes do: a reset
        from the test thread then never lands in the middle of a handler reading the store."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return action()

        async def call() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def reset(self) -> None:
        """Back to the fixtures: data, configuration, faults, counters, rate limits, clock."""
        self._on_loop(self.state.reset)

    def advance_clock(self, seconds: float) -> None:
        self._on_loop(lambda: self.state.clock.advance(seconds))

    def revoke_token(self, token: str) -> bool:
        """``POST /_emulator/tokens/revoke``: the token gets 401 from now on (until ``reset``)."""
        return self._on_loop(lambda: self.state.store.revoke_token(token))

    def granted_blob_secrets(self) -> list[str]:
        """Every blob secret ``/download`` handed out since the last reset (leak scans look for them)."""
        return self._on_loop(lambda: list(self.state.store.granted_blob_secrets))

    def freeze_clock(self, frozen: bool = True) -> None:
        """Stop the emulator clock (rate-limit buckets stop refilling), or restart it."""
        self._on_loop(lambda: self.state.clock.freeze(frozen))

    def configure(self, **changes: Any) -> None:
        """Change tunable settings, e.g. ``configure(export_delay=0.2, retry_after=True)``."""
        self._on_loop(lambda: self.state.config.update(changes))

    def add_faults(self, *rules: dict[str, Any], export_outcomes: dict[str, Any] | None = None) -> None:
        """Add fault rules and export outcome switches (same JSON shapes as ``POST /_emulator/faults``)."""
        body = {"rules": list(rules), "export_outcomes": export_outcomes or {}}
        self._on_loop(lambda: self.state.faults.add(body))

    def snapshot(self) -> dict[str, Any]:
        """The ``GET /_emulator/state`` counters."""
        return self._on_loop(self.state.snapshot)

    def create_task_result(
        self,
        run_id: str,
        stage: str = "post_plan",
        *,
        enforcement_level: str = "mandatory",
        require_code: bool = False,
    ) -> dict[str, Any]:
        """A pending run-task result, as ``POST /_emulator/task-results``: ``id``, ``callback_url`` (on
        ``api_url``), ``access_token``, ``status``. Unchecked arguments: the admin route validates."""
        result = self._on_loop(
            lambda: self.state.store.create_task_result(run_id, stage, enforcement_level, require_code)
        )
        return result.handout(self.api_url)

    def task_result(self, task_result_id: str) -> dict[str, Any]:
        """``GET /_emulator/task-results/{id}``: status, message, url, outcomes, PATCHes; no token."""
        return self._on_loop(lambda: self.state.store.describe_task_result(task_result_id))
