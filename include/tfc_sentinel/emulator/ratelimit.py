"""Terraform Cloud's rate limits: token buckets per user (not per token), on the emulator's clock.

Two buckets apply: the general one (30 requests per second) to every API request, and a second one
(30 per minute) to the run lists only. Running on the controllable clock lets a test refill a bucket by
advancing time instead of sleeping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tfc_sentinel.emulator.clock import Clock
from tfc_sentinel.emulator.config import EmulatorConfig

RUN_LIST_ROUTES = frozenset(
    {"/api/v2/workspaces/{workspace_id}/runs", "/api/v2/organizations/{org_name}/runs"}
)


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass, the limit that applied, and seconds until a token is back."""

    allowed: bool
    limit: int
    reset: float


class RateLimiter:
    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def check(self, key: str, route: str | None) -> Verdict:
        """Take a token from each bucket that applies to ``route``; refuse if any is empty.

        ``key`` is the user ID, or ``ip:<address>`` for requests without a valid token. A refused
        request takes nothing, as Terraform Cloud does not process it.
        """
        limits = [("second", self.config.rate_limit_per_second, 1.0)]
        if route in RUN_LIST_ROUTES:
            limits.append(("minute", self.config.run_list_limit_per_minute, 60.0))
        now = self.clock.now()
        with self._lock:
            taken = []
            for name, limit, window in limits:
                rate = limit / window
                bucket = self._refill((key, name), max(1.0, limit), rate, now)  # a burst of at least one
                if bucket.tokens < 1:
                    return Verdict(False, round(limit), (1 - bucket.tokens) / rate)
                taken.append(bucket)
            for bucket in taken:
                bucket.tokens -= 1
        return Verdict(True, round(self.config.rate_limit_per_second), 0.0)

    def _refill(self, slot: tuple[str, str], capacity: float, rate: float, now: float) -> Bucket:
        bucket = self._buckets.setdefault(slot, Bucket(capacity, now))
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
        bucket.updated = now
        return bucket
