"""Retry decisions and rate-limit waits (the part of the policy that needs no server)."""

from __future__ import annotations

import email.utils

from tfc_sentinel.tfc.errors import NotFoundError, RateLimitError, ServerError, TfcConnectionError
from tfc_sentinel.tfc.retry import RetryPolicy, rate_limit_delay


def test_rate_limit_reset_is_float_seconds_and_wins_over_retry_after() -> None:
    assert rate_limit_delay({"X-RateLimit-Reset": "0.412", "Retry-After": "9"}) == 0.412
    assert rate_limit_delay({"Retry-After": "3"}) == 3.0
    assert rate_limit_delay({}) is None
    assert rate_limit_delay({"X-RateLimit-Reset": "soon"}) is None


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(1_000_010, usegmt=True)
    assert rate_limit_delay({"Retry-After": when}, now=1_000_000) == 10.0
    assert rate_limit_delay({"Retry-After": "not a date"}) is None


def test_only_safe_requests_are_retried() -> None:
    policy = RetryPolicy()
    rate_limited = RateLimitError("POST", "/plan-exports", 429)
    server = ServerError("POST", "/plan-exports", 502)
    reset = TfcConnectionError("POST", "/plan-exports", "reset")
    assert policy.is_retryable(rate_limited, idempotent=False)
    assert not policy.is_retryable(server, idempotent=False)
    assert not policy.is_retryable(reset, idempotent=False)
    assert policy.is_retryable(server, idempotent=True)
    assert policy.is_retryable(reset, idempotent=True)
    assert not policy.is_retryable(NotFoundError("GET", "/runs/x", 404), idempotent=True)
