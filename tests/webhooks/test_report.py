"""Reporting to the run task: ``tfc_policy_check`` run with ``dag.test()`` as a run task would start it.

The conf is what the receiver writes (``run_task`` with a grant sealed by the real Fernet code) for a
task result the emulator made, so the PATCHes the DAG sends land on the emulator's callback endpoint,
which checks the token, the status values and the outcomes, and records every attempt. Also checked:
the access token appears in no XCom, rendered field or log line.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import DAGS_FOLDER
from tfc_sentinel.emulator import EmulatorServer

RUN_PASSING: Final = "run-coldsirKVxipUP0Z"  # only the advisory mandatory-tags fails
RUN_FAILING: Final = "run-3YMjH7RcU18bXbD9"  # soft-mandatory destroy-protection fails
RUN_PLANNING: Final = "run-HOtaVxCrDqXMyFK3"  # plan still running: not exportable
AIRFLOW_URL: Final = "https://airflow.example.com"
# Every Param, every time (see tests/airflow/test_dag.py): a fresh DAG object per run besides.
DEFAULT_CONF: Final = {
    "policy_set": None,
    "engine": "builtin",
    "fail_on": "soft-mandatory",
    "run_tests": False,
    "post_comment": None,
}


def load_dag() -> Any:
    """A fresh DAG object from the file, with test-sized waits."""
    spec = importlib.util.spec_from_file_location(
        "tfc_policy_check_for_run_tasks", DAGS_FOLDER / "tfc_policy_check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    dag.get_task("wait_for_export").poke_interval = 0.1
    dag.get_task("download_bundle").poll_interval = 0.1
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
    return dag


@pytest.fixture
def reporting(
    airflow_db: Path, fernet_key: str, tfc: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", AIRFLOW_URL)
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__RUN_TASK_CHECK_INTERVAL", "0.5")
    yield tfc
    assert tfc.snapshot()["live_exports"] == 0


def run_as_run_task(
    emulator: EmulatorServer, run_id: str, *, age: float = 0.0, watchdog: bool = False, **conf: Any
) -> tuple[Any, dict[str, Any], str]:
    """Make a task result, seal its grant as the receiver does, run the DAG. Returns (DAG run, emulator's
    view of the result, access token). ``dag.test`` runs triggers inline, so the watchdog (which waits in
    the triggerer beside the pipeline) is marked successful without running unless ``watchdog``."""
    from tfc_sentinel.airflow.runtasks import RunTaskGrant, RunTaskInfo, seal_grant

    handout = emulator.create_task_result(run_id)
    grant = RunTaskGrant(handout["access_token"], handout["callback_url"], handout["id"], run_id)
    info = RunTaskInfo(
        task_result_id=handout["id"],
        sealed_grant=seal_grant(grant),
        received_at=datetime.now(UTC) - timedelta(seconds=age),
        stage="post_plan",
        enforcement_level="mandatory",
    )
    dag_run = load_dag().test(
        run_conf={"run_id": run_id, **DEFAULT_CONF, **conf, "run_task": info.to_conf()},
        mark_success_pattern=None if watchdog else "run_task_watchdog",
    )
    return dag_run, emulator.task_result(handout["id"]), handout["access_token"]


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def stored_values(dag_run: Any) -> str:
    """Every XCom value and rendered template field of the DAG run, as one text to search."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        xcoms = session.scalars(select(XComModel.value).where(XComModel.run_id == dag_run.run_id)).all()
        rendered = session.scalars(
            select(RenderedTaskInstanceFields.rendered_fields).where(
                RenderedTaskInstanceFields.run_id == dag_run.run_id
            )
        ).all()
    return json.dumps([*xcoms, *rendered], default=str)


def output(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> str:
    """Everything logged or printed so far (task logs of ``dag.test`` go to the console)."""
    out, err = capfd.readouterr()
    return caplog.text + out + err


def test_a_failing_check_is_reported_failed_with_one_outcome_per_policy(
    reporting: EmulatorServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run, result, token = run_as_run_task(reporting, RUN_FAILING)
    assert states(dag_run)["run_policies"] == "failed"
    assert states(dag_run)["report_run_task"] == "success"
    assert states(dag_run)["run_task_watchdog"] == "success"
    assert result["status"] == "failed"
    assert "destroy-protection (soft-mandatory)" in result["message"]
    assert "\n" not in result["message"] and len(result["message"]) <= 1000
    tab = f"{AIRFLOW_URL}/dags/tfc_policy_check/runs/{dag_run.run_id.replace(':', '%3A').replace('+', '%2B')}/plugin/policy_results"
    assert result["url"] == tab
    outcomes = {o["outcome-id"]: o for o in result["outcomes"]}
    assert len(outcomes) == 9  # the example set's policies, each once
    blocking = outcomes["destroy-protection"]
    assert blocking["tags"]["Status"] == [{"label": "Failed", "level": "error"}]
    assert blocking["tags"]["Enforcement level"] == [{"label": "soft-mandatory", "level": "none"}]
    assert (
        "aws_s3_bucket.legacy_reports" in blocking["body"]
        and "aws_s3_bucket.legacy_reports" in blocking["description"]
    )
    assert blocking["url"] == tab
    passed = [o for o in outcomes.values() if o["tags"]["Status"][0]["label"] == "Passed"]
    assert passed and all(o["tags"]["Status"][0]["level"] == "none" for o in passed)
    # Failing outcomes come first, as Terraform Cloud lists them in order.
    assert result["outcomes"][0]["tags"]["Status"][0]["level"] in ("error", "warning")
    assert [p["response_status"] for p in result["patches"]] == [200]
    assert token not in stored_values(dag_run) and token not in output(caplog, capfd)


def test_a_passing_check_is_reported_passed_and_advisory_failures_are_warnings(
    reporting: EmulatorServer,
) -> None:
    dag_run, result, _ = run_as_run_task(reporting, RUN_PASSING)
    assert dag_run.state == "success", states(dag_run)
    assert result["status"] == "passed"
    assert "not blocking: mandatory-tags" in result["message"]
    advisory = next(o for o in result["outcomes"] if o["outcome-id"] == "mandatory-tags")
    assert advisory["tags"]["Status"] == [{"label": "Failed (not blocking)", "level": "warning"}]
    # The callback went out with the task result's token, never the connection's API token.
    callbacks = [e for e in reporting.state.recorder.entries() if e["path"].endswith("/callback")]
    assert callbacks and {e["credential"] for e in callbacks} == {"task-result"}


@pytest.mark.parametrize(
    ("run_id", "conf", "broken"),
    [
        (RUN_PLANNING, {}, "create_export"),
        (RUN_PASSING, {"policy_set": "no-such-policy-set"}, "run_policies"),
    ],
)
def test_a_check_that_could_not_run_is_reported_failed(
    reporting: EmulatorServer, run_id: str, conf: dict[str, Any], broken: str
) -> None:
    dag_run, result, _ = run_as_run_task(reporting, run_id, **conf)
    assert states(dag_run)[broken] == "failed"
    assert states(dag_run)["report_run_task"] == "success"
    assert result["status"] == "failed"
    assert result["message"].startswith(f"Sentinel policy check could not run ({broken} failed)")
    assert result["outcomes"] == []


def test_the_watchdog_sends_running_then_failed_before_the_deadline(
    reporting: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The request arrived two minutes ago (past the 60 s after which progress is reported) and the
    # deadline is four seconds away. dag.test runs the watchdog's trigger inline, before the pipeline,
    # so the check cannot finish first: the watchdog reports running, then failed at the deadline, and
    # the report that follows finds the result final (409), which is fine.
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__RUN_TASK_DEADLINE", "124")
    dag_run, result, _ = run_as_run_task(reporting, RUN_PASSING, age=120, watchdog=True)
    sent = [(p["body"]["data"]["attributes"]["status"], p["response_status"]) for p in result["patches"]]
    assert sent == [("running", 200), ("failed", 200), ("passed", 409)]
    assert "running in Airflow for 12" in result["patches"][0]["body"]["data"]["attributes"]["message"]
    assert result["status"] == "failed"
    assert "did not finish within 2 minutes" in result["message"]
    assert states(dag_run)["run_task_watchdog"] == "success"
    assert states(dag_run)["report_run_task"] == "success"
    report = dag_run.get_task_instance("report_run_task")
    assert report.xcom_pull(task_ids="report_run_task", key="task_result_status") == "already-final"
    assert report.xcom_pull(task_ids="run_task_watchdog") == "deadline"


def test_past_the_deadline_the_watchdog_reports_failed_at_once(reporting: EmulatorServer) -> None:
    _, result, _ = run_as_run_task(reporting, RUN_PASSING, age=570, watchdog=True)
    sent = [(p["body"]["data"]["attributes"]["status"], p["response_status"]) for p in result["patches"]]
    assert sent == [("failed", 200), ("passed", 409)]
    assert "did not finish within 9 minutes" in result["message"]


def test_dag_runs_not_started_by_a_run_task_skip_both_tasks(reporting: EmulatorServer) -> None:
    dag_run = load_dag().test(run_conf={"run_id": RUN_PASSING, **DEFAULT_CONF, "run_task": None})
    assert dag_run.state == "success"
    assert states(dag_run)["report_run_task"] == "skipped"
    assert states(dag_run)["run_task_watchdog"] == "skipped"


def test_a_grant_sealed_with_another_key_fails_without_leaking(
    reporting: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from airflow.sdk.crypto import get_fernet
    from cryptography.fernet import Fernet

    from tfc_sentinel.airflow.runtasks import RunTaskGrant, RunTaskInfo, seal_grant

    handout = reporting.create_task_result(RUN_PASSING)
    grant = RunTaskGrant(handout["access_token"], handout["callback_url"], handout["id"], RUN_PASSING)
    sealed = seal_grant(grant)
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())  # workers' key differs
    get_fernet.cache_clear()
    info = RunTaskInfo(handout["id"], sealed, datetime.now(UTC), "post_plan", "mandatory")
    dag_run = load_dag().test(run_conf={"run_id": RUN_PASSING, **DEFAULT_CONF, "run_task": info.to_conf()})
    # Both tasks that need the grant fail at once, before anything is sent or waited for.
    assert states(dag_run)["report_run_task"] == "failed"
    assert states(dag_run)["run_task_watchdog"] == "failed"
    logged = output(caplog, capfd)
    assert "sealed with another Fernet key" in logged
    assert handout["access_token"] not in logged
    assert reporting.task_result(handout["id"])["patch_count"] == 0


def test_a_grant_copied_into_a_dag_run_for_another_run_is_refused(reporting: EmulatorServer) -> None:
    """Someone who may trigger DAG runs copies the sealed grant of a failing run's task result into a
    check of a passing run: the passing verdict must not reach the failing run's task result."""
    from tfc_sentinel.airflow.runtasks import RunTaskGrant, RunTaskInfo, seal_grant

    handout = reporting.create_task_result(RUN_FAILING)
    grant = RunTaskGrant(handout["access_token"], handout["callback_url"], handout["id"], RUN_FAILING)
    info = RunTaskInfo(handout["id"], seal_grant(grant), datetime.now(UTC), "post_plan", "mandatory")
    dag_run = load_dag().test(run_conf={"run_id": RUN_PASSING, **DEFAULT_CONF, "run_task": info.to_conf()})
    assert states(dag_run)["run_policies"] == "success"
    assert states(dag_run)["report_run_task"] == "failed"
    assert states(dag_run)["run_task_watchdog"] == "failed"
    assert reporting.task_result(handout["id"])["patch_count"] == 0


def test_the_results_link_names_the_ui_tab() -> None:
    from tfc_sentinel.airflow.runtasks import RUN_TAB_ROUTE
    from tfc_sentinel.ui import RUN_TAB_ROUTE as UI_ROUTE

    assert RUN_TAB_ROUTE == UI_ROUTE
