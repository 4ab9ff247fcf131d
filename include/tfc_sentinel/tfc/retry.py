"""When to retry a Terraform Cloud request and how long to wait: one policy for both clients.

The rules (tfc-api.md section 9): a 429 is always safe to retry because the server rejected the
request unprocessed; 5xx answers, dropped connections and timeouts are retried only for idempotent
requests (GET, DELETE), because a POST that failed that way may have been carried out. Waits honour
``X-RateLimit-Reset`` (float seconds), then ``Retry-After``, else exponential backoff, always with
jitter so that many workers do not wake together, and the whole retry sequence has a time cap.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits; the defaults follow tfc-api.md, tests shrink the waits."""

    max_attempts: int = 5
    """Attempts for 5xx and connection errors on idempotent requests."""
    rate_limit_attempts: int = 20
    """Attempts while the server keeps answering 429."""
    max_total_wait: float = 120.0
    """Cap on the seconds spent retrying one request, whatever the cause."""
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    jitter: float = 0.25
    max_rate_limit_wait: float = 60.0
    """Longest single wait a server's rate-limit header may impose."""

    def is_retryable(self, exc: BaseException, idempotent: bool) -> bool:
        """True when repeating the request cannot do harm and may succeed."""
        from tfc_sentinel.tfc.errors import RateLimitError, ServerError, TfcConnectionError

        if isinstance(exc, RateLimitError):
            return True
        return idempotent and isinstance(exc, ServerError | TfcConnectionError)

    def wait(self, state: RetryCallState) -> float:
        """Seconds to sleep before the next attempt (a tenacity ``wait`` callable)."""
        from tfc_sentinel.tfc.errors import RateLimitError

        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            seconds = min(max(exc.retry_after, 0.0), self.max_rate_limit_wait) + random.uniform(
                0, self.jitter
            )
        else:
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (state.attempt_number - 1))
            seconds = random.uniform(0, ceiling)  # "full jitter"
        remaining = self.max_total_wait - state.seconds_since_start
        return max(0.0, min(seconds, remaining))

    def stop(self, state: RetryCallState) -> bool:
        """True when no further attempt should be made (a tenacity ``stop`` callable)."""
        from tfc_sentinel.tfc.errors import RateLimitError

        exc = state.outcome.exception() if state.outcome else None
        limit = self.rate_limit_attempts if isinstance(exc, RateLimitError) else self.max_attempts
        return state.attempt_number >= limit or state.seconds_since_start >= self.max_total_wait

    def tenacity_kwargs(self, method: str, path: str, idempotent: bool) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` around one request."""

        def retry(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            return exc is not None and self.is_retryable(exc, idempotent)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "%s %s: %s; retrying in %.2fs (attempt %d)",
                method,
                path,
                type(exc).__name__,
                wait,
                state.attempt_number + 1,
            )

        return {
            "retry": retry,
            "wait": self.wait,
            "stop": self.stop,
            "before_sleep": before_sleep,
            "reraise": True,
        }


def rate_limit_delay(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from a 429's headers: ``X-RateLimit-Reset`` (float seconds), then ``Retry-After``."""
    reset = headers.get("X-RateLimit-Reset") or headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset))
        except ValueError:
            pass
    after = headers.get("Retry-After") or headers.get("retry-after")
    if after:
        try:
            return max(0.0, float(after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(after).timestamp()
            except (TypeError, ValueError):
                return None
            return max(0.0, when - (time.time() if now is None else now))
    return None
