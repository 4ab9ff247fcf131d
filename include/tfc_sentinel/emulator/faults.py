"""Fault injection: make chosen requests fail the ways real networks and Terraform Cloud do.

Rules are set over admin HTTP (``POST /_emulator/faults``) so a test in another process can drive them.
A rule matches by method and path (a route template such as ``/api/v2/plan-exports/{export_id}``, or an
fnmatch glob against the request path) and yields faults from a scripted ``sequence`` or, with a
``probability``, one ``fault`` kind, at most ``times`` times.

Fault kinds: ``ok`` (no fault; useful inside sequences), ``429``, ``500``, ``502``, ``503`` (JSON:API
bodies), ``429-retry-after`` (a 429 with only ``Retry-After: 1``, as some proxies send), ``502-html`` (an
HTML page as a proxy sends), ``reset`` (TCP reset, no response), ``slow:<s>`` (wait, then answer
normally), ``lost`` (process the request, then reset instead of answering: "201 created but reply
lost"), ``truncate`` (headers with the full Content-Length, half the body, then close), and three
that act on a response body once it is under way, which is where downloads break:

- ``reset-midway``: headers with the full Content-Length, half the body, then a TCP reset;
- ``stall:<s>``: headers and half the body, then ``s`` seconds of silence (past a client's read
  timeout, or long enough to kill a worker mid-download), then the rest;
- ``corrupt:<variant>``: a 200 whose body is replaced, with a matching Content-Length so the transport
  cannot notice: ``garbage`` (not gzip), ``not-tar`` (a valid gzip of something else), ``bad-crc``
  (the gzip trailer damaged), ``short`` (the first half of the gzip stream), ``traversal`` (a tar member
  named ``../…``), ``symlink`` (a tar member that is a symlink to ``/etc/passwd``).

Export outcome switches (per plan, or ``*`` for all) make new plan exports end ``errored`` (with an
``error-message``), ``canceled``, or ``stuck`` in ``queued``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import gzip
import io
import random
import socket
import struct
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tfc_sentinel.emulator.jsonapi import JsonApiResponse, error_document, rate_limit_document
from tfc_sentinel.emulator.models import EXPORT_OUTCOMES

STATUS_FAULTS = {"429": "too many requests", "500": "internal server error", "502": "bad gateway"}
STATUS_FAULTS |= {"503": "service unavailable"}
CONNECTION_FAULTS = ("reset", "lost", "truncate", "reset-midway")
CORRUPTIONS = ("garbage", "not-tar", "bad-crc", "short", "traversal", "symlink")
FAULT_KINDS = (
    "ok",
    *STATUS_FAULTS,
    "429-retry-after",
    "502-html",
    *CONNECTION_FAULTS,
    "slow:<seconds>",
    "stall:<seconds>",
    "corrupt:<variant>",
)
TIMED_FAULTS = ("slow:", "stall:")
INJECTED_RATE_LIMIT_RESET = "0.100"
INJECTED_RETRY_AFTER = "1"
PROXY_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def check_fault(kind: Any) -> str:
    """Return ``kind`` if it names a fault, else raise ValueError listing the known ones."""
    if isinstance(kind, str):
        if kind in FAULT_KINDS and "<" not in kind:
            return kind
        if kind.startswith(TIMED_FAULTS):
            try:
                if float(kind.partition(":")[2]) >= 0:
                    return kind
            except ValueError:
                pass
        if kind.startswith("corrupt:") and kind.partition(":")[2] in CORRUPTIONS:
            return kind
    raise ValueError(
        f"unknown fault {kind!r}; use one of {', '.join(FAULT_KINDS)} "
        f"(corrupt variants: {', '.join(CORRUPTIONS)})"
    )


@dataclass
class FaultRule:
    """One rule; ``hits`` counts matching requests, ``fired`` the faults it injected (``ok`` excluded)."""

    id: str
    path: str
    method: str = "*"
    sequence: list[str] | None = None
    fault: str | None = None
    probability: float = 1.0
    times: int | None = None
    hits: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_json(cls, rule_id: str, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = set(raw) - {"method", "path", "sequence", "fault", "probability", "times", "seed"}
        if unknown:
            raise ValueError(f"unknown fault rule keys {sorted(unknown)}")
        path, method = raw.get("path"), raw.get("method", "*")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("a fault rule needs a 'path': a route template or glob starting with '/'")
        if not isinstance(method, str):
            raise ValueError("'method' must be a string such as 'POST' (or '*')")
        sequence, fault = raw.get("sequence"), raw.get("fault")
        if (sequence is None) == (fault is None):
            raise ValueError(
                "a fault rule needs exactly one of 'sequence' (a list) or 'fault' (with 'probability')"
            )
        if sequence is not None and (not isinstance(sequence, list) or not sequence):
            raise ValueError("'sequence' must be a non-empty list of faults")
        probability, times = raw.get("probability", 1.0), raw.get("times")
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not 0 <= probability <= 1
        ):
            raise ValueError("'probability' must be a number from 0 to 1")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError("'times' must be a positive integer")
        return cls(
            id=rule_id,
            path=path,
            method=method.upper(),
            sequence=[check_fault(k) for k in sequence] if sequence is not None else None,
            fault=check_fault(fault) if fault is not None else None,
            probability=float(probability),
            times=times,
            rng=random.Random(raw.get("seed")),
        )

    def matches(self, method: str, path: str, template: str | None) -> bool:
        if self.method not in ("*", method):
            return False
        return self.path in (path, template) or fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        if self.sequence is not None:
            return self.hits >= len(self.sequence)
        return self.times is not None and self.fired >= self.times

    def draw(self) -> str:
        """The fault for the next matching request (``ok`` when a probability roll says no)."""
        self.hits += 1
        if self.sequence is not None:
            kind = self.sequence[self.hits - 1]
        else:
            assert self.fault is not None
            kind = self.fault if self.rng.random() < self.probability else "ok"
        self.fired += kind != "ok"
        return kind

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "sequence": self.sequence,
            "fault": self.fault,
            "probability": self.probability,
            "times": self.times,
            "hits": self.hits,
            "fired": self.fired,
            "exhausted": self.exhausted,
        }


class FaultInjector:
    """The active rules and export outcome switches; thread-safe (admin and request handlers share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.rules: list[FaultRule] = []
            self.outcomes: dict[str, tuple[str, str | None]] = {}
            self._next_id = 1

    def add(self, raw: dict[str, Any]) -> None:
        """Add ``rules`` and set ``export_outcomes`` from an admin request; all-or-nothing."""
        unknown = set(raw) - {"rules", "export_outcomes"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; send 'rules' and/or 'export_outcomes'")
        raw_rules = raw.get("rules", [])
        if not isinstance(raw_rules, list):
            raise ValueError("'rules' must be a list of fault rules")
        outcomes = self._parse_outcomes(raw.get("export_outcomes", {}))
        with self._lock:
            rules = [FaultRule.from_json(f"fr-{self._next_id + i}", r) for i, r in enumerate(raw_rules)]
            self._next_id += len(rules)
            self.rules.extend(rules)
            for plan_id, outcome in outcomes.items():
                if outcome is None:
                    self.outcomes.pop(plan_id, None)
                else:
                    self.outcomes[plan_id] = outcome

    @staticmethod
    def _parse_outcomes(raw: Any) -> dict[str, tuple[str, str | None] | None]:
        if not isinstance(raw, dict):
            raise ValueError("'export_outcomes' must map a plan ID (or '*') to an outcome")
        parsed: dict[str, tuple[str, str | None] | None] = {}
        for plan_id, value in raw.items():
            if value is None:
                parsed[plan_id] = None
                continue
            spec = value if isinstance(value, dict) else {"outcome": value}
            outcome, message = spec.get("outcome"), spec.get("error_message")
            if outcome not in EXPORT_OUTCOMES:
                raise ValueError(
                    f"export outcome for {plan_id!r} must be one of {', '.join(EXPORT_OUTCOMES)} or null"
                )
            if message is not None and not isinstance(message, str):
                raise ValueError(f"error_message for {plan_id!r} must be a string")
            parsed[plan_id] = (outcome, message)
        return parsed

    def outcome_for(self, plan_id: str) -> tuple[str, str | None] | None:
        """The switch for this plan's next export, a plan-specific one winning over ``*``."""
        with self._lock:
            return self.outcomes.get(plan_id) or self.outcomes.get("*")

    def pick(self, method: str, path: str, template: str | None) -> str | None:
        """The fault for this request from the first live matching rule, or None."""
        with self._lock:
            for rule in self.rules:
                if not rule.exhausted and rule.matches(method, path, template):
                    return rule.draw()
        return None

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [rule.to_json() for rule in self.rules],
                "export_outcomes": {
                    plan_id: {"outcome": outcome, "error_message": message}
                    for plan_id, (outcome, message) in self.outcomes.items()
                },
            }


# -- carrying faults out at the ASGI level --------------------------------------------------------------------


def status_fault_response(kind: str) -> Response:
    if kind == "502-html":
        return HTMLResponse(PROXY_502_PAGE, status_code=502)
    if kind == "429":
        headers = {"X-RateLimit-Limit": "30", "X-RateLimit-Reset": INJECTED_RATE_LIMIT_RESET}
        return JsonApiResponse(rate_limit_document(), status_code=429, headers=headers)
    if kind == "429-retry-after":
        headers = {"X-RateLimit-Limit": "30", "Retry-After": INJECTED_RETRY_AFTER}
        return JsonApiResponse(rate_limit_document(), status_code=429, headers=headers)
    return JsonApiResponse(error_document(int(kind), STATUS_FAULTS[kind]), status_code=int(kind))


async def drop_connection(raw_send: Send, receive: Receive, *, graceful: bool = False) -> None:
    """Cut the client's TCP connection from inside an ASGI app served by uvicorn.

    ASGI has no "drop the connection" message, so this reaches uvicorn's transport through the bound
    ``send`` method of its request/response cycle (``send.__self__.transport``; true for uvicorn's
    httptools and h11 protocols, so the callable must be uvicorn's own, not a wrapper). ``graceful=False``
    sets SO_LINGER to 0 and aborts: the kernel sends a RST and the client sees "connection reset by peer".
    ``graceful=True`` flushes what was written, then closes with a FIN: the client sees a short body.
    Afterwards it waits for uvicorn to notice the disconnect, so uvicorn does not try to answer with 500.
    """
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError(
            "dropping a connection needs uvicorn's own ASGI send callable (bound to its cycle)"
        )
    if graceful:
        transport.close()
    else:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    try:
        async with asyncio.timeout(2):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


async def run_with_fault(
    kind: str,
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    raw_send: Send,
    on_hidden_status: Callable[[int], None],
) -> bool:
    """Carry out ``kind`` for one request; return False when the request should then proceed normally.

    ``send`` is the caller's (recording) send; ``raw_send`` is uvicorn's, needed to drop connections.
    ``on_hidden_status`` learns the status a ``lost`` reply would have had (e.g. 201: created, not told).
    """
    if kind == "ok":
        return False
    if kind.startswith("slow:"):
        await asyncio.sleep(float(kind[5:]))
        return False
    if kind == "reset":
        await drop_connection(raw_send, receive)
    elif kind == "lost":

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                on_hidden_status(message["status"])

        await app(scope, receive, swallow)
        await drop_connection(raw_send, receive)
    elif kind == "truncate":
        await _truncated(app, scope, receive, send, raw_send)
    elif kind == "reset-midway":
        await _cut_midway(app, scope, receive, send, raw_send)
    elif kind.startswith("stall:"):
        await _stalled(app, scope, receive, send, float(kind.partition(":")[2]))
    elif kind.startswith("corrupt:"):
        await _corrupted(app, scope, receive, send, kind.partition(":")[2])
    else:
        await status_fault_response(kind)(scope, receive, send)
    return True


async def _collected(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message | None, bytes]:
    """The app's whole response: its start message (None if it never started one) and its body."""
    start: Message | None = None
    body = bytearray()

    async def collect(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, collect)
    return start, bytes(body)


def _with_length(start: Message, length: int) -> Message:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(length).encode()))
    return {**start, "headers": headers}


async def _truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send, raw_send: Send) -> None:
    """Answer with the real headers (full Content-Length) and the first half of the real body, then close."""
    start, body = await _collected(app, scope, receive)
    if start is None:
        await drop_connection(raw_send, receive)
        return
    await send(_with_length(start, len(body)))
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    await drop_connection(raw_send, receive, graceful=True)


async def _cut_midway(app: ASGIApp, scope: Scope, receive: Receive, send: Send, raw_send: Send) -> None:
    """As ``truncate``, but the connection ends with a reset: "connection reset by peer" mid-download.

    A short pause lets the half body reach the client first, so the reset lands mid-stream rather than
    before the first byte (what the client then sees is still a reset, whichever comes first).
    """
    start, body = await _collected(app, scope, receive)
    if start is not None:
        await send(_with_length(start, len(body)))
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await asyncio.sleep(0.05)
    await drop_connection(raw_send, receive)


async def _stalled(app: ASGIApp, scope: Scope, receive: Receive, send: Send, seconds: float) -> None:
    """Headers and half the body, ``seconds`` of silence, then the rest (dropped if the client left)."""
    start, body = await _collected(app, scope, receive)
    if start is None:
        return
    await send(_with_length(start, len(body)))
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    await asyncio.sleep(seconds)
    await send({"type": "http.response.body", "body": body[len(body) // 2 :], "more_body": False})


async def _corrupted(app: ASGIApp, scope: Scope, receive: Receive, send: Send, variant: str) -> None:
    """The real response with a 200 body replaced by a damaged or hostile one of consistent length."""
    start, body = await _collected(app, scope, receive)
    if start is None:
        return
    if start["status"] == 200:
        body = corrupt_body(body, variant)
    await send(_with_length(start, len(body)))
    await send({"type": "http.response.body", "body": body, "more_body": False})


def corrupt_body(archive: bytes, variant: str) -> bytes:
    """A damaged or hostile stand-in for a bundle archive (``.tar.gz``); see the module docstring."""
    if variant == "garbage":
        return (b"<html>not a bundle</html>\n" * (len(archive) // 26 + 1))[: max(len(archive), 26)]
    if variant == "not-tar":
        return gzip.compress(b"sentinel mock bundle? no: plain text where a tar should be\n" * 40, mtime=0)
    if variant == "bad-crc":
        return archive[:-8] + bytes(b ^ 0xFF for b in archive[-8:])
    if variant == "short":
        return archive[: len(archive) // 2]
    if variant in ("traversal", "symlink"):
        return _hostile_tar(archive, variant)
    raise ValueError(f"unknown corruption {variant!r}; use one of {', '.join(CORRUPTIONS)}")


def _hostile_tar(archive: bytes, variant: str) -> bytes:
    """The real bundle's members, led by one a safe unpacker must refuse."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as original,
        tarfile.open(fileobj=out, mode="w:gz") as hostile,
    ):
        if variant == "traversal":
            payload = b"main = rule { true }\n"
            member = tarfile.TarInfo("../escaped.sentinel")
            member.size = len(payload)
            hostile.addfile(member, io.BytesIO(payload))
        else:
            member = tarfile.TarInfo("mock-tfplan-v2.sentinel")
            member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
            hostile.addfile(member)
        for item in original:
            if item.isfile() and item.name != member.name:
                hostile.addfile(item, original.extractfile(item))
    return out.getvalue()
