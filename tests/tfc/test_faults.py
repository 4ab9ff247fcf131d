"""The retry policy against the emulator's injected faults: what is retried, what is recovered, what fails."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.tfc.conftest import PLAN_PLANNED, RUN_PLANNED, ClientFactory
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import (
    DownloadError,
    RateLimitError,
    ServerError,
    TfcConnectionError,
    TfcTimeoutError,
)

RUN_PATH = "/api/v2/runs/{run_id}"
EXPORTS = "/api/v2/plan-exports"
EXPORT_PATH = "/api/v2/plan-exports/{export_id}"
BLOB = "/v1/object/{secret}"


def requests_to(emulator: EmulatorServer, endpoint: str) -> int:
    return emulator.snapshot()["requests"].get(endpoint, 0)


def finished_export(client: Any) -> str:
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    client.wait_for_plan_export(export.id, timeout=10, poll_interval=0.05)
    return export.id


# -- 429 ------------------------------------------------------------------------------------------------


def test_429_storm_on_get_is_waited_out(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults({"method": "GET", "path": RUN_PATH, "sequence": ["429"] * 6 + ["ok"]})
    assert client.get_run(RUN_PLANNED).id == RUN_PLANNED
    assert requests_to(reset, f"GET {RUN_PATH}") == 7


def test_endless_429_gives_up_at_the_cap(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults({"method": "GET", "path": RUN_PATH, "fault": "429"})
    with pytest.raises(RateLimitError) as failed:
        client.get_run(RUN_PLANNED)
    assert failed.value.retry_after is not None  # X-RateLimit-Reset was read
    assert requests_to(reset, f"GET {RUN_PATH}") == 8  # FAST_RETRY.rate_limit_attempts


def test_429_on_post_is_retried_and_creates_one_export(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults({"method": "POST", "path": EXPORTS, "sequence": ["429", "429", "ok"]})
    client.create_plan_export(PLAN_PLANNED)
    assert requests_to(reset, f"POST {EXPORTS}") == 3
    assert reset.snapshot()["live_exports"] == 1


def test_real_rate_limiter_headers_are_honoured(make_client: ClientFactory, reset: EmulatorServer) -> None:
    reset.configure(rate_limit_per_second=0.5)  # a bucket of one request, refilled after 2 s
    client = make_client()
    client.get_run(RUN_PLANNED)
    client.get_run(RUN_PLANNED)  # 429 with X-RateLimit-Reset ~2.000, waited out, then 200
    assert requests_to(reset, f"GET {RUN_PATH}") == 3


# -- 5xx and connection errors -------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "502", "502-html", "503", "reset"])
def test_transient_failures_on_get_are_retried(client: Any, reset: EmulatorServer, fault: str) -> None:
    reset.add_faults({"method": "GET", "path": RUN_PATH, "sequence": [fault, fault, "ok"]})
    assert client.get_run(RUN_PLANNED).id == RUN_PLANNED
    assert requests_to(reset, f"GET {RUN_PATH}") == 3


def test_persistent_html_502_fails_with_a_readable_error(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults({"method": "GET", "path": RUN_PATH, "fault": "502-html"})
    with pytest.raises(ServerError, match="502 Bad Gateway") as failed:
        client.get_run(RUN_PLANNED)
    assert failed.value.status == 502 and "<html>" not in str(failed.value)
    assert requests_to(reset, f"GET {RUN_PATH}") == 5  # FAST_RETRY.max_attempts


@pytest.mark.parametrize("fault", ["502", "reset"])
def test_failed_post_is_never_blindly_retried(client: Any, reset: EmulatorServer, fault: str) -> None:
    reset.add_faults({"method": "POST", "path": EXPORTS, "sequence": [fault]})
    with pytest.raises(TfcConnectionError if fault == "reset" else ServerError):
        client.create_plan_export(PLAN_PLANNED)
    assert requests_to(reset, f"POST {EXPORTS}") == 1


def test_create_or_reuse_posts_again_only_when_nothing_was_created(
    client: Any, reset: EmulatorServer
) -> None:
    reset.add_faults({"method": "POST", "path": EXPORTS, "sequence": ["503"]})
    client.create_or_reuse_plan_export(PLAN_PLANNED)
    assert requests_to(reset, f"POST {EXPORTS}") == 2
    assert reset.snapshot()["live_exports"] == 1


def test_lost_post_answer_is_recovered_through_the_plan(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults({"method": "POST", "path": EXPORTS, "sequence": ["lost"]})
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    assert requests_to(reset, f"POST {EXPORTS}") == 1  # created once, found through relationships.exports
    assert [e["id"] for e in reset.snapshot()["exports"]] == [export.id]


def test_comment_post_is_not_retried_on_5xx(client: Any, reset: EmulatorServer) -> None:
    path = "/api/v2/runs/{run_id}/comments"
    reset.add_faults({"method": "POST", "path": path, "sequence": ["502"]})
    with pytest.raises(ServerError):
        client.create_run_comment(RUN_PLANNED, "once")
    assert reset.snapshot()["comments"] == 0 and requests_to(reset, f"POST {path}") == 1


def test_lost_delete_answer_counts_as_deleted(client: Any, reset: EmulatorServer) -> None:
    export_id = finished_export(client)
    reset.add_faults({"method": "DELETE", "path": EXPORT_PATH, "sequence": ["lost"]})
    assert client.delete_plan_export(export_id) is False  # the retry found it gone
    assert reset.snapshot()["live_exports"] == 0


# -- timeouts -----------------------------------------------------------------------------------------


def test_slow_get_times_out_then_succeeds(make_client: ClientFactory, reset: EmulatorServer) -> None:
    client = make_client(read_timeout=0.3)
    reset.add_faults({"method": "GET", "path": RUN_PATH, "sequence": ["slow:1.5", "ok"]})
    assert client.get_run(RUN_PLANNED).id == RUN_PLANNED


def test_always_slow_raises_timeout(make_client: ClientFactory, reset: EmulatorServer) -> None:
    client = make_client(read_timeout=0.2)
    reset.add_faults({"method": "GET", "path": RUN_PATH, "fault": "slow:1"})
    with pytest.raises(TfcTimeoutError, match=f"GET /runs/{RUN_PLANNED}"):
        client.get_run(RUN_PLANNED)


def test_unreachable_host_is_a_connection_error(make_client: ClientFactory) -> None:
    client = make_client(host="http://127.0.0.1:9", connect_timeout=0.5)
    with pytest.raises(TfcConnectionError, match="got no answer"):
        client.ping()


# -- downloads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["truncate", "reset", "503"])
def test_broken_download_is_retried_with_a_fresh_url(
    client: Any, reset: EmulatorServer, tmp_path: Path, fault: str
) -> None:
    export_id = finished_export(client)
    reset.add_faults({"method": "GET", "path": BLOB, "sequence": [fault]})
    archive = client.download_plan_export(export_id, tmp_path / "bundle.tar.gz")
    assert archive.stat().st_size > 0 and list(tmp_path.iterdir()) == [archive]
    state = reset.snapshot()
    assert state["blob_requests"] == 2 and state["blob_auth_leaks"] == 0
    # A failed transfer asks for a new signed URL; aiohttp itself re-sends a GET whose reused
    # connection was reset, so then the same URL serves the second try.
    fresh_urls = requests_to(reset, f"GET {EXPORT_PATH}/download")
    assert fresh_urls == 2 or (fault == "reset" and fresh_urls == 1)


def test_download_that_keeps_failing_leaves_no_file_and_no_url(
    client: Any, reset: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    export_id = finished_export(client)
    reset.add_faults({"method": "GET", "path": BLOB, "fault": "truncate"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DownloadError) as failed:
        client.download_plan_export(export_id, tmp_path / "bundle.tar.gz")
    assert list(tmp_path.iterdir()) == []
    assert "/v1/object/" not in str(failed.value) and "/v1/object/" not in caplog.text
    assert export_id in str(failed.value) and "No partial file" in str(failed.value)


def test_download_before_finish_is_not_found(client: Any, reset: EmulatorServer, tmp_path: Path) -> None:
    reset.add_faults(export_outcomes={PLAN_PLANNED: "stuck"})
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    with pytest.raises(Exception, match="does not exist or this token cannot see it"):
        client.download_plan_export(export.id, tmp_path / "bundle.tar.gz")
    assert list(tmp_path.iterdir()) == []
