"""The triggerer restarts while the deferred sensor waits: the export survives, the trigger resumes from
what the database stored, and the DAG run completes.

What is real and what is simulated:

- **Real**: the whole ``tfc_policy_check`` run (``dag.test()``, metadata DB, emulator); the sensor
  defers for real, so the worker writes the trigger row (classpath and serialized kwargs) to the
  ``trigger`` table as it does for a real triggerer; and the trigger is run by Airflow's own
  ``TriggerRunner`` (``airflow.jobs.triggerer_job_runner``), the class inside every ``airflow
  triggerer`` process: it reads the row's kwargs the way a triggerer does (decrypt, decode, build the
  trigger from them), runs it, and on shutdown cancels it without a message, so ``cleanup()`` runs and
  ``on_kill()`` does not.
- **Simulated**: the processes around it. ``dag.test`` normally runs a deferred task's trigger inline;
  here its inline step (``airflow.sdk.definitions.dag._run_inline_trigger``, Airflow's test harness,
  not our code) is replaced by a triggerer that starts, is shut down mid-wait, and a new one that picks
  the same row up, the way a restarted ``airflow triggerer`` process (or another one in HA) does. The
  supervisor process and its socket are not started; connections come from the environment, as the
  supervisor would hand them over.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.reliability import (
    RUN_PASSING,
    STORAGE_ENV,
    aftermath,
    expected_states,
    load_dag,
    record_aftermath,
    task_states,
)
from tfc_sentinel.emulator import EmulatorServer

EXPORT_POLLS: Final = "GET /api/v2/plan-exports/{export_id}"
DELETES: Final = "DELETE /api/v2/plan-exports/{export_id}"
EXPORT_DELAY: Final = 60.0  # emulator seconds: the export stays queued until the clock is moved


async def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class RestartingTriggerer:
    """Stands in for ``dag.test``'s inline trigger step: one triggerer runs the stored trigger, is shut
    down while the trigger waits, and a second one resumes it from the same row."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.seen: dict[str, Any] = {}

    def __call__(self, trigger: Any, task_sdk_ti: Any) -> Any:
        from airflow.executors.workloads.trigger import RunTrigger
        from airflow.models.taskinstance import TaskInstance
        from airflow.models.trigger import Trigger
        from airflow.utils.session import create_session

        with create_session() as session:
            trigger_id = session.get(TaskInstance, task_sdk_ti.id).trigger_id
            row = session.get(Trigger, trigger_id)
            workload = RunTrigger(id=row.id, classpath=row.classpath, encrypted_kwargs=row.encrypted_kwargs)
        self.seen["classpath"] = row.classpath
        return asyncio.run(self._restart_once(workload))

    async def _restart_once(self, workload: Any) -> Any:
        from airflow.jobs.triggerer_job_runner import TriggerRunner

        polls = self.emulator.snapshot()["requests"].get(EXPORT_POLLS, 0)

        first = TriggerRunner()
        first.to_create.append(workload)
        await first.create_triggers()
        running = first.triggers[workload.id]["task"]
        await _until(
            lambda: self.emulator.snapshot()["requests"].get(EXPORT_POLLS, 0) >= polls + 2,
            "the first triggerer's trigger to poll the export twice",
        )
        running.cancel()  # shutdown: the runner cancels without the "user action" message
        with contextlib.suppress(asyncio.CancelledError):
            await running
        snapshot = self.emulator.snapshot()
        self.seen["down"] = {
            "cancelled": running.cancelled(),
            "events": len(first.events),
            "live_exports": snapshot["live_exports"],
            "deletes": snapshot["requests"].get(DELETES, 0),
            "statuses": [e["status"] for e in snapshot["exports"]],
        }

        self.emulator.advance_clock(EXPORT_DELAY + 1)  # the export finishes while no triggerer runs

        second = TriggerRunner()
        second.to_create.append(workload)
        await second.create_triggers()
        await second.triggers[workload.id]["task"]
        self.seen["events_after_restart"] = [entry.event.payload for entry in second.events]
        return second.events[0].event


def test_a_triggerer_restart_mid_wait_loses_nothing(
    reset: EmulatorServer,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage = tmp_path / "storage"
    monkeypatch.setenv(STORAGE_ENV, str(storage))
    reset.configure(export_delay=EXPORT_DELAY)
    triggerer = RestartingTriggerer(reset)
    monkeypatch.setattr("airflow.sdk.definitions.dag._run_inline_trigger", triggerer)

    dag_run = load_dag().test(run_conf={"run_id": RUN_PASSING})

    assert triggerer.seen["classpath"] == "tfc_sentinel.airflow.triggers.PlanExportTrigger"
    # While no triggerer ran: the trigger was cancelled without an event, and cleanup() left the export
    # alone (on_kill, the only path that deletes, is for user actions and did not run).
    assert triggerer.seen["down"] == {
        "cancelled": True,
        "events": 0,
        "live_exports": 1,
        "deletes": 0,
        "statuses": ["queued"],
    }
    (event,) = triggerer.seen["events_after_restart"]
    export_id = event["export_id"]
    assert event == {"status": "finished", "export_id": export_id}
    # The resumed trigger's event resumed the sensor, and the run went on to the end.
    states = task_states(dag_run)
    assert {task_id: states[task_id] for task_id in expected_states(None)} == expected_states(None)
    assert str(dag_run.state) == "success"
    xcom = dag_run.get_task_instance("delete_export").xcom_pull(task_ids="delete_export")
    assert xcom == [export_id]

    after = aftermath(reset, storage)
    problems = [
        *(["live exports left"] if after.live_exports else []),
        *([f"{after.exports_created} exports created"] if after.exports_created != 1 else []),
        *after.partial_files,
        *(["blob auth leak"] if after.blob_auth_leaks else []),
    ]
    record_aftermath("triggerer-restart", "triggerer restarted mid-wait", after, passed=not problems)
    assert problems == []
