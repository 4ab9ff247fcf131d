"""Rate limits: 30 requests per second per user, 30 per minute on run lists, on the emulator clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.emulator.conftest import NET_PROD, RUN_PLANNED, Admin, Api
from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer

RATE_LIMITED = {
    "errors": [
        {"detail": "You have exceeded the API's rate limit.", "status": 429, "title": "Too many requests"}
    ]
}


def test_burst_beyond_30_per_second_gets_429_with_the_documented_shape(acme: Api, admin: Admin) -> None:
    admin.send("POST", "/clock/freeze", {"frozen": True})  # no refill during the burst: exact counts
    statuses = [acme.get(f"/runs/{RUN_PLANNED}").status_code for _ in range(32)]
    assert statuses == [200] * 30 + [429] * 2
    limited = acme.get(f"/runs/{RUN_PLANNED}")
    assert limited.json() == RATE_LIMITED  # integer "status", unlike other errors
    assert limited.headers["X-RateLimit-Limit"] == "30"
    reset_after = limited.headers["X-RateLimit-Reset"]
    assert float(reset_after) == round(1 / 30, 3) and len(reset_after.split(".")[1]) == 3
    assert "Retry-After" not in limited.headers
    admin.advance(1)
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200


def test_parallel_burst_is_limited_too(acme: Api, admin: Admin) -> None:
    admin.send("POST", "/clock/freeze", {"frozen": True})
    auth = {"Authorization": acme.session.headers["Authorization"]}

    def fetch(_: int) -> int:
        return requests.get(acme.url(f"/runs/{RUN_PLANNED}"), headers=auth, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(fetch, range(40)))
    assert statuses.count(200) == 30 and statuses.count(429) == 10


def test_run_lists_allow_30_per_minute(acme: Api, admin: Admin) -> None:
    admin.config(rate_limit_per_second=1000)
    admin.send("POST", "/clock/freeze", {"frozen": True})
    path = f"/workspaces/{NET_PROD}/runs"
    assert [acme.get(path).status_code for _ in range(30)] == [200] * 30
    limited = acme.get("/organizations/acme-corp/runs")  # both run lists share the budget
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Limit"] == "30"
    assert float(limited.headers["X-RateLimit-Reset"]) == 2.0  # one request back every 2 s
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200  # single-run reads are not affected
    admin.advance(2)
    assert acme.get(path).status_code == 200


def test_retry_after_switch_and_tunable_limits(acme: Api, admin: Admin) -> None:
    admin.config(rate_limit_per_second=1, retry_after=True)
    admin.send("POST", "/clock/freeze", {"frozen": True})
    responses = [acme.get(f"/runs/{RUN_PLANNED}") for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 429]
    limited = responses[1]
    assert limited.headers["X-RateLimit-Limit"] == "1"
    assert limited.headers["Retry-After"] == "1"


def test_limits_are_per_user_not_per_token_and_per_ip_without_one() -> None:
    # A refill of one request per 1000 s makes the outcome independent of how fast requests go.
    config = EmulatorConfig(tokens={"second-acme-token": "acme-deploy-bot"}, rate_limit_per_second=0.001)
    with EmulatorServer(config) as server:
        first = Api(server.api_url, server.tokens["acme-deploy-bot"])
        second = Api(server.api_url, "second-acme-token")
        other_user = Api(server.api_url, server.tokens["globex-ci"])
        assert first.get(f"/runs/{RUN_PLANNED}").status_code == 200
        assert second.get(f"/runs/{RUN_PLANNED}").status_code == 429  # same user, other token
        assert other_user.get("/organizations").status_code == 200
        assert server.token == "second-acme-token"
        server.reset()
        pings = [requests.get(f"{server.api_url}/api/v2/ping", timeout=5).status_code for _ in range(2)]
        assert pings == [204, 429]  # without a token the limit is per client address
