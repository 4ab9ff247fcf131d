"""The deferred wait, without a scheduler: the sensor defers, the trigger is stored as JSON, rebuilt, run
against the emulator, and its single event resumes the sensor (airflow.md section 12)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    TaskDeferred,
)
from airflow.triggers.base import TriggerEvent

from tests.airflow.conftest import BAD_TOKEN_CONN_ID, CONN_ID
from tests.tfc.conftest import PLAN_PLANNED
from tfc_sentinel.airflow.sensors import PlanExportSensor
from tfc_sentinel.airflow.triggers import PlanExportTrigger
from tfc_sentinel.emulator import EmulatorServer

POLL = 0.05


def sensor(export_id: str, **kwargs: Any) -> PlanExportSensor:
    kwargs.setdefault("poke_interval", POLL)
    return PlanExportSensor(task_id="wait_for_export", export_id=export_id, tfc_conn_id=CONN_ID, **kwargs)


def defer(op: PlanExportSensor) -> PlanExportTrigger:
    """execute() must defer; return the trigger as the triggerer would rebuild it from the database."""
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context={})
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is None  # the trigger carries the deadline; see airflow.md section 4
    classpath, kwargs = deferred.value.trigger.serialize()
    assert classpath == "tfc_sentinel.airflow.triggers.PlanExportTrigger"
    from airflow.sdk._shared.module_loading import import_string

    return import_string(classpath)(**json.loads(json.dumps(kwargs)))


def events(trigger: PlanExportTrigger) -> list[TriggerEvent]:
    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.run()]

    return asyncio.run(collect())


@pytest.fixture
def new_export(tfc: EmulatorServer, make_client: Callable[[], Any]) -> Callable[[], str]:
    def create() -> str:
        return make_client().create_plan_export(PLAN_PLANNED).id

    return create


def live_exports(emulator: EmulatorServer) -> int:
    return emulator.snapshot()["live_exports"]


def delete(make_client: Callable[[], Any], export_id: str) -> None:
    make_client().delete_plan_export(export_id)


def test_finished(tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]) -> None:
    export_id = new_export()
    op = sensor(export_id)
    (event,) = events(defer(op))
    assert event.payload == {"status": "finished", "export_id": export_id}
    assert op.execute_complete({}, event.payload) == export_id
    delete(make_client, export_id)


def test_already_finished_does_not_defer(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]
) -> None:
    export_id = new_export()
    tfc.advance_clock(5)
    assert sensor(export_id).execute(context={}) == export_id
    delete(make_client, export_id)


@pytest.mark.parametrize("outcome", ["errored", "canceled"])
def test_errored_or_canceled_fails_without_retry(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any], outcome: str
) -> None:
    tfc.add_faults(export_outcomes={"*": {"outcome": outcome, "error_message": "provider schema missing"}})
    export_id = new_export()
    op = sensor(export_id)
    (event,) = events(defer(op))
    assert event.payload["status"] == outcome and event.payload["export_id"] == export_id
    with pytest.raises(AirflowFailException) as failure:
        op.execute_complete({}, event.payload)
    assert export_id in str(failure.value) and outcome in str(failure.value)
    if outcome == "errored":
        assert "provider schema missing" in str(failure.value)
    delete(make_client, export_id)


def test_timeout_deletes_the_export(tfc: EmulatorServer, new_export: Callable[[], str]) -> None:
    tfc.add_faults(export_outcomes={"*": "stuck"})
    export_id = new_export()
    op = sensor(export_id, timeout=0.3)
    trigger = defer(op)
    assert 0 < trigger.end_time - time.time() <= 0.3
    (event,) = events(trigger)
    assert event.payload["status"] == "timeout" and event.payload["last_status"] == "queued"
    assert live_exports(tfc) == 1
    with pytest.raises(AirflowSensorTimeout, match="deleted"):
        op.execute_complete({}, event.payload)
    assert live_exports(tfc) == 0


def test_error_event_for_a_bad_token(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]
) -> None:
    export_id = new_export()
    trigger = PlanExportTrigger(export_id, BAD_TOKEN_CONN_ID, poll_interval=POLL, end_time=time.time() + 5)
    (event,) = events(trigger)
    assert event.payload["status"] == "error" and event.payload["retryable"] is False
    assert "401" in event.payload["message"] and "not-a-valid-token" not in event.payload["message"]
    with pytest.raises(AirflowFailException, match="401"):
        sensor(export_id).execute_complete({}, event.payload)
    delete(make_client, export_id)


def test_error_event_for_an_unknown_connection(tfc: EmulatorServer) -> None:
    trigger = PlanExportTrigger(
        "pe-nothere", "no_such_connection", poll_interval=POLL, end_time=time.time() + 5
    )
    (event,) = events(trigger)
    assert event.payload["status"] == "error" and "no_such_connection" in event.payload["message"]


def test_server_errors_while_polling_are_retried_by_the_client(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]
) -> None:
    export_id = new_export()
    tfc.add_faults(
        {"method": "GET", "path": "/api/v2/plan-exports/{export_id}", "sequence": ["503", "429", "reset"]}
    )
    trigger = PlanExportTrigger(export_id, CONN_ID, poll_interval=POLL, end_time=time.time() + 10)
    (event,) = events(trigger)
    assert event.payload["status"] == "finished"
    delete(make_client, export_id)


def test_on_kill_deletes_and_cleanup_does_not(tfc: EmulatorServer, new_export: Callable[[], str]) -> None:
    tfc.add_faults(export_outcomes={"*": "stuck"})
    export_id = new_export()
    trigger = PlanExportTrigger(export_id, CONN_ID, poll_interval=POLL, end_time=time.time() + 60)

    async def run_then_stop() -> None:
        running = asyncio.create_task(trigger.run().__anext__())
        await asyncio.sleep(0.3)  # a few polls
        running.cancel()  # what a triggerer restart does
        with pytest.raises(asyncio.CancelledError):
            await running
        await trigger.cleanup()

    asyncio.run(run_then_stop())
    assert live_exports(tfc) == 1  # restarts must find the export still there
    asyncio.run(trigger.on_kill())
    assert live_exports(tfc) == 0
    asyncio.run(trigger.on_kill())  # already gone: still quiet


def test_execute_complete_validates_the_event() -> None:
    op = sensor("pe-abc123")
    for bad in (None, {}, {"status": "done", "export_id": "pe-abc123"}, "finished"):
        with pytest.raises(AirflowException, match="unexpected event"):
            op.execute_complete({}, bad)  # type: ignore[arg-type]
    with pytest.raises(AirflowException, match="not on 'pe-abc123'"):
        op.execute_complete({}, {"status": "finished", "export_id": "pe-other"})
    with pytest.raises(AirflowException) as retryable:
        op.execute_complete(
            {}, {"status": "error", "export_id": "pe-abc123", "message": "x", "retryable": True}
        )
    assert not isinstance(retryable.value, AirflowFailException)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"export_id": "pe-1/../x"}, "not a plan export ID"),
        ({"export_id": None}, "not a plan export ID"),
        ({"conn_id": ""}, "conn_id"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"end_time": "tomorrow"}, "end_time"),
    ],
)
def test_trigger_arguments_are_checked_in_the_worker(kwargs: dict[str, Any], problem: str) -> None:
    arguments: dict[str, Any] = {"export_id": "pe-1", "conn_id": CONN_ID, "poll_interval": 1, "end_time": 1.0}
    with pytest.raises(ValueError, match=problem):
        PlanExportTrigger(**{**arguments, **kwargs})


def test_poke_mode(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]
) -> None:
    export_id = new_export()
    assert sensor(export_id, deferrable=False, mode="poke").execute(context={}) == export_id
    delete(make_client, export_id)


def test_poke_mode_timeout_deletes_the_export(tfc: EmulatorServer, new_export: Callable[[], str]) -> None:
    tfc.add_faults(export_outcomes={"*": "stuck"})
    export_id = new_export()
    with pytest.raises(AirflowSensorTimeout):
        sensor(export_id, deferrable=False, mode="poke", timeout=0.2).execute(context={})
    assert live_exports(tfc) == 0


def test_poke_mode_errored_fails_with_the_exports_message(
    tfc: EmulatorServer, new_export: Callable[[], str], make_client: Callable[[], Any]
) -> None:
    tfc.add_faults(export_outcomes={"*": {"outcome": "errored", "error_message": "bundle too large"}})
    export_id = new_export()
    with pytest.raises(AirflowFailException, match="bundle too large"):
        sensor(export_id, deferrable=False, mode="poke").execute(context={})
    delete(make_client, export_id)
