"""Protocol basics every client relies on: ping, auth, 404-for-foreign, content types, error documents."""

from __future__ import annotations

import requests

from tests.emulator.conftest import JSONAPI, NET_PROD, PLAN_GLOBEX, RUN_GLOBEX, RUN_PLANNED, Api, export_body
from tfc_sentinel.emulator import EmulatorServer

UNAUTHORIZED = {"errors": [{"status": "401", "title": "unauthorized"}]}
NOT_FOUND = {"errors": [{"status": "404", "title": "not found"}]}


def test_ping_answers_204_with_the_headers_go_tfe_reads(anonymous: Api) -> None:
    response = anonymous.get("/ping")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["X-RateLimit-Limit"] == "30"
    assert response.headers["TFP-API-Version"] == "2.6"
    assert response.headers["X-TFE-Version"]
    assert response.headers["TFP-AppName"] == "Terraform Cloud Emulator"


def test_missing_or_unknown_token_is_401_with_the_documented_body(reset: EmulatorServer) -> None:
    for token in (None, "not-a-token"):
        response = Api(reset.api_url, token).get(f"/runs/{RUN_PLANNED}")
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert response.headers["Content-Type"] == JSONAPI
    basic = requests.get(f"{reset.api_url}/api/v2/organizations", auth=("user", "pass"), timeout=10)
    assert basic.status_code == 401


def test_another_organizations_resources_are_404_never_403(acme: Api, globex: Api) -> None:
    for path in (
        f"/runs/{RUN_GLOBEX}",
        f"/plans/{PLAN_GLOBEX}",
        f"/runs/{RUN_GLOBEX}/plan",
        "/organizations/globex",
    ):
        response = acme.get(path)
        assert response.status_code == 404, path
        assert response.json() == NOT_FOUND
    assert globex.get(f"/runs/{RUN_GLOBEX}").status_code == 200
    assert globex.get(f"/runs/{RUN_PLANNED}").status_code == 404
    assert globex.get(f"/workspaces/{NET_PROD}/runs").status_code == 404
    assert globex.post("/plan-exports", export_body("plan-74Kr1sHe4saLNKHc")).status_code == 404


def test_writes_without_the_jsonapi_content_type_are_415(acme: Api) -> None:
    url = acme.url("/plan-exports")
    post = acme.session.post(
        url, data=b'{"data": {}}', headers={"Content-Type": "application/json"}, timeout=10
    )
    assert post.status_code == 415
    assert post.json()["errors"][0]["status"] == "415"
    assert post.json()["errors"][0]["title"] == "unsupported media type"
    # A bodiless DELETE needs it too (go-tfe sends it on every write for this reason).
    delete = acme.session.delete(acme.url("/plan-exports/pe-0000000000000000"), timeout=10)
    assert delete.status_code == 415
    # With the media type (parameters allowed) the request gets through to the normal checks.
    ok = acme.session.delete(
        acme.url("/plan-exports/pe-0000000000000000"), headers={"Content-Type": f"{JSONAPI}; charset=utf-8"}
    )
    assert ok.status_code == 404


def test_responses_are_jsonapi_with_kebab_case_and_self_links(acme: Api) -> None:
    response = acme.get(f"/runs/{RUN_PLANNED}")
    assert response.headers["Content-Type"] == JSONAPI
    run = response.json()["data"]
    assert run["links"]["self"] == f"/api/v2/runs/{RUN_PLANNED}"
    assert {"created-at", "has-changes", "is-destroy", "plan-only", "status-timestamps"} <= set(
        run["attributes"]
    )
    assert all("_" not in name for name in run["attributes"])


def test_unknown_routes_and_methods_get_jsonapi_errors(acme: Api) -> None:
    missing = acme.get("/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND
    wrong_method = acme.session.put(acme.url(f"/runs/{RUN_PLANNED}"), timeout=10)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"][0]["status"] == "405"


def test_organizations_and_workspaces_are_scoped_to_the_token(acme: Api, globex: Api) -> None:
    orgs = acme.get("/organizations").json()
    assert [o["id"] for o in orgs["data"]] == ["acme-corp"]
    assert orgs["meta"]["pagination"]["total-count"] == 1
    workspaces = acme.get("/organizations/acme-corp/workspaces").json()["data"]
    assert {w["attributes"]["name"] for w in workspaces} == {
        "net-prod",
        "net-sandbox",
        "storage-prod",
        "legacy-readonly",
    }
    by_name = acme.get("/organizations/acme-corp/workspaces/net-prod").json()["data"]
    assert by_name["id"] == NET_PROD
    assert by_name["links"]["self"] == "/api/v2/organizations/acme-corp/workspaces/net-prod"
    assert acme.get(f"/workspaces/{NET_PROD}").json()["data"]["attributes"]["name"] == "net-prod"
    assert acme.get("/organizations/acme-corp/workspaces/nope").status_code == 404
    assert globex.get("/organizations/acme-corp/workspaces/net-prod").status_code == 404
    assert globex.get(f"/workspaces/{NET_PROD}").status_code == 404
