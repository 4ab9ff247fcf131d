"""Fixtures for the Terraform Cloud receivers: the real app on a real socket, over a real metadata DB.

The Airflow environment is the one ``tests/airflow/conftest.py`` sets up (temporary ``AIRFLOW_HOME``,
sqlite DB, the repository's ``dags/``, ``tfc_default`` pointing at the session emulator); importing it
here sets that environment before anything imports Airflow, and re-exports its fixtures.

- ``receiver``: :func:`tfc_sentinel.webhooks.app.create_app` served by uvicorn on a free port in a
  thread of this process, so it creates DAG runs in the same sqlite DB the tests read. The DAG is put in
  the DB with ``airflow dags reserialize`` first, as a dag-processor would.
- ``hook_keys``: the ``tfc_webhooks`` connection (HMAC keys) as an ``AIRFLOW_CONN_*`` variable.
- ``fernet_key``: a Fernet key for the run-task access tokens (Airflow caches its Fernet object; the
  fixture clears that cache both ways).
- ``dag_runs``: the ``tfc_policy_check`` DAG runs that exist, read from the DB; runs a test created
  are deleted afterwards so other tests (the sweep's dedup) never see them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

import tests.airflow.conftest as airflow_conftest
from tfc_sentinel.emulator import EmulatorServer

airflow_home = airflow_conftest.airflow_home
airflow_db = airflow_conftest.airflow_db
tfc_connections = airflow_conftest.tfc_connections

DAG_ID: Final = "tfc_policy_check"
NOTIFICATION_KEY: Final = "notification-hmac-key-for-tests-0123456789"
RUN_TASK_KEY: Final = "run-task-hmac-key-for-tests-9876543210"
HOOKS_CONN_ENV: Final = "AIRFLOW_CONN_TFC_WEBHOOKS"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hooks_connection(
    notification_key: str | None = NOTIFICATION_KEY, run_task_key: str | None = RUN_TASK_KEY, **extra: Any
) -> str:
    """An ``AIRFLOW_CONN_TFC_WEBHOOKS`` value (generic connection; keys in password and extra)."""
    document: dict[str, Any] = {"conn_type": "generic", "extra": dict(extra)}
    if notification_key is not None:
        document["password"] = notification_key
    if run_task_key is not None:
        document["extra"]["run_task_hmac_secret"] = run_task_key
    return json.dumps(document)


@pytest.fixture
def hook_keys() -> Iterator[Callable[..., None]]:
    """Set the ``tfc_webhooks`` connection (default: both keys) and drop the receivers' settings cache;
    call the yielded function to change it within a test. Removed afterwards."""
    from tfc_sentinel.webhooks.settings import clear_cache

    previous = os.environ.get(HOOKS_CONN_ENV)

    def configure(*args: Any, **kwargs: Any) -> None:
        os.environ[HOOKS_CONN_ENV] = hooks_connection(*args, **kwargs)
        clear_cache()

    configure()
    yield configure
    if previous is None:
        os.environ.pop(HOOKS_CONN_ENV, None)
    else:
        os.environ[HOOKS_CONN_ENV] = previous
    clear_cache()


def _clear_fernet_cache() -> None:
    from airflow.sdk.crypto import get_fernet

    get_fernet.cache_clear()


@pytest.fixture
def fernet_key() -> Iterator[str]:
    """A fresh Fernet key in ``[core] fernet_key`` for this test (api-server and tasks share it)."""
    from cryptography.fernet import Fernet

    previous = os.environ.get("AIRFLOW__CORE__FERNET_KEY")
    key = Fernet.generate_key().decode()
    os.environ["AIRFLOW__CORE__FERNET_KEY"] = key
    _clear_fernet_cache()
    yield key
    if previous is None:
        os.environ.pop("AIRFLOW__CORE__FERNET_KEY", None)
    else:
        os.environ["AIRFLOW__CORE__FERNET_KEY"] = previous
    _clear_fernet_cache()


@pytest.fixture(scope="session")
def serialized_dag(airflow_db: Path) -> str:
    """``tfc_policy_check`` in the metadata DB, as the dag-processor would put it there."""
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow), "dags", "reserialize"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow dags reserialize failed:\n{result.stdout}\n{result.stderr}")
    return DAG_ID


@dataclass(frozen=True)
class Receiver:
    url: str
    """Base URL of the mounted app, e.g. ``http://127.0.0.1:PORT/tfc-sentinel-hooks``."""

    @property
    def notifications(self) -> str:
        return f"{self.url}/notifications"

    @property
    def run_tasks(self) -> str:
        return f"{self.url}/run-tasks"


@pytest.fixture(scope="session")
def receiver(serialized_dag: str, tfc_connections: None) -> Iterator[Receiver]:
    """The receivers' app mounted at its prefix (as the api-server mounts it), served on a free port."""
    import uvicorn
    from fastapi import FastAPI

    from tfc_sentinel.webhooks import URL_PREFIX
    from tfc_sentinel.webhooks.plugin import TfcSentinelWebhooksPlugin

    root = FastAPI()
    root.mount(URL_PREFIX, TfcSentinelWebhooksPlugin.fastapi_apps[0]["app"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            root, host="127.0.0.1", port=port, log_config=None, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="webhook-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the receiver app did not start")
        time.sleep(0.02)
    yield Receiver(f"http://127.0.0.1:{port}{URL_PREFIX}")
    server.should_exit = True
    thread.join(10)


class DagRuns:
    """``tfc_policy_check`` DAG runs in the test DB: IDs, confs, and cleanup of what a test made."""

    def __init__(self) -> None:
        self.before = set(self.ids())

    @staticmethod
    def _query(*columns: Any) -> list[Any]:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            return list(session.execute(select(*columns).where(DagRun.dag_id == DAG_ID)).all())

    def ids(self) -> list[str]:
        from airflow.models.dagrun import DagRun

        return [row[0] for row in self._query(DagRun.run_id)]

    def new(self) -> set[str]:
        return set(self.ids()) - self.before

    def conf(self, run_id: str) -> dict[str, Any]:
        from airflow.models.dagrun import DagRun

        found = {row[0]: row[1] for row in self._query(DagRun.run_id, DagRun.conf)}
        return dict(found[run_id] or {})

    def delete_new(self) -> None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import delete

        made = self.new()
        if made:
            with create_session() as session:
                session.execute(delete(DagRun).where(DagRun.dag_id == DAG_ID, DagRun.run_id.in_(made)))


@pytest.fixture
def dag_runs(receiver: Receiver) -> Iterator[DagRuns]:
    runs = DagRuns()
    yield runs
    runs.delete_new()


@pytest.fixture
def tfc(emulator: EmulatorServer) -> EmulatorServer:
    emulator.reset()
    return emulator
