"""Plan exports: create checks, the state machine on the emulator clock, download via the blob host."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import TEST_EXPORT_DELAY
from tests.emulator.conftest import (
    PLAN_APPLIED,
    PLAN_ERRORED,
    PLAN_GLOBEX,
    PLAN_NO_EXPORT_PERMISSION,
    PLAN_PLANNED,
    PLAN_RUNNING,
    PLAN_TOO_OLD,
    Admin,
    Api,
    export_body,
)
from tfc_sentinel.emulator import EmulatorServer

DUPLICATE = "a plan export of this data-type is already pending or downloadable"
MOCK_FILES = {
    "sentinel.hcl",
    "mock-tfconfig.sentinel",
    "mock-tfconfig-v2.sentinel",
    "mock-tfplan.sentinel",
    "mock-tfplan-v2.sentinel",
    "mock-tfstate.sentinel",
    "mock-tfstate-v2.sentinel",
    "mock-tfrun.sentinel",
}


def plan_exports(api: Api, plan_id: str) -> list[str]:
    return [
        ref["id"] for ref in api.get(f"/plans/{plan_id}").json()["data"]["relationships"]["exports"]["data"]
    ]


def error(response: requests.Response) -> dict:
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    [err] = response.json()["errors"]
    return err


def test_full_lifecycle(acme: Api, admin: Admin, reset: EmulatorServer) -> None:
    created = acme.post("/plan-exports", export_body(PLAN_PLANNED))
    assert created.status_code == 201
    export = created.json()["data"]
    export_id = export["id"]
    assert export_id.startswith("pe-") and len(export_id) == 19
    assert export["attributes"]["status"] == "queued"
    assert export["attributes"]["data-type"] == "sentinel-mock-bundle-v0"
    assert set(export["attributes"]["status-timestamps"]) == {"queued-at"}
    assert export["relationships"]["plan"]["data"] == {"id": PLAN_PLANNED, "type": "plans"}
    assert export["links"] == {"self": f"/api/v2/plan-exports/{export_id}"}
    assert plan_exports(acme, PLAN_PLANNED) == [export_id]
    assert acme.get(f"/plan-exports/{export_id}/download").status_code == 404  # not finished yet

    time.sleep(TEST_EXPORT_DELAY + 0.05)
    finished = acme.get(f"/plan-exports/{export_id}").json()["data"]
    assert finished["attributes"]["status"] == "finished"
    stamps = finished["attributes"]["status-timestamps"]
    assert set(stamps) == {"queued-at", "finished-at", "expired-at"}
    assert finished["links"]["download"] == f"/api/v2/plan-exports/{export_id}/download"

    redirect = acme.get(f"/plan-exports/{export_id}/download")
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert (location.scheme, location.hostname, location.port) == ("http", "127.0.0.1", reset.blob_port)
    assert location.port != reset.port
    assert location.path.startswith("/v1/object/")

    blob = requests.get(redirect.headers["Location"], timeout=10)  # no token: the secret is the credential
    assert blob.status_code == 200
    assert blob.headers["Content-Type"] == "application/octet-stream"
    assert int(blob.headers["Content-Length"]) == len(blob.content)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob.content))) as tar:
        members = tar.getmembers()
        assert {m.name for m in members} == MOCK_FILES
        assert all(m.isfile() and "/" not in m.name for m in members)
        hcl = tar.extractfile("sentinel.hcl").read().decode()  # type: ignore[union-attr]
        assert 'mock "tfplan/v2"' in hcl and "mock-tfplan-v2.sentinel" in hcl
        tfrun = tar.extractfile("mock-tfrun.sentinel").read().decode()  # type: ignore[union-attr]
        assert "run-3YMjH7RcU18bXbD9" in tfrun and "net-prod" in tfrun

    assert acme.delete(f"/plan-exports/{export_id}").status_code == 204
    assert acme.get(f"/plan-exports/{export_id}").status_code == 404
    assert acme.get(f"/plan-exports/{export_id}/download").status_code == 404
    assert acme.delete(f"/plan-exports/{export_id}").status_code == 404
    assert plan_exports(acme, PLAN_PLANNED) == []
    state = admin.state()
    assert (state["live_exports"], state["deleted_exports"], state["blob_auth_leaks"]) == (0, 1, 0)


def test_a_second_export_of_the_same_plan_is_refused_while_one_is_live(acme: Api, admin: Admin) -> None:
    first = acme.create_export(PLAN_PLANNED)
    for _ in range(2):  # while queued, then while finished
        duplicate = acme.post("/plan-exports", export_body(PLAN_PLANNED))
        assert duplicate.status_code == 422
        assert error(duplicate)["detail"] == DUPLICATE
        assert error(duplicate)["source"] == {"pointer": "/data/attributes/data-type"}
        admin.advance(1)
    assert acme.export_status(first) == "finished"
    assert plan_exports(acme, PLAN_PLANNED) == [first]
    # Another plan is independent; after a delete the same plan can be exported again.
    assert acme.post("/plan-exports", export_body(PLAN_APPLIED)).status_code == 201
    assert acme.delete(f"/plan-exports/{first}").status_code == 204
    second = acme.create_export(PLAN_PLANNED)
    assert plan_exports(acme, PLAN_PLANNED) == [second]


@pytest.mark.parametrize(
    ("plan_id", "status"),
    [(PLAN_RUNNING, 422), (PLAN_ERRORED, 422), ("plan-DoesNotExist00000", 404), (PLAN_GLOBEX, 404)],
)
def test_plans_that_cannot_be_exported(acme: Api, plan_id: str, status: int) -> None:
    response = acme.post("/plan-exports", export_body(plan_id))
    assert response.status_code == status
    if status == 422:
        assert error(response)["title"] == "invalid attribute"
        assert "not exportable" in error(response)["detail"]
        assert error(response)["source"]["pointer"] == "/data/relationships/plan/data/id"


def test_plans_without_permission_or_too_old(acme: Api, globex: Api) -> None:
    # Missing "download Sentinel mocks" is forbidden, which Terraform Cloud reports as 404.
    assert acme.post("/plan-exports", export_body(PLAN_NO_EXPORT_PERMISSION)).status_code == 404
    assert globex.post("/plan-exports", export_body(PLAN_TOO_OLD)).status_code == 422


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], "/data"),
        ({"data": "plan"}, "/data"),
        ({"data": {"type": "plans"}}, "/data/type"),
        ({"data": {"type": "plan-exports", "attributes": {}}}, "/data/attributes/data-type"),
        (
            {"data": {"type": "plan-exports", "attributes": {"data-type": "json"}}},
            "/data/attributes/data-type",
        ),
        (
            {"data": {"type": "plan-exports", "attributes": {"data-type": "sentinel-mock-bundle-v0"}}},
            "/data/relationships/plan",
        ),
        (
            {
                "data": {
                    "type": "plan-exports",
                    "attributes": {"data-type": "sentinel-mock-bundle-v0"},
                    "relationships": {"plan": {"data": {"id": PLAN_PLANNED, "type": "runs"}}},
                }
            },
            "/data/relationships/plan/data/type",
        ),
    ],
)
def test_malformed_bodies_are_422_with_a_pointer(acme: Api, body: object, pointer: str) -> None:
    response = acme.post("/plan-exports", body)
    assert response.status_code == 422
    assert error(response)["source"] == {"pointer": pointer}
    assert error(response)["status"] == "422"
    assert error(response)["detail"]


def test_invalid_json_is_422(acme: Api) -> None:
    response = acme.session.post(
        acme.url("/plan-exports"), data=b"{not json", headers={"Content-Type": "application/vnd.api+json"}
    )
    assert response.status_code == 422
    assert error(response)["source"] == {"pointer": ""}


def test_expiry_after_an_hour_on_the_clock(acme: Api, admin: Admin) -> None:
    export_id = acme.create_export(PLAN_PLANNED)
    admin.advance(1)
    assert acme.export_status(export_id) == "finished"
    admin.advance(3600)
    expired = acme.get(f"/plan-exports/{export_id}").json()["data"]
    assert expired["attributes"]["status"] == "expired"
    assert "download" not in expired["links"]
    assert "expired-at" in expired["attributes"]["status-timestamps"]
    assert acme.get(f"/plan-exports/{export_id}/download").status_code == 404
    assert admin.state()["live_exports"] == 0
    # An expired export stays listed on the plan, and no longer blocks a new one.
    again = acme.create_export(PLAN_PLANNED)
    assert plan_exports(acme, PLAN_PLANNED) == [export_id, again]
    assert admin.state()["exports_by_status"] == {"expired": 1, "queued": 1}


def test_expiry_is_fixed_when_the_export_finishes(acme: Api, admin: Admin) -> None:
    export_id = acme.create_export(PLAN_PLANNED)
    admin.config(export_expiry=10)
    admin.advance(1)
    assert acme.export_status(export_id) == "finished"
    admin.config(export_expiry=3600)  # too late: expired-at was set at finish
    admin.advance(10)
    assert acme.export_status(export_id) == "expired"


@pytest.mark.parametrize("outcome", ["errored", "canceled"])
def test_outcome_switches_end_an_export_early(acme: Api, admin: Admin, outcome: str) -> None:
    admin.faults(outcomes={PLAN_PLANNED: outcome})
    export_id = acme.create_export(PLAN_PLANNED)
    other = acme.create_export(PLAN_APPLIED)  # the switch is per plan
    admin.advance(1)
    ended = acme.get(f"/plan-exports/{export_id}").json()["data"]
    assert ended["attributes"]["status"] == outcome
    assert f"{outcome}-at" in ended["attributes"]["status-timestamps"]
    assert "download" not in ended["links"]
    message = ended["attributes"]["error-message"]
    assert (message is not None) == (outcome == "errored")
    assert acme.get(f"/plan-exports/{export_id}/download").status_code == 404
    assert acme.export_status(other) == "finished"
    # A failed export does not block a retry.
    assert acme.post("/plan-exports", export_body(PLAN_PLANNED)).status_code == 201


def test_global_stuck_switch_and_custom_error_message(acme: Api, admin: Admin) -> None:
    admin.faults(outcomes={"*": "stuck", PLAN_APPLIED: {"outcome": "errored", "error_message": "disk full"}})
    stuck = acme.create_export(PLAN_PLANNED)
    failed = acme.create_export(PLAN_APPLIED)
    admin.advance(7200)
    assert acme.export_status(stuck) == "queued"
    assert acme.post("/plan-exports", export_body(PLAN_PLANNED)).status_code == 422  # still "pending"
    assert acme.get(f"/plan-exports/{failed}").json()["data"]["attributes"]["error-message"] == "disk full"


def test_pending_state_switch(acme: Api, admin: Admin) -> None:
    admin.config(pending_state=True, export_delay=10)
    created = acme.post("/plan-exports", export_body(PLAN_PLANNED)).json()["data"]
    assert created["attributes"]["status"] == "pending"
    assert set(created["attributes"]["status-timestamps"]) == {"pending-at"}
    admin.advance(6)
    assert acme.export_status(created["id"]) == "queued"
    admin.advance(5)
    shown = acme.get(f"/plan-exports/{created['id']}").json()["data"]["attributes"]
    assert shown["status"] == "finished"
    assert set(shown["status-timestamps"]) == {"pending-at", "queued-at", "finished-at", "expired-at"}


def test_blob_urls_expire_and_unknown_secrets_are_404(acme: Api, admin: Admin, reset: EmulatorServer) -> None:
    export_id = acme.create_export(PLAN_PLANNED)
    admin.advance(1)
    location = acme.get(f"/plan-exports/{export_id}/download").headers["Location"]
    assert requests.get(location, timeout=10).status_code == 200
    assert requests.get(location, timeout=10).status_code == 200  # reusable within its lifetime
    admin.advance(61)
    gone = requests.get(location, timeout=10)
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["status"] == "404"
    assert requests.get(f"{reset.blob_url}/v1/object/guessed", timeout=10).status_code == 404
    fresh = acme.get(f"/plan-exports/{export_id}/download").headers["Location"]
    assert fresh != location
    assert requests.get(fresh, timeout=10).status_code == 200


def test_blob_requests_with_authorization_are_recorded_as_leaks(acme: Api, admin: Admin) -> None:
    export_id = acme.create_export(PLAN_PLANNED)
    admin.advance(1)
    location = acme.get(f"/plan-exports/{export_id}/download").headers["Location"]
    # requests drops the header itself on a redirect to another port, so send it by hand.
    leaked = requests.get(location, headers={"Authorization": "Bearer oops"}, timeout=10)
    assert leaked.status_code == 200
    followed = acme.session.get(acme.url(f"/plan-exports/{export_id}/download"), timeout=10)
    assert followed.status_code == 200 and followed.content[:2] == b"\x1f\x8b"
    state = admin.state()
    assert state["blob_auth_leaks"] == 1
    assert state["blob_auth_leak_paths"] == [urlsplit(location).path]
    assert state["blob_requests"] == 2
