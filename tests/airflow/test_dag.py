"""The ``tfc_policy_check`` DAG end to end with ``dag.test()``: a real metadata DB, tasks run in-process,
the deferred sensor's trigger run inline, HTTP to the emulator. Every scenario ends with no live export."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import DAGS_FOLDER, ORG
from tests.tfc.conftest import PLAN_PLANNED, RUN_PLANNED
from tfc_sentinel.emulator import EmulatorServer

DAG_FILE: Final = DAGS_FOLDER / "tfc_policy_check.py"
DAG_ID: Final = "tfc_policy_check"
TASKS: Final = ("create_export", "wait_for_export", "download_bundle", "delete_export")
POSTS: Final = "POST /api/v2/plan-exports"


def test_dag_folder_imports_cleanly(airflow_db: Path) -> None:
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {DAG_ID}
    dag = bag.get_dag(DAG_ID)
    assert dag is not None and tuple(t.task_id for t in dag.tasks) == TASKS
    assert dag.get_task("delete_export").is_teardown


def test_parsing_the_dag_file_stays_cheap() -> None:
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in ('requests', 'aiohttp', 'tfc_sentinel.tfc', 'tfc_sentinel.bundle') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(DAG_FILE)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


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


def run_dag(dag: Any, run_id: str = RUN_PLANNED) -> Any:
    return dag.test(run_conf={"run_id": run_id})


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
    assert states(dag_run) == dict.fromkeys(TASKS, "success")
    assert dag_run.state == "success"
    export_id = xcom(dag_run, "create_export")
    assert export_id.startswith("pe-") and xcom(dag_run, "create_export", "plan_id") == PLAN_PLANNED
    assert xcom(dag_run, "wait_for_export") == export_id
    location = xcom(dag_run, "download_bundle")
    assert location.startswith("file://") and location.endswith("/bundle")
    assert Path(location.removeprefix("file://"), "sentinel.hcl").is_file()
    assert xcom(dag_run, "delete_export") == [export_id]
    run_url = f"{tfc_run.api_url}/app/{ORG}/net-prod/runs/{RUN_PLANNED}"
    assert xcom(dag_run, "create_export", "run_url") == run_url
    assert xcom(dag_run, "create_export", "_link_TerraformRunLink") == run_url
    assert tfc_run.snapshot()["blob_auth_leaks"] == 0


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
        "delete_export": "success",
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
        "delete_export": "success",
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
