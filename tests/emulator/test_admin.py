"""The test-only ``/_emulator`` routes: state counters, request log, reset, config, clock, seeding."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests

from tests.emulator.conftest import PLAN_PLANNED, RUN_PLANNED, Admin, Api
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.emulator.fixtures import FIXTURES_DIR


def test_request_log_and_counters_never_hold_the_token(acme: Api, anonymous: Api, admin: Admin) -> None:
    acme.get(f"/runs/{RUN_PLANNED}")
    acme.get(f"/runs/{RUN_PLANNED}")
    anonymous.get(f"/runs/{RUN_PLANNED}")
    acme.get("/no/such/route")
    log = admin.get("/requests")["requests"]
    assert [(e["method"], e["template"], e["status"], e["authorization"]) for e in log] == [
        ("GET", "/api/v2/runs/{run_id}", 200, True),
        ("GET", "/api/v2/runs/{run_id}", 200, True),
        ("GET", "/api/v2/runs/{run_id}", 401, False),
        ("GET", None, 404, True),
    ]
    assert log[0]["path"] == f"/api/v2/runs/{RUN_PLANNED}" and log[0]["app"] == "api"
    assert log[0]["user"].startswith("user-") and log[2]["user"] is None
    assert "atlasv1" not in json.dumps(log)
    state = admin.state()
    assert state["requests"] == {"GET /api/v2/runs/{run_id}": 3, "GET /api/v2/no/such/route": 1}


def test_reset_restores_fixtures_settings_clock_and_counters(acme: Api, admin: Admin) -> None:
    acme.create_export(PLAN_PLANNED)
    admin.config(export_delay=99, retry_after=True)
    admin.advance(500)
    admin.faults({"path": "/api/v2/ping", "fault": "500"})
    assert admin.state()["live_exports"] == 1
    assert admin.send("POST", "/reset") == {"reset": True}
    state = admin.state()
    assert (state["live_exports"], state["requests"], state["faults"]["rules"]) == (0, {}, [])
    assert state["clock"]["offset_seconds"] == 0
    assert state["config"]["export_delay"] == 0.2 and state["config"]["retry_after"] is False
    assert acme.get(f"/plans/{PLAN_PLANNED}").json()["data"]["relationships"]["exports"]["data"] == []


def test_config_changes_are_checked(admin: Admin) -> None:
    assert admin.config(export_delay=0, blob_url_ttl=5)["blob_url_ttl"] == 5
    for bad in ({"export_delay": -1}, {"nope": 1}, {"retry_after": "yes"}, {"rate_limit_per_second": 0}):
        assert admin.send("PATCH", "/config", bad, expect=422)["errors"][0]["detail"]
    assert admin.get("/config")["export_delay"] == 0  # a rejected change leaves everything as it was


def test_clock_only_moves_forward(admin: Admin) -> None:
    clock = admin.send("POST", "/clock/advance", {"seconds": 90})
    assert clock["offset_seconds"] == 90
    assert admin.send("POST", "/clock/advance", {"seconds": -1}, expect=422)["errors"][0]["source"]
    assert admin.send("POST", "/clock/advance", {}, expect=422)


def seed_document() -> dict[str, Any]:
    plan_json = json.loads((FIXTURES_DIR / "plans" / "aws-network-initial.json").read_text())
    return {
        "organizations": [{"name": "initech"}],
        "users": [{"username": "initech-bot", "organizations": ["initech"], "tokens": ["initech-token"]}],
        "workspaces": [{"organization": "initech", "name": "tps"}],
        "runs": [],
        "_plan": plan_json,
    }


def test_seed_adds_records_with_generated_ids(reset: EmulatorServer, admin: Admin) -> None:
    document = seed_document()
    plan_json = document.pop("_plan")
    created = admin.send("POST", "/seed", document, expect=201)
    [workspace_id] = created["workspaces"]
    runs = {
        "runs": [
            {
                "workspace": workspace_id,
                "status": "planned",
                "created_at": "2025-01-02T03:04:05Z",
                "plan": {"status": "finished", "json": plan_json},
            }
        ]
    }
    seeded = admin.send("POST", "/seed", runs, expect=201)
    [run_id], [plan_id] = seeded["runs"], seeded["plans"]
    assert run_id.startswith("run-") and plan_id.startswith("plan-")
    initech = Api(reset.api_url, "initech-token")
    assert initech.get(f"/runs/{run_id}").json()["data"]["relationships"]["plan"]["data"]["id"] == plan_id
    assert initech.get(f"/plans/{plan_id}").json()["data"]["attributes"]["actions"]["is-exportable"] is True
    assert Api(reset.api_url, reset.token).get(f"/runs/{run_id}").status_code == 404
    admin.send("POST", "/reset")
    assert initech.get(f"/runs/{run_id}").status_code == 401  # seeds do not survive a reset


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["organizations"].append({"name": "acme-corp"}),
        lambda d: d["workspaces"].append({"organization": "nowhere", "name": "x"}),
        lambda d: d["users"][0].update(tokens=[123]),
        lambda d: d["users"].append({"username": "twin", "tokens": ["initech-token"]}),
        lambda d: d["workspaces"][0].update(permissions={"can-comment": "no"}),
        lambda d: d["workspaces"][0].update(id="ws-short"),
        lambda d: d.update(runs=[{"workspace": "ws-PlZmrJO86f9L7M1O", "status": "planned", "plan": {}}]),
        lambda d: d.update(
            runs=[
                {
                    "workspace": "ws-PlZmrJO86f9L7M1O",
                    "status": "planned",
                    "created_at": "2025-01-01T00:00:00Z",
                    "plan": {"status": "finished", "json": "plans/aws-network-initial.json"},
                }
            ]
        ),
        lambda d: d.update(extra=[]),
    ],
)
def test_bad_seeds_are_422_and_change_nothing(admin: Admin, reset: EmulatorServer, mutate: Any) -> None:
    document = copy.deepcopy(seed_document())
    document.pop("_plan")
    mutate(document)
    before = admin.state()
    error = admin.send("POST", "/seed", document, expect=422)["errors"][0]
    assert error["status"] == "422" and error["detail"]
    assert "initech" not in reset.state.store.organizations
    assert admin.state()["exports"] == before["exports"]


def test_admin_routes_are_not_logged_limited_or_authenticated(reset: EmulatorServer, admin: Admin) -> None:
    admin.config(rate_limit_per_second=1)
    for _ in range(5):
        assert requests.get(f"{reset.api_url}/_emulator/state", timeout=5).status_code == 200
    assert admin.get("/requests") == {"requests": []}
