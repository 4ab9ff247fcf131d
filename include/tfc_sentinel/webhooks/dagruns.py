"""Create DAG runs from inside the api-server: the one place that uses Airflow's internal trigger code.

The receivers run in the api-server process, which owns the metadata DB, so they create the DAG run
directly with ``airflow.api.common.trigger_dag.trigger_dag``: the function behind ``airflow dags
trigger``, the same checks as the REST API's trigger route (the DAG must be parsed, the conf must
satisfy the DAG's Params, the run ID must be free). Calling the REST API instead would need a JWT for
a service user minted inside the server, and an HTTP round trip to itself, for the same result.
``trigger_dag`` is internal, though, so every use lives here; a change in a later Airflow is a change in
this file, and ``tests/webhooks`` fails loudly if the contract breaks.

All functions block on the DB: call them from a worker thread (the routes use
``starlette.concurrency.run_in_threadpool``), never on the event loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["DagNotReady", "TriggerOutcome", "existing_conf", "trigger"]

log = logging.getLogger(__name__)

TRIGGERED_BY_USER: Final = "tfc-sentinel-webhook"


class DagNotReady(Exception):
    """The DAG is unknown to the metadata DB (not parsed yet, or removed): try again later."""


@dataclass(frozen=True)
class TriggerOutcome:
    dag_id: str
    dag_run_id: str
    created: bool
    """False when a DAG run with this ID already existed (a repeated delivery: nothing to do)."""


def trigger(dag_id: str, dag_run_id: str, conf: dict[str, Any], note: str | None = None) -> TriggerOutcome:
    """Create a queued manual DAG run; an existing run with the same ID is success (``created=False``).

    Raises DagNotReady when the DAG is not in the metadata DB, and ValueError (from Airflow's Param
    validation) when ``conf`` does not fit the DAG's Params.
    """
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound, DagRunAlreadyExists
    from airflow.utils.types import DagRunTriggeredByType

    try:
        trigger_dag(
            dag_id,
            run_id=dag_run_id,
            conf=conf,
            triggered_by=DagRunTriggeredByType.REST_API,
            triggering_user_name=TRIGGERED_BY_USER,
            note=note,
        )
    except DagRunAlreadyExists:
        return TriggerOutcome(dag_id, dag_run_id, created=False)
    except DagNotFound as exc:
        raise DagNotReady(
            f"DAG {dag_id!r} is not in the metadata DB yet (is the dag-processor running?)"
        ) from exc
    return TriggerOutcome(dag_id, dag_run_id, created=True)


def existing_conf(dag_id: str, dag_run_id: str) -> dict[str, Any] | None:
    """The conf of an existing DAG run (None if there is none): tells a repeated run-task delivery from
    a DAG run some other trigger (sweep, notification, a person) made for the same Terraform run."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(
            select(DagRun.conf).where(DagRun.dag_id == dag_id, DagRun.run_id == dag_run_id)
        ).first()
    if row is None:
        return None
    return dict(row[0]) if isinstance(row[0], dict) else {}
