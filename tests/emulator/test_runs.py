"""Runs and plans: lists with paging and filters, includes, open-ended statuses, exportability."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.emulator.conftest import (
    NET_PROD,
    PLAN_ERRORED,
    PLAN_NO_EXPORT_PERMISSION,
    PLAN_PLANNED,
    PLAN_RUNNING,
    PLAN_TOO_OLD,
    RUN_NO_EXPORT_PERMISSION,
    RUN_PLAN_ONLY,
    RUN_PLANNED,
    RUN_UNKNOWN_STATUS,
    SANDBOX,
    Api,
)

NET_PROD_RUNS = 7  # fixture runs in net-prod, none plan-only
ACME_RUNS, ACME_PLAN_ONLY_RUNS = 14, 2


def ids(document: dict) -> list[str]:
    return [item["id"] for item in document["data"]]


def test_workspace_runs_newest_first_with_meta(acme: Api) -> None:
    body = acme.get(f"/workspaces/{NET_PROD}/runs").json()
    assert len(body["data"]) == NET_PROD_RUNS
    created = [run["attributes"]["created-at"] for run in body["data"]]
    assert created == sorted(created, reverse=True)
    assert body["meta"]["pagination"] == {
        "current-page": 1,
        "page-size": 20,
        "prev-page": None,
        "next-page": None,
        "total-pages": 1,
        "total-count": NET_PROD_RUNS,
    }
    counts = body["meta"]["status-counts"]
    assert counts["total"] == NET_PROD_RUNS
    assert counts["planned"] == 1
    assert counts["plan-queueable"] == 1  # a status no documentation lists still gets counted
    assert counts["pending"] == 0


def test_pagination_pages_and_links(acme: Api) -> None:
    operations = "plan_and_apply,destroy"
    first = acme.get(
        "/organizations/acme-corp/runs", params={"page[size]": 5, "filter[operation]": operations}
    ).json()
    assert len(first["data"]) == 5
    meta = first["meta"]["pagination"]
    assert (meta["total-count"], meta["total-pages"], meta["next-page"], meta["prev-page"]) == (
        12,
        3,
        2,
        None,
    )
    seen = ids(first)
    next_url = first["links"]["next"]
    while next_url:
        query = parse_qs(urlsplit(next_url).query)
        assert query["page[size]"] == ["5"]
        assert query["filter[operation]"] == [operations]  # other parameters survive in the links
        page = acme.session.get(next_url, timeout=10).json()
        seen += ids(page)
        next_url = page["links"]["next"]
    assert len(seen) == len(set(seen)) == ACME_RUNS - ACME_PLAN_ONLY_RUNS
    last = acme.get("/organizations/acme-corp/runs", params={"page[size]": 5, "page[number]": 3}).json()
    assert last["links"]["prev"] and last["links"]["next"] is None
    assert last["meta"]["pagination"]["prev-page"] == 2
    assert parse_qs(urlsplit(last["links"]["first"]).query)["page[number]"] == ["1"]
    assert parse_qs(urlsplit(last["links"]["last"]).query)["page[number]"] == ["3"]


def test_page_size_is_capped_at_100_and_bad_numbers_are_rejected(acme: Api) -> None:
    big = acme.get(f"/workspaces/{NET_PROD}/runs", params={"page[size]": 500}).json()
    assert big["meta"]["pagination"]["page-size"] == 100
    bad = acme.get(f"/workspaces/{NET_PROD}/runs", params={"page[number]": "two"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"] == {"parameter": "page[number]"}
    beyond = acme.get(f"/workspaces/{NET_PROD}/runs", params={"page[number]": 9}).json()
    assert beyond["data"] == []


def test_plan_only_runs_are_left_out_unless_asked_for(acme: Api) -> None:
    assert acme.get(f"/workspaces/{SANDBOX}/runs").json()["data"] == []
    speculative = acme.get(f"/workspaces/{SANDBOX}/runs", params={"filter[operation]": "plan_only"}).json()
    assert RUN_PLAN_ONLY in ids(speculative)
    assert all(run["attributes"]["plan-only"] for run in speculative["data"])
    both = acme.get("/organizations/acme-corp/runs", params={"filter[operation]": "plan_only,plan_and_apply"})
    assert len(both.json()["data"]) == ACME_RUNS - 1  # all but the destroy run
    destroy = acme.get("/organizations/acme-corp/runs", params={"filter[operation]": "destroy"}).json()
    assert [run["attributes"]["is-destroy"] for run in destroy["data"]] == [True]
    unknown = acme.get("/organizations/acme-corp/runs", params={"filter[operation]": "yolo"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["source"] == {"parameter": "filter[operation]"}


def test_status_filters_and_groups(acme: Api) -> None:
    planned = acme.get(f"/workspaces/{NET_PROD}/runs", params={"filter[status]": "planned,applied"}).json()
    assert {run["attributes"]["status"] for run in planned["data"]} == {"planned", "applied"}
    assert planned["meta"]["status-counts"]["total"] == NET_PROD_RUNS  # counts ignore the status filter
    moving = acme.get(f"/workspaces/{NET_PROD}/runs", params={"filter[status_group]": "non_final"}).json()
    assert {run["attributes"]["status"] for run in moving["data"]} == {
        "planned",
        "policy_checked",
        "planning",
        "plan_queueable",
    }
    final = acme.get(f"/workspaces/{NET_PROD}/runs", params={"filter[status_group]": "final"}).json()
    assert {run["attributes"]["status"] for run in final["data"]} == {"applied", "errored", "discarded"}
    nothing = acme.get(f"/workspaces/{NET_PROD}/runs", params={"filter[status]": "no_such_status"}).json()
    assert nothing["data"] == []


def test_run_show_relationships_and_include_plan(acme: Api) -> None:
    body = acme.get(f"/runs/{RUN_PLANNED}", params={"include": "plan"}).json()
    run = body["data"]
    assert run["relationships"]["plan"]["data"] == {"id": PLAN_PLANNED, "type": "plans"}
    assert run["relationships"]["plan"]["links"]["related"] == f"/api/v2/runs/{RUN_PLANNED}/plan"
    assert run["relationships"]["workspace"]["data"] == {"id": NET_PROD, "type": "workspaces"}
    assert run["attributes"]["permissions"]["can-comment"] is True
    assert [item["id"] for item in body["included"]] == [PLAN_PLANNED]
    assert body["included"][0]["type"] == "plans"
    assert "included" not in acme.get(f"/runs/{RUN_PLANNED}").json()
    several = acme.get(f"/runs/{RUN_PLANNED}", params={"include": "plan,workspace,created_by"}).json()
    assert {item["type"] for item in several["included"]} == {"plans", "workspaces", "users"}
    assert acme.get(f"/runs/{RUN_PLANNED}", params={"include": "bogus"}).status_code == 400


def test_run_plan_and_plan_show_agree(acme: Api) -> None:
    via_run = acme.get(f"/runs/{RUN_PLANNED}/plan").json()["data"]
    direct = acme.get(f"/plans/{PLAN_PLANNED}").json()["data"]
    assert via_run == direct
    attributes = direct["attributes"]
    assert attributes["status"] == "finished"
    assert attributes["has-changes"] is True
    # aws-network-changes.json: web[1], subnet[1], security group replacement / 2 updates / delete + replacement.
    counts = [attributes[f"resource-{kind}"] for kind in ("additions", "changes", "destructions", "imports")]
    assert counts == [3, 2, 2, 0]
    assert direct["relationships"]["exports"] == {"data": []}
    assert direct["links"]["self"] == f"/api/v2/plans/{PLAN_PLANNED}"


def test_exportability_of_plans(acme: Api, globex: Api) -> None:
    def flags(api: Api, plan_id: str) -> tuple[str, bool, bool]:
        attributes = api.get(f"/plans/{plan_id}").json()["data"]["attributes"]
        return (
            attributes["status"],
            attributes["actions"]["is-exportable"],
            attributes["permissions"]["can-export"],
        )

    assert flags(acme, PLAN_PLANNED) == ("finished", True, True)
    assert flags(acme, PLAN_ERRORED) == ("errored", False, True)
    assert flags(acme, PLAN_RUNNING) == ("running", False, True)
    assert flags(acme, PLAN_NO_EXPORT_PERMISSION) == ("finished", True, False)
    assert flags(globex, PLAN_TOO_OLD) == ("finished", False, True)  # made before plan exports existed


def test_runs_may_carry_statuses_clients_do_not_know(acme: Api) -> None:
    run = acme.get(f"/runs/{RUN_UNKNOWN_STATUS}").json()["data"]
    assert run["attributes"]["status"] == "plan_queueable"
    legacy = acme.get(f"/runs/{RUN_NO_EXPORT_PERMISSION}").json()["data"]
    assert legacy["attributes"]["permissions"]["can-comment"] is False
