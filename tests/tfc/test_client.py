"""Every client call against the emulator over real sockets, sync and async (see conftest)."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.tfc.conftest import (
    NET_PROD,
    ORG,
    PLAN_ERRORED,
    PLAN_NO_EXPORT_PERMISSION,
    PLAN_PLANNED,
    PLAN_RUNNING,
    RUN_GLOBEX,
    RUN_PLANNED,
    RUN_UNKNOWN_STATUS,
    ClientFactory,
)
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import (
    AuthenticationError,
    NotFoundError,
    PlanExportFailedError,
    PlanExportTimeoutError,
    PlanNotExportableError,
    TfcClient,
    TfcConfig,
    UnprocessableError,
)
from tfc_sentinel.tfc.models import TaskResultOutcome


def test_ping_reads_the_api_headers(client: Any) -> None:
    info = client.ping()
    assert info.api_version and info.rate_limit == "30"


def test_organizations_and_workspaces(client: Any) -> None:
    assert [org.name for org in client.list_organizations()] == [ORG]
    names = {ws.name for ws in client.list_workspaces(ORG)}
    assert "net-prod" in names
    workspace = client.get_workspace(ORG, "net-prod")
    assert workspace.id == NET_PROD and workspace.organization == ORG


def test_get_run_gives_its_plan(client: Any) -> None:
    run = client.get_run(RUN_PLANNED)
    assert (run.id, run.plan_id, run.workspace_id) == (RUN_PLANNED, PLAN_PLANNED, NET_PROD)
    assert run.status and run.can_comment is True


def test_unknown_run_status_is_kept_as_a_string(client: Any) -> None:
    run = client.get_run(RUN_UNKNOWN_STATUS)
    assert run.status == "plan_queueable" and not run.is_final


def test_plan_exportability(client: Any) -> None:
    plan = client.get_plan(PLAN_PLANNED)
    assert plan.status == "finished" and plan.is_exportable and plan.can_export
    assert plan.export_blocker() is None
    assert "wait until the plan has finished" in client.get_plan(PLAN_RUNNING).export_blocker()
    assert "Download Sentinel mocks" in client.get_plan(PLAN_NO_EXPORT_PERMISSION).export_blocker()
    assert "errored" in client.get_plan(PLAN_ERRORED).export_blocker()


def test_runs_list_paginates_and_filters(client: Any) -> None:
    first = client.list_runs(NET_PROD, page_size=1)
    assert len(first.runs) == 1 and first.pagination.next_page == 2
    total = first.pagination.total_count
    assert total and total >= 2
    second = client.list_runs(NET_PROD, page=2, page_size=1)
    assert second.runs[0].id != first.runs[0].id
    every = client.list_runs(NET_PROD, page_size=100).runs
    assert len(every) == total
    status = every[0].status
    assert {run.status for run in client.list_runs(NET_PROD, statuses=[status]).runs} == {status}


def test_iter_runs_walks_every_page(reset: EmulatorServer) -> None:
    with TfcClient(TfcConfig(host=reset.api_url, token=reset.token)) as client:  # sync convenience only
        listed = [run.id for run in client.iter_runs(NET_PROD, page_size=1)]
        assert listed == [run.id for run in client.list_runs(NET_PROD, page_size=100).runs]


def test_full_export_lifecycle_without_token_on_blob_host(
    client: Any, reset: EmulatorServer, tmp_path: Path
) -> None:
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    assert export.status in ("queued", "pending") and export.plan_id == PLAN_PLANNED
    assert export.id in client.get_plan(PLAN_PLANNED).export_ids
    finished = client.wait_for_plan_export(export.id, timeout=10, poll_interval=0.05)
    assert finished.status == "finished" and finished.download_path and finished.expired_at
    archive = client.download_plan_export(export.id, tmp_path / "bundle.tar.gz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"sentinel.hcl", "mock-tfplan-v2.sentinel", "mock-tfrun.sentinel"} <= names
    assert list(tmp_path.iterdir()) == [archive]  # no temp file left beside it
    assert client.delete_plan_export(export.id) is True
    assert client.delete_plan_export(export.id) is False  # already gone is success
    with pytest.raises(NotFoundError, match=f"plan export {export.id}"):
        client.get_plan_export(export.id)
    state = reset.snapshot()
    assert state["live_exports"] == 0
    assert state["blob_auth_leaks"] == 0 and state["blob_requests"] >= 1


def test_reuses_a_live_export_instead_of_creating_a_second(client: Any, reset: EmulatorServer) -> None:
    first = client.create_plan_export(PLAN_PLANNED)
    with pytest.raises(UnprocessableError) as duplicate:
        client.create_plan_export(PLAN_PLANNED)
    assert duplicate.value.status == 422
    assert client.create_or_reuse_plan_export(PLAN_PLANNED).id == first.id
    assert reset.snapshot()["live_exports"] == 1


def test_recreates_after_expiry(client: Any, reset: EmulatorServer) -> None:
    first = client.create_or_reuse_plan_export(PLAN_PLANNED)
    client.wait_for_plan_export(first.id, timeout=10, poll_interval=0.05)
    reset.advance_clock(3601)
    assert client.get_plan_export(first.id).status == "expired"
    with pytest.raises(PlanExportFailedError, match="expired"):
        client.wait_for_plan_export(first.id, timeout=1)
    second = client.create_or_reuse_plan_export(PLAN_PLANNED)
    assert second.id != first.id


@pytest.mark.parametrize("outcome", ["errored", "canceled"])
def test_failed_exports_raise_with_the_reason(client: Any, reset: EmulatorServer, outcome: str) -> None:
    reset.add_faults(export_outcomes={PLAN_PLANNED: outcome})
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    with pytest.raises(PlanExportFailedError, match=outcome) as failed:
        client.wait_for_plan_export(export.id, timeout=10, poll_interval=0.05)
    assert failed.value.status == outcome


def test_stuck_export_times_out(client: Any, reset: EmulatorServer) -> None:
    reset.add_faults(export_outcomes={PLAN_PLANNED: "stuck"})
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    with pytest.raises(PlanExportTimeoutError, match="still 'queued'"):
        client.wait_for_plan_export(export.id, timeout=0.3, poll_interval=0.05)


@pytest.mark.parametrize("plan_id", [PLAN_RUNNING, PLAN_ERRORED, PLAN_NO_EXPORT_PERMISSION])
def test_unexportable_plans_are_refused_before_posting(
    client: Any, reset: EmulatorServer, plan_id: str
) -> None:
    with pytest.raises(PlanNotExportableError, match=plan_id):
        client.create_or_reuse_plan_export(plan_id)
    assert "POST /api/v2/plan-exports" not in reset.snapshot()["requests"]


def test_comments(client: Any) -> None:
    comment = client.create_run_comment(RUN_PLANNED, "Sentinel: 3 passed, 1 failed")
    assert comment.id.startswith("wsc-") and comment.run_event_id
    assert comment.id in [c.id for c in client.list_run_comments(RUN_PLANNED)]


# -- bad input: tokens and IDs -------------------------------------------------------------------------


def test_bad_token_is_an_authentication_error(make_client: ClientFactory) -> None:
    client = make_client(token="not-a-token")
    with pytest.raises(AuthenticationError, match="API token") as failed:
        client.get_run(RUN_PLANNED)
    assert "not-a-token" not in str(failed.value)


def test_missing_token(make_client: ClientFactory) -> None:
    with pytest.raises(AuthenticationError):
        make_client(token="").list_organizations()


def test_unknown_ids_name_the_resource(client: Any) -> None:
    with pytest.raises(NotFoundError, match="run run-doesnotexist1234"):
        client.get_run("run-doesnotexist1234")
    with pytest.raises(NotFoundError, match="plan plan-doesnotexist123"):
        client.create_or_reuse_plan_export("plan-doesnotexist123")
    with pytest.raises(NotFoundError, match="plan export pe-doesnotexist12345"):
        client.wait_for_plan_export("pe-doesnotexist12345", timeout=1)


def test_foreign_organization_is_not_found_not_forbidden(client: Any) -> None:
    with pytest.raises(NotFoundError) as failed:
        client.get_run(RUN_GLOBEX)
    assert failed.value.status == 404


def test_ids_that_would_change_the_url_are_refused(client: Any) -> None:
    for bad in ("", "run-1/../../organizations", "run-1?include=x", "run 1"):
        with pytest.raises(ValueError, match="not a valid Terraform Cloud ID"):
            client.get_run(bad)


def test_task_result_rejects_unknown_status(client: Any) -> None:
    with pytest.raises(ValueError, match="passed"):
        client.update_task_result("https://x.example/cb", "tok", "done", "m")
    assert TaskResultOutcome("p", "d", label="Failed", level="error").to_json()["attributes"]["tags"]
