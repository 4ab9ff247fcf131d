"""Pieces of a plan-export download shared by both clients: atomic files and URL hygiene.

The download answers 302 with a short-lived signed URL on another host. That URL is a secret:
it is fetched with a plain client that never carries the API token, it is never logged, and it is
scrubbed from any error text before the text leaves this package.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

CHUNK_SIZE = 1024 * 1024


class _SecretUrlFilter(logging.Filter):
    """Scrubs the signed URLs of downloads in flight from HTTP libraries' own log records.

    urllib3 logs every request line at DEBUG (``"GET /v1/object/<secret> HTTP/1.1" 200``); a task
    log at DEBUG level would otherwise carry the signed URL.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            with self._lock:
                secrets = sorted(self._secrets, key=len, reverse=True)
            for secret in secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True

    @contextlib.contextmanager
    def hiding(self, url: str) -> Iterator[None]:
        parts = urlsplit(url)
        pieces = {url, parts.path + (f"?{parts.query}" if parts.query else "")} - {"", "/"}
        with self._lock:
            for piece in pieces:
                self._secrets[piece] = self._secrets.get(piece, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                for piece in pieces:
                    self._secrets[piece] -= 1
                    if not self._secrets[piece]:
                        del self._secrets[piece]


_FILTER = _SecretUrlFilter()
for _name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.response", "aiohttp.client"):
    logging.getLogger(_name).addFilter(_FILTER)


def hiding_url(url: str) -> contextlib.AbstractContextManager[None]:
    """While the block runs, ``url`` is scrubbed from the HTTP libraries' log records."""
    return _FILTER.hiding(url)


def resolve_location(api_url: str, location: str) -> str:
    """The absolute blob URL; a relative ``Location`` resolves against the API request's URL."""
    return urljoin(api_url, location)


def blob_host(url: str) -> str:
    """``host:port`` of a blob URL: all a log line may say about it."""
    return urlsplit(url).netloc or "?"


def scrub(text: str, secret_url: str) -> str:
    """Remove a secret URL from a message, whole or as the path (and query) libraries print."""
    parts = urlsplit(secret_url)
    query = f"?{parts.query}" if parts.query else ""
    for piece in (secret_url, parts.path + query, parts.query, parts.path):
        if piece and piece != "/":
            text = text.replace(piece, "<redacted>")
    return text


@contextlib.contextmanager
def atomic_file(dest: Path) -> Iterator[BinaryIO]:
    """Write to a hidden temp file beside ``dest`` and rename it into place only on success.

    On any error the temp file is removed, so a failed download never leaves a partial bundle.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def check_length(expected: str | None, received: int) -> str | None:
    """A reason when the body is shorter or longer than its Content-Length, else None."""
    if expected is None:
        return None
    try:
        wanted = int(expected)
    except ValueError:
        return None
    if wanted != received:
        return f"received {received} of {wanted} bytes (connection closed early)"
    return None
