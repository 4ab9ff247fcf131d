"""The ``tfc_policy_check`` DAG end to end with ``dag.test()``: a real metadata DB, tasks run in-process,
the deferred sensor's trigger run inline, HTTP to the emulator, the built-in engine on the example set
``aws-baseline``. Every scenario ends with no live export.

Verdicts of the example set on the fixture runs (include/policies/aws-baseline/README.md):
``run-coldsirKVxipUP0Z`` passes every mandatory policy (advisory ``mandatory-tags`` fails: outcome
``warn``); ``run-3YMjH7RcU18bXbD9`` fails the soft-mandatory ``destroy-protection``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import DAGS_FOLDER, ORG
from tests.tfc.conftest import RUN_PLANNED
from tfc_sentinel.emulator import EmulatorServer

DAG_FILE: Final = DAGS_FOLDER / "tfc_policy_check.py"
DAG_ID: Final = "tfc_policy_check"
TASKS: Final = (
    "create_export",
    "wait_for_export",
    "download_bundle",
    "run_policies",
    "post_comment",
    "delete_export",
    "report_run_task",
    "run_task_watchdog",
)
POSTS: Final = "POST /api/v2/plan-exports"
RUN_PASSING: Final = "run-coldsirKVxipUP0Z"
PLAN_PASSING: Final = "plan-oLoG3ZL6mP1X3Hbt"
RUN_SOFT_FAILING: Final = RUN_PLANNED
REPORT_FILES: Final = ("report.json", "report.junit.xml", "report.html", "report.md")


def test_dag_folder_imports_cleanly(airflow_db: Path) -> None:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {DAG_ID, "tfc_policy_sweep"}
    dag = bag.get_dag(DAG_ID)
    assert dag is not None and tuple(t.task_id for t in dag.tasks) == TASKS
    assert dag.get_task("delete_export").is_teardown


def _heavy_modules_after(path: Path) -> list[str]:
    heavy = (
        "requests",
        "aiohttp",
        "sqlalchemy",
        "airflow.models",
        "airflow.providers.standard.operators.trigger_dagrun",
        "tfc_sentinel.tfc",
        "tfc_sentinel.bundle",
        "tfc_sentinel.lang",
        "tfc_sentinel.policy",
        "tfc_sentinel.report",
    )
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


@pytest.mark.parametrize("dag_file", ["tfc_policy_check.py", "tfc_policy_sweep.py"])
def test_parsing_the_dag_files_stays_cheap(dag_file: str, tmp_path: Path) -> None:
    """Nothing heavy beyond what an empty DAG loads: no HTTP client, engine, bundle code, report
    renderers, and no ORM (bench/bench_dag_parse.py times it; this keeps the causes from coming back)."""
    empty = tmp_path / "empty_dag.py"
    empty.write_text('from airflow.sdk import DAG\n\nwith DAG(dag_id="empty", schedule=None):\n    pass\n')
    baseline = set(_heavy_modules_after(empty))
    assert set(_heavy_modules_after(DAGS_FOLDER / dag_file)) - baseline == set()


@pytest.fixture(scope="module")
def dag(airflow_db: Path) -> Any:
    """The DAG from its file, with test-sized waits (dag.test runs these task objects)."""
    spec = importlib.util.spec_from_file_location("tfc_policy_check_under_test", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    dag.get_task("wait_for_export").poke_interval = 0.1
    download = dag.get_task("download_bundle")
    download.poll_interval = 0.1
    download.reexport_timeout = 30
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
    return dag


@pytest.fixture
def tfc_run(tfc: EmulatorServer) -> EmulatorServer:
    """The emulator at its fixtures (``tfc`` checks afterwards that no export is left alive)."""
    return tfc


@pytest.fixture
def deferring(dag: Any, tfc_run: EmulatorServer) -> Iterator[EmulatorServer]:
    """Make the sensor defer whatever the machine's speed: exports take a minute of emulator time, and
    the emulator clock jumps a minute half a second after the sensor first starts (its first check has
    deferred by then; dag.test runs the trigger inline, which then sees the export end)."""
    sensor = dag.get_task("wait_for_export")
    tfc_run.configure(export_delay=60)
    timers: list[threading.Timer] = []

    def finish_soon(context: Any) -> None:
        if not timers:  # pre_execute runs again when the sensor resumes
            timers.append(threading.Timer(0.5, tfc_run.advance_clock, args=(61,)))
            timers[0].start()

    sensor._pre_execute_hook = finish_soon
    try:
        yield tfc_run
    finally:
        sensor._pre_execute_hook = None
        for timer in timers:
            timer.join()


# Every Param, every time: merging the conf into the Params sets the value on the DAG's own Param
# objects (airflow.sdk.definitions.param.process_params), so in one process a value left out would
# keep the previous dag.test's value. Workers run each task in a fresh process and never see this.
DEFAULT_CONF: Final = {
    "policy_set": None,
    "engine": "builtin",
    "fail_on": "soft-mandatory",
    "run_tests": False,
    "post_comment": None,
    "run_task": None,
}
# Not started by a run task: both run-task tasks skip at once.
NOT_A_RUN_TASK: Final = {"report_run_task": "skipped", "run_task_watchdog": "skipped"}


def run_dag(dag: Any, run_id: str = RUN_PASSING, **conf: Any) -> Any:
    return dag.test(run_conf={"run_id": run_id, **DEFAULT_CONF, **conf})


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id, key=key)


DEFERRED: Final = "[DAG TEST] running trigger in line"


def test_success(
    dag: Any, deferring: EmulatorServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    tfc_run = deferring
    dag_run = run_dag(dag)
    assert DEFERRED in caplog.text
    logs = capsys.readouterr().out + caplog.text
    assert "downloading plan export" in logs  # the task logs are here ...
    assert tfc_run.token not in logs and "/v1/object/" not in logs  # ... without token or signed URL
    assert states(dag_run) == {**dict.fromkeys(TASKS, "success"), **NOT_A_RUN_TASK, "post_comment": "skipped"}
    assert dag_run.state == "success"
    export_id = xcom(dag_run, "create_export")
    assert export_id.startswith("pe-") and xcom(dag_run, "create_export", "plan_id") == PLAN_PASSING
    assert xcom(dag_run, "wait_for_export") == export_id
    location = xcom(dag_run, "download_bundle")
    assert location.startswith("file://") and location.endswith("/bundle")
    assert Path(location.removeprefix("file://"), "sentinel.hcl").is_file()
    assert xcom(dag_run, "delete_export") == [export_id]
    run_url = f"{tfc_run.api_url}/app/{ORG}/net-prod/runs/{RUN_PASSING}"
    assert xcom(dag_run, "create_export", "run_url") == run_url
    assert xcom(dag_run, "create_export", "_link_TerraformRunLink") == run_url
    assert tfc_run.snapshot()["blob_auth_leaks"] == 0
    # The policy step: advisory failures only, so the check passes with outcome "warn".
    summary = xcom(dag_run, "run_policies")
    assert summary == xcom(dag_run, "run_policies", "policy_summary")
    assert (summary["outcome"], summary["failed"], summary["blocking"]) == ("warn", False, [])
    assert (summary["fail_on"], summary["engine"]) == ("soft-mandatory", "builtin")
    assert summary["policy_set"].endswith("include/policies/aws-baseline")
    assert summary["counts"]["policies"] == 9 and summary["counts"]["advisory_failed"] == 1
    assert {"name": "mandatory-tags", "level": "advisory", "outcome": "fail"} in summary["policies"]
    assert summary["tests"] is None
    reports = Path(location.removeprefix("file://")).parent / "reports"
    assert summary["reports"] == {
        fmt: f"file://{reports / name}"
        for fmt, name in zip(("json", "junit", "html", "markdown"), REPORT_FILES, strict=True)
    }
    report = json.loads((reports / "report.json").read_text())
    assert report["context"]["run_id"] == RUN_PASSING and report["context"]["run_url"] == run_url
    assert len(json.dumps(summary)) < 4000  # small: locations and names, no file contents
    assert tfc_run.token not in json.dumps(summary)


def test_errored_export_fails_the_sensor_and_teardown_still_deletes(
    dag: Any, deferring: EmulatorServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    tfc_run = deferring
    tfc_run.add_faults(export_outcomes={"*": {"outcome": "errored", "error_message": "plan too large"}})
    dag_run = run_dag(dag)
    assert DEFERRED in caplog.text
    # The task log (stdout under dag.test) carries the export's own message.
    assert "ended 'errored' (plan too large)" in capsys.readouterr().out
    assert dag_run.state == "failed"
    assert states(dag_run) == {
        "create_export": "success",
        "wait_for_export": "failed",
        "download_bundle": "upstream_failed",
        "run_policies": "upstream_failed",
        "post_comment": "skipped",
        "delete_export": "success",
        **NOT_A_RUN_TASK,
    }
    assert tfc_run.snapshot()["deleted_exports"] == 1


def test_expired_before_download_is_exported_again(dag: Any, tfc_run: EmulatorServer) -> None:
    sensor = dag.get_task("wait_for_export")
    callbacks = sensor.on_success_callback
    sensor.on_success_callback = [lambda context: tfc_run.advance_clock(3700)]  # an hour passes
    try:
        dag_run = run_dag(dag)
    finally:
        sensor.on_success_callback = callbacks
    assert dag_run.state == "success"
    first, second = xcom(dag_run, "create_export"), xcom(dag_run, "download_bundle", "export_id")
    assert second.startswith("pe-") and second != first
    assert tfc_run.snapshot()["requests"][POSTS] == 2
    assert second in xcom(dag_run, "delete_export")  # the expired one too, if the API still lets it


def test_rate_limits_and_server_errors_are_ridden_out(dag: Any, tfc_run: EmulatorServer) -> None:
    tfc_run.add_faults(
        {"method": "GET", "path": "/api/v2/plan-exports/{export_id}", "sequence": ["429"] * 6},
        {"method": "GET", "path": "/api/v2/runs/{run_id}", "sequence": ["503", "502-html", "reset"]},
        {"method": "GET", "path": "/api/v2/plans/{plan_id}", "sequence": ["500", "429"]},
        {"method": "DELETE", "path": "/api/v2/plan-exports/{export_id}", "sequence": ["503"]},
    )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", states(dag_run)
    faults = tfc_run.state.faults.to_json()["rules"]
    assert all(rule["exhausted"] for rule in faults)


def test_retried_create_task_reuses_the_export(dag: Any, tfc_run: EmulatorServer) -> None:
    # The POST creates the export but its reply is lost; the plan lookup that would recover it keeps
    # failing until the client gives up, so the task fails. Its retry finds the export and reuses it.
    tfc_run.add_faults(
        {"method": "POST", "path": "/api/v2/plan-exports", "sequence": ["lost"]},
        {"method": "GET", "path": "/api/v2/plans/{plan_id}", "sequence": ["ok", "ok"] + ["503"] * 5},
    )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", states(dag_run)
    assert dag_run.get_task_instance("create_export").try_number == 2
    assert tfc_run.snapshot()["requests"][POSTS] == 1
    assert xcom(dag_run, "delete_export") == [xcom(dag_run, "create_export")]


def test_bad_run_id_is_refused_before_anything_runs(dag: Any, tfc_run: EmulatorServer) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match="run_id"):
        run_dag(dag, "run; rm -rf /")
    assert tfc_run.snapshot()["requests"] == {}


def test_unknown_run_fails_clearly_with_nothing_to_delete(
    dag: Any, tfc_run: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dag_run = run_dag(dag, "run-doesNotExist42")
    assert "Terraform run run-doesNotExist42 does not exist or the token" in capsys.readouterr().out
    assert dag_run.state == "failed"
    assert states(dag_run) == {
        "create_export": "failed",
        "wait_for_export": "upstream_failed",
        "download_bundle": "upstream_failed",
        "run_policies": "upstream_failed",
        "post_comment": "skipped",
        "delete_export": "success",
        **NOT_A_RUN_TASK,
    }
    assert dag_run.get_task_instance("create_export").try_number == 1  # not worth retrying
    assert xcom(dag_run, "delete_export") == []
    assert POSTS not in tfc_run.snapshot()["requests"]


def test_retry_after_a_crash_reuses_the_stored_export(dag: Any, tfc_run: EmulatorServer) -> None:
    """task_state_store on the real DB: the first try creates and stores the export, then dies (a
    ``post_execute`` hook raising stands in for a lost worker); the retry reuses the stored export."""
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session

    create = dag.get_task("create_export")
    crashes = []

    def crash_once(context: Any, result: Any) -> None:
        if not crashes:
            crashes.append(result)
            raise RuntimeError("worker lost after creating the export")

    create._post_execute_hook = crash_once
    try:
        dag_run = run_dag(dag)
    finally:
        create._post_execute_hook = None
    assert dag_run.state == "success", states(dag_run)
    assert dag_run.get_task_instance("create_export").try_number == 2
    export_id = xcom(dag_run, "create_export")
    assert crashes == [export_id]
    with create_session() as session:
        stored = (
            session.query(TaskStateStoreModel).filter_by(run_id=dag_run.run_id, task_id="create_export").one()
        )
    assert (stored.key, stored.value) == ("export_id", f'"{export_id}"')
    requests = tfc_run.snapshot()["requests"]
    assert requests[POSTS] == 1
    # Plan reads: try 1 checks exportability and looks for live exports (2); try 2 only checks (1): the
    # export came from the store, not from a plan lookup.
    assert requests["GET /api/v2/plans/{plan_id}"] == 3
    assert xcom(dag_run, "delete_export") == [export_id]


# -- the policy step ---------------------------------------------------------------------------------------


def task_log(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """What dag.test printed (task logs go to stdout) plus captured records."""
    return capsys.readouterr().out + caplog.text


def test_a_failed_check_is_posted_to_the_terraform_run_when_asked(dag: Any, tfc_run: EmulatorServer) -> None:
    dag_run = run_dag(dag, RUN_SOFT_FAILING, post_comment=True)
    assert dag_run.state == "failed"
    assert states(dag_run)["run_policies"] == "failed"
    assert states(dag_run)["post_comment"] == "success"
    assert states(dag_run)["delete_export"] == "success"
    assert tfc_run.snapshot()["comments"] == 1
    comment_id = xcom(dag_run, "post_comment")
    assert isinstance(comment_id, str) and comment_id.startswith("wsc-")


def test_policy_failure_at_the_threshold_fails_the_task_and_teardown_still_deletes(
    dag: Any, tfc_run: EmulatorServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    dag_run = run_dag(dag, RUN_SOFT_FAILING)
    assert dag_run.state == "failed"
    assert states(dag_run) == {
        "create_export": "success",
        "wait_for_export": "success",
        "download_bundle": "success",
        "run_policies": "failed",
        "post_comment": "skipped",
        "delete_export": "success",
        **NOT_A_RUN_TASK,
    }
    ti = dag_run.get_task_instance("run_policies")
    assert ti.try_number == 1  # AirflowFailException: the same bundle gives the same verdict
    logs = task_log(capsys, caplog)
    verdict = "policy check failed at fail_on=soft-mandatory: destroy-protection (soft-mandatory)"
    assert verdict in logs
    # The verdict is the task's first own log line, before the report locations.
    assert logs.index(verdict) < logs.index("reports: file://")
    summary = xcom(dag_run, "run_policies", "policy_summary")
    assert (summary["outcome"], summary["failed"]) == ("soft-fail", True)
    assert summary["blocking"] == ["destroy-protection"]
    for location in summary["reports"].values():
        assert Path(location.removeprefix("file://")).is_file()
    report = Path(summary["reports"]["junit"].removeprefix("file://")).read_text()
    assert "destroy-protection" in report and "<failure" in report
    assert not list(Path(summary["reports"]["json"].removeprefix("file://")).parent.glob(".*.tmp"))
    export_id = xcom(dag_run, "create_export")
    assert xcom(dag_run, "delete_export") == [export_id]
    assert tfc_run.snapshot()["deleted_exports"] == 1


def test_a_higher_threshold_lets_soft_failures_through(dag: Any, tfc_run: EmulatorServer) -> None:
    dag_run = run_dag(dag, RUN_SOFT_FAILING, fail_on="hard-mandatory")
    assert dag_run.state == "success", states(dag_run)
    summary = xcom(dag_run, "run_policies")
    assert (summary["outcome"], summary["failed"], summary["blocking"]) == ("soft-fail", False, [])
    assert summary["counts"]["soft_mandatory_failed"] == 1


def test_fail_on_never_reports_without_failing(dag: Any, tfc_run: EmulatorServer) -> None:
    dag_run = run_dag(dag, RUN_SOFT_FAILING, fail_on="never", run_tests=True)
    assert dag_run.state == "success", states(dag_run)
    summary = xcom(dag_run, "run_policies")
    assert (summary["outcome"], summary["failed"], summary["fail_on"]) == ("soft-fail", False, "never")
    failed = {p["name"]: p["level"] for p in summary["policies"] if p["outcome"] == "fail"}
    assert failed == {"destroy-protection": "soft-mandatory", "mandatory-tags": "advisory"}
    # The set's own test cases ran too, with their own reports.
    tests = summary["tests"]
    assert tests["outcome"] == "pass" and tests["counts"]["cases"] > 0
    assert tests["counts"]["cases_passed"] == tests["counts"]["cases"]
    assert Path(tests["reports"]["junit"].removeprefix("file://")).name == "tests.junit.xml"
    assert Path(tests["reports"]["html"].removeprefix("file://")).is_file()


def test_a_policy_set_chosen_by_name(dag: Any, tfc_run: EmulatorServer) -> None:
    # The Azure/GCP set is not meant for AWS runs: its hard-mandatory allowed-providers fails.
    dag_run = run_dag(dag, RUN_PASSING, policy_set="azure-gcp-baseline", fail_on="hard-mandatory")
    assert dag_run.state == "failed"
    summary = xcom(dag_run, "run_policies", "policy_summary")
    assert summary["policy_set"].endswith("include/policies/azure-gcp-baseline")
    assert summary["blocking"] == ["allowed-providers"]


def test_missing_policy_set_says_what_to_do_and_the_export_is_still_deleted(
    dag: Any,
    tfc_run: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    dag_run = run_dag(dag, policy_set=str(tmp_path / "no-such-set"))
    assert states(dag_run)["run_policies"] == "failed"
    assert states(dag_run)["delete_export"] == "success"
    out = task_log(capsys, caplog)
    assert f"policy set {tmp_path / 'no-such-set'} not found: expected a folder holding sentinel.hcl" in out
    assert "aws-baseline" in out  # the example sets are named
    assert tfc_run.snapshot()["deleted_exports"] == 1


def test_an_engine_that_cannot_run_fails_whatever_the_threshold(
    dag: Any,
    tfc_run: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__SENTINEL_BINARY", "/nonexistent/sentinel")
    dag_run = run_dag(dag, engine="sentinel", fail_on="never")
    assert states(dag_run)["run_policies"] == "failed"
    assert states(dag_run)["delete_export"] == "success"
    out = task_log(capsys, caplog)
    assert "policy check could not run:" in out and "/nonexistent/sentinel" in out
    summary = xcom(dag_run, "run_policies", "policy_summary")
    assert summary["outcome"] == "error" and summary["error"]
    assert Path(summary["reports"]["json"].removeprefix("file://")).is_file()


@pytest.mark.parametrize(
    ("conf", "field"), [({"fail_on": "advisory"}, "fail_on"), ({"engine": "opa"}, "engine")]
)
def test_bad_params_are_refused_before_anything_runs(
    dag: Any, tfc_run: EmulatorServer, conf: dict[str, str], field: str
) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match=field):
        run_dag(dag, **conf)
    assert tfc_run.snapshot()["requests"] == {}
