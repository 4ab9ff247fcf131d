"""The worker is killed mid-download and the task is retried: no partial file shows, the retry reuses
the export, and the bundle it leaves is whole.

What is real and what is simulated:

- **Real worker processes.** The first try runs in its own process, ``airflow dags test`` (the DAG from
  the repository's file, the real sqlite metadata DB, HTTP to the emulator; tasks beside the pipeline
  are marked done, not run). It is SIGKILLed while the
  blob host is half-way through sending the archive (the emulator's ``stall`` fault sends half the
  body, then goes quiet), which is what an OOM kill or a lost node does: no ``except``, no ``finally``,
  no cleanup.
- **The scheduler's part is simulated**, faithfully but by hand: a scheduler notices the missing
  heartbeat, and the failure handler it triggers (``TaskInstance.fetch_handle_failure_context``, called
  here as the DAG processor calls it) records the dead try and sets ``up_for_retry``; the scheduler then
  queues the next try (try number + 1, as ``dag.test`` and the scheduler do).
- **The retry is a real second process**: ``airflow tasks test`` on the same DAG run's task instance,
  reading the upstream XComs from the DB, as a worker on another machine would. The delete teardown
  then runs the same way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import CONN_ID, connection_json
from tests.airflow.reliability import (
    DAG_ID,
    RUN_PASSING,
    STORAGE_ENV,
    aftermath,
    partial_files,
    record_aftermath,
    run_folder,
)
from tfc_sentinel.emulator import EmulatorServer

AIRFLOW: Final = str(Path(sys.executable).with_name("airflow"))
BLOB: Final = "/v1/object/{secret}"
LOGICAL_DATE: Final = datetime(2024, 1, 1, tzinfo=UTC)
STALL_SECONDS: Final = 120  # far longer than the test needs to notice the stall and kill the worker
STARTUP_DEADLINE: Final = 240.0  # the CLI starts, parses the DAG folder, creates and awaits the export
# The first worker runs the tasks up to the download; any other task that gets ready before the kill
# (run-task bookkeeping beside the pipeline) is marked done instead of run: it has no part in this story.
ASIDE: Final = "(?!(create_export|wait_for_export|download_bundle)$).*"


# Worker 2: ``airflow tasks test`` for each task named, one after the other in one fresh process (the
# CLI's own parser and command; one process instead of one per task only saves start-up time).
SECOND_WORKER: Final = """
import sys
from airflow.cli.cli_parser import get_parser

dag_id, run_id, params, *task_ids = sys.argv[1:]
for task_id in task_ids:
    args = get_parser().parse_args(["tasks", "test", dag_id, task_id, run_id, "-t", params])
    args.func(args)
"""


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _finish(command: list[str], env: dict[str, str], log: Path) -> str:
    """Run a worker to completion; return its output (the tasks' logs)."""
    before = log.stat().st_size if log.exists() else 0
    process = _start(command, env, log)
    code = process.wait(timeout=600)
    output = log.read_bytes()[before:].decode("utf-8", errors="replace")
    assert code == 0, f"{' '.join(command[-6:])} exited {code}:\n{output[-4000:]}"
    return output


def _wait_for_partial_download(storage: Path, worker: subprocess.Popen[bytes], log: Path) -> Path:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        found = list(storage.rglob(".bundle.tar.gz.*.part"))
        if found:
            return found[0]
        if worker.poll() is not None:
            pytest.fail(f"the worker ended before the download stalled:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)
    pytest.fail(f"no download started within {STARTUP_DEADLINE:.0f}s:\n{log.read_text()[-4000:]}")


def _dag_run(session: Any) -> Any:
    from airflow.models.dagrun import DagRun

    return session.query(DagRun).filter_by(dag_id=DAG_ID, logical_date=LOGICAL_DATE).one()


def _fail_the_dead_try_and_queue_the_next(run_id: str) -> None:
    """What the scheduler and DAG processor do for a task instance whose heartbeat stopped."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id=DAG_ID, run_id=run_id, task_id="download_bundle")
            .one()
        )
        assert ti.state == TaskInstanceState.RUNNING  # the dead worker still "holds" it
        TaskInstance.fetch_handle_failure_context(
            ti=ti, error="Task did not emit heartbeat within time limit (worker killed)", session=session
        )
        assert ti.state == TaskInstanceState.UP_FOR_RETRY
        ti.try_number += 1
        ti.state = TaskInstanceState.SCHEDULED


def test_a_worker_killed_mid_download_is_retried_cleanly(
    reset: EmulatorServer, airflow_db: Path, tmp_path: Path
) -> None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from tfc_sentinel.bundle import Bundle

    storage = tmp_path / "storage"
    log = tmp_path / "workers.log"
    env = {
        **os.environ,
        STORAGE_ENV: str(storage),
        # Patient enough to sit through the stall: the kill, not a timeout, must end the first try.
        f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(reset.api_url, reset.token, read_timeout=600),
        "PYTHONUNBUFFERED": "1",
    }
    reset.configure(export_delay=0)  # the DAG file's sensor polls every 5 s: let it find the export done
    reset.add_faults({"method": "GET", "path": BLOB, "sequence": [f"stall:{STALL_SECONDS}"]})

    # -- worker 1: the whole DAG run, killed while the archive is half-sent --------------------------------
    conf = json.dumps({"run_id": RUN_PASSING})
    worker = _start(
        [
            AIRFLOW,
            "dags",
            "test",
            DAG_ID,
            LOGICAL_DATE.isoformat(),
            "-c",
            conf,
            "--mark-success-pattern",
            ASIDE,
        ],
        env,
        log,
    )
    try:
        part = _wait_for_partial_download(storage, worker, log)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL

    with create_session() as session:
        run_id = _dag_run(session).run_id
    folder = run_folder(storage, run_id)
    # What the dead try left: only its hidden temporary file; nothing under the names readers use.
    assert part.parent == folder and part.exists()
    assert not (folder / "bundle.tar.gz").exists() and not (folder / "bundle").exists()
    snapshot = reset.snapshot()
    assert (snapshot["live_exports"], snapshot["blob_requests"]) == (1, 1)
    (export,) = snapshot["exports"]

    # -- the scheduler notices; worker 2 runs the retry, then the delete teardown ------------------------------
    _fail_the_dead_try_and_queue_the_next(run_id)
    tasks = ["download_bundle", "delete_export"]
    retry_log = _finish([sys.executable, "-c", SECOND_WORKER, DAG_ID, run_id, conf, *tasks], env, log)
    assert f"downloading plan export {export['id']}" in retry_log
    assert "left by an earlier try that did not finish" in retry_log  # the dead try's temp file went

    with create_session() as session:
        ti = (
            session.query(TaskInstance)
            .filter_by(dag_id=DAG_ID, run_id=run_id, task_id="download_bundle")
            .one()
        )
        (state, try_number) = (str(ti.state), ti.try_number)
        returned = (
            session.query(XComModel)
            .filter_by(dag_id=DAG_ID, run_id=run_id, task_id="download_bundle", key="return_value")
            .one()
            .value
        )
    assert (state, try_number) == ("success", 2)
    bundle = folder / "bundle"
    assert str(returned).strip('"') == f"file://{bundle}"
    assert Bundle.load(bundle).describe()  # the whole bundle, loadable
    assert partial_files(storage) == []
    snapshot = reset.snapshot()
    assert snapshot["requests"]["POST /api/v2/plan-exports"] == 1  # the retry reused the export
    assert snapshot["blob_requests"] == 2
    assert f"deleted plan export {export['id']}" in retry_log  # and the teardown found it
    after = aftermath(reset, storage)
    problems = [
        *(["live exports left"] if after.live_exports else []),
        *([f"{after.exports_created} exports created"] if after.exports_created != 1 else []),
        *after.partial_files,
        *(["blob auth leak"] if after.blob_auth_leaks else []),
    ]
    record_aftermath("worker-kill", "worker killed mid-download, task retried", after, passed=not problems)
    assert problems == []
