"""A clock tests can move forward, so export expiry (1 h) and rate-limit windows need no sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Real time plus an offset that only ever grows until ``reset``; it can also stand still.

    A frozen clock makes rate-limit tests exact: no bucket refills while a burst is sent, however
    slow the machine running the test is.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        frozen_at = self._frozen_at
        return (time.time() if frozen_at is None else frozen_at) + self._offset

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) the clock; advancing still works while it stands still."""
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time()
            elif not frozen and self._frozen_at is not None:
                self._offset += self._frozen_at - time.time()  # time stood still: never jump ahead
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None


def isoformat(timestamp: float) -> str:
    """Terraform Cloud's timestamp style: ``2024-05-02T10:16:05+00:00`` (whole seconds, UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> float:
    """Parse an ISO 8601 fixture timestamp (``Z`` or offset) to epoch seconds."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {text!r} needs a timezone")
    return parsed.timestamp()
