"""Typed errors of the Terraform Cloud client.

Every error says which request failed (method and path, never a signed URL or a token), what the
server said (JSON:API ``errors[]``: status, title, detail, source pointer) and what to do about it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# /api/v2/<collection>/<id> -> a readable resource name for messages.
_RESOURCE_NAMES = {
    "runs": "run",
    "plans": "plan",
    "plan-exports": "plan export",
    "workspaces": "workspace",
    "organizations": "organization",
    "comments": "comment",
    "task-results": "task result",
}


@dataclass(frozen=True)
class ApiErrorDetail:
    """One entry of a JSON:API ``errors`` array (or a bare string some endpoints send)."""

    status: int | None = None
    title: str = ""
    detail: str = ""
    pointer: str = ""

    def __str__(self) -> str:
        text = ": ".join(part for part in (self.title, self.detail) if part)
        return f"{text} (at {self.pointer})" if self.pointer else text


class TfcError(Exception):
    """Base class of everything the client raises."""


class TfcApiError(TfcError):
    """The API answered with an error status."""

    hint = "see the Terraform Cloud API documentation for this status"

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        errors: tuple[ApiErrorDetail, ...] = (),
        body_excerpt: str = "",
        hint: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.errors = errors
        self.body_excerpt = body_excerpt
        if hint is not None:
            self.hint = hint
        super().__init__(self._message())

    @property
    def title(self) -> str:
        return self.errors[0].title if self.errors else ""

    @property
    def detail(self) -> str:
        return self.errors[0].detail if self.errors else ""

    @property
    def pointer(self) -> str:
        return self.errors[0].pointer if self.errors else ""

    def _message(self) -> str:
        said = "; ".join(str(e) for e in self.errors if str(e)) or self.body_excerpt or "no error details"
        return f"{self.method} {self.path} failed with HTTP {self.status}: {said}. {self.hint}"


class AuthenticationError(TfcApiError):
    """401: the token is missing, wrong or revoked."""

    hint = (
        "Check the API token (the connection's password or TFC_TOKEN): it is missing, invalid, "
        "expired or revoked."
    )


class NotFoundError(TfcApiError):
    """404: the resource does not exist, or the token may not see it (the API never answers 403)."""

    def __init__(self, method: str, path: str, status: int, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "hint",
            f"The {describe_resource(path)} does not exist or this token cannot see it (Terraform Cloud "
            "answers 404 for both): check the ID and the token's organization and team access.",
        )
        super().__init__(method, path, status, *args, **kwargs)


class UnsupportedMediaTypeError(TfcApiError):
    """415: a mutating request without ``Content-Type: application/vnd.api+json``."""

    hint = "This is a client bug: mutating requests must send Content-Type application/vnd.api+json."


class UnprocessableError(TfcApiError):
    """422: the request was understood but refused (bad attribute, duplicate export, unfinished plan)."""

    hint = "The server refused the request as invalid; the detail above says which attribute and why."


class ConflictError(TfcApiError):
    """409: e.g. a run-task result that is already final."""

    hint = "The resource is in a state that does not allow this change (for a task result: already final)."


class RateLimitError(TfcApiError):
    """429: too many requests; ``retry_after`` is the server's suggested wait in seconds, if any."""

    hint = "Terraform Cloud rate-limited the token's user; the client waited and retried up to its cap."

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(TfcApiError):
    """5xx: Terraform Cloud or a proxy in front of it failed."""

    hint = "Terraform Cloud (or a proxy in front of it) failed; try again later or check its status page."


class TfcConnectionError(TfcError):
    """No HTTP answer: connection refused or reset, TLS failure, DNS failure, or a timeout."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(
            f"{method} {path} got no answer: {reason}. Check the host, network, proxy and TLS settings "
            "of the Terraform Cloud connection."
        )


class TfcTimeoutError(TfcConnectionError):
    """Connecting or reading took longer than the configured timeout."""


class MalformedResponseError(TfcError):
    """A success status whose body is not the JSON:API document the endpoint promises."""

    def __init__(self, method: str, path: str, problem: str) -> None:
        self.method = method
        self.path = path
        super().__init__(
            f"{method} {path} returned an unexpected body: {problem}. Is the host a Terraform Cloud or "
            "Terraform Enterprise API (https://<host>/api/v2)?"
        )


class PlanNotExportableError(TfcError):
    """The plan cannot be exported (yet): unfinished, errored, or no permission."""


class PlanExportFailedError(TfcError):
    """The export ended without a downloadable bundle (errored, canceled, expired)."""

    def __init__(self, export_id: str, status: str, message: str = "") -> None:
        self.export_id = export_id
        self.status = status
        super().__init__(message or f"plan export {export_id} ended with status {status!r}")


class PlanExportTimeoutError(TfcError):
    """The export did not finish within the time the caller allowed."""

    def __init__(self, export_id: str, status: str, waited: float) -> None:
        self.export_id = export_id
        self.status = status
        super().__init__(
            f"plan export {export_id} is still {status!r} after {waited:.0f}s; Terraform Cloud may be busy: "
            "wait longer (raise the timeout) or delete the export and create a new one"
        )


class DownloadError(TfcConnectionError):
    """The bundle transfer from the blob host failed; retried with a fresh URL, no partial file kept."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        TfcError.__init__(
            self,
            f"{method} {path} failed: {reason}. No partial file was kept; the download can be retried "
            "while the export is finished (a new signed URL is requested each time).",
        )


def describe_resource(path: str) -> str:
    """``/api/v2/runs/run-123/plan`` -> ``run run-123``; falls back to the path itself."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if parts[:2] == ["api", "v2"]:
        parts = parts[2:]
    if len(parts) >= 2 and parts[0] in _RESOURCE_NAMES:
        return f"{_RESOURCE_NAMES[parts[0]]} {parts[1]}"
    return path


def parse_error_body(body: bytes, content_type: str = "") -> tuple[tuple[ApiErrorDetail, ...], str]:
    """Read a JSON:API error document; fall back to a short text excerpt (an HTML 502 from a proxy)."""
    text = body.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text) if text.strip() else None
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list):
        return tuple(_error_detail(item) for item in doc["errors"]), ""
    return (), _excerpt(text, content_type)


def _error_detail(item: Any) -> ApiErrorDetail:
    if not isinstance(item, dict):
        return ApiErrorDetail(detail=str(item))
    status = item.get("status")
    try:
        status = int(status) if status is not None else None
    except (TypeError, ValueError):
        status = None
    source = item.get("source") if isinstance(item.get("source"), dict) else {}
    return ApiErrorDetail(
        status=status,
        title=str(item.get("title") or ""),
        detail=str(item.get("detail") or ""),
        pointer=str(source.get("pointer") or source.get("parameter") or ""),
    )


def _excerpt(text: str, content_type: str) -> str:
    if "html" in content_type or text.lstrip().lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
        return "non-JSON (HTML) body: " + " ".join(text.split())[:200]
    text = " ".join(text.split())
    return f"non-JSON body: {text[:200]}" if text else ""


_BY_STATUS: dict[int, type[TfcApiError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableError,
    429: RateLimitError,
}


def error_for_status(
    method: str,
    path: str,
    status: int,
    body: bytes,
    content_type: str = "",
    retry_after: float | None = None,
) -> TfcApiError:
    """Build the typed error for an unexpected status."""
    errors, excerpt = parse_error_body(body, content_type)
    if status == 429:
        return RateLimitError(method, path, status, errors, excerpt, retry_after=retry_after)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else TfcApiError)
    return cls(method, path, status, errors, excerpt)
