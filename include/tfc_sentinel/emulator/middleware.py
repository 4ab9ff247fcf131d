"""The one hook test-only behaviour has into the apps: request logging, fault injection, rate limiting.

``EmulatorMiddleware`` must wrap the FastAPI app from the outside (it is what uvicorn calls), because
dropping a connection needs uvicorn's own ``send`` callable (see ``faults.drop_connection``); Starlette's
middleware stack would hand it a wrapper. Admin routes (``/_emulator``) pass straight through: they are
never faulted, limited or logged, so a test can always inspect and reset.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tfc_sentinel.emulator.api import bearer_token
from tfc_sentinel.emulator.faults import drop_connection, run_with_fault
from tfc_sentinel.emulator.jsonapi import JsonApiResponse, rate_limit_document
from tfc_sentinel.emulator.models import User
from tfc_sentinel.emulator.state import EmulatorState

ADMIN_PREFIX = "/_emulator"


def route_template(app: Any, scope: Scope) -> str | None:
    """The path template of the route that will serve ``scope`` (``/api/v2/runs/{run_id}``), if any."""
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path
        if match is Match.PARTIAL and partial is None:
            partial = route.path  # right path, other method: still that endpoint for the counters
    return partial


class EmulatorMiddleware:
    """Wraps the API app (``kind="api"``) or the blob app (``kind="blob"``)."""

    def __init__(self, app: ASGIApp, state: EmulatorState, kind: Literal["api", "blob"]) -> None:
        self.app = app
        self.state = state
        self.kind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = bearer_token(headers) if self.kind == "api" else None
        user = self.state.store.user_for_token(token)
        entry: dict[str, Any] = {
            "app": self.kind,
            "method": scope["method"],
            "path": scope["path"],
            "template": route_template(self.app, scope),
            "status": None,
            "fault": None,
            "authorization": "authorization" in headers,
            "credential": self._credential(token, user),
            "user": user.id if user else None,
        }

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                if self.kind == "api":
                    response_headers = MutableHeaders(scope=message)
                    response_headers.setdefault(
                        "X-RateLimit-Limit", f"{self.state.config.rate_limit_per_second:g}"
                    )
            await send(message)

        def hidden_status(status: int) -> None:
            entry["status"] = status

        # Logged on arrival, completed in place: a reset racing an in-flight request then cannot
        # receive that request's entry afterwards.
        self.state.recorder.record(entry)
        generation = self.state.generation
        fault = self.state.faults.pick(scope["method"], scope["path"], entry["template"])
        if fault not in (None, "ok"):
            entry["fault"] = fault
            if await run_with_fault(fault, self.app, scope, receive, recording_send, send, hidden_status):
                return
            if self.state.generation != generation:
                # A slow request outlived a reset: it belongs to the world before it, so it must not
                # touch the fresh state (take a rate-limit token, create an export); drop it instead.
                await drop_connection(send, receive)
                return
        if self.kind == "api" and await self._rate_limited(scope, receive, recording_send, user, entry):
            return
        await self.app(scope, receive, recording_send)

    def _credential(self, token: str | None, user: User | None) -> str | None:
        """Which kind of bearer token came (never the token): tests prove a run-task callback carried the
        task result's access token and not the client's own API token."""
        if token is None:
            return None
        if user is not None:
            return "user"
        return "task-result" if self.state.store.task_result_for_token(token) else "unknown"

    async def _rate_limited(
        self, scope: Scope, receive: Receive, send: Send, user: User | None, entry: dict[str, Any]
    ) -> bool:
        client = scope.get("client") or ("unknown", 0)
        verdict = self.state.limiter.check(user.id if user else f"ip:{client[0]}", entry["template"])
        if verdict.allowed:
            return False
        headers = {"X-RateLimit-Limit": str(verdict.limit), "X-RateLimit-Reset": f"{verdict.reset:.3f}"}
        if self.state.config.retry_after:
            headers["Retry-After"] = str(max(1, math.ceil(verdict.reset)))  # HTTP allows whole seconds only
        await JsonApiResponse(rate_limit_document(), status_code=429, headers=headers)(scope, receive, send)
        return True
