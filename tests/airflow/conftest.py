"""A real Airflow for these tests: a throwaway AIRFLOW_HOME, a migrated sqlite metadata DB, the repository's
``dags/`` folder, and a ``terraform_cloud`` connection (``AIRFLOW_CONN_TFC_DEFAULT``) to the emulator.

Airflow reads its configuration when it is first imported, so the environment is set when this module
loads, before any test module (or fixture) imports airflow. Nothing in ``tests/conftest.py`` imports it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from tfc_sentinel.emulator import EmulatorServer

REPO: Final = Path(__file__).resolve().parents[2]
DAGS_FOLDER: Final = REPO / "dags"

if "airflow" in sys.modules and not os.environ.get("_TFC_SENTINEL_TEST_AIRFLOW_HOME"):
    raise RuntimeError(
        "airflow was imported before tests/airflow/conftest.py could point AIRFLOW_HOME at a temporary "
        "directory; do not import airflow from tests/conftest.py or from other test packages' conftest"
    )
AIRFLOW_HOME: Final = Path(
    os.environ.get("_TFC_SENTINEL_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="tfc-sentinel-airflow-")
)
os.environ.update(
    {
        "_TFC_SENTINEL_TEST_AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # unit_test_mode would load Airflow's own test config (its test DAG folder, examples on): not ours.
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(AIRFLOW_HOME / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
)

ORG: Final = "acme-corp"
CONN_ID: Final = "tfc_default"
BAD_TOKEN_CONN_ID: Final = "tfc_bad_token"
# Real retry policy shape, test-sized waits (the connection's extra sets them, as a user would).
FAST_RETRY_EXTRA: Final = {
    "retry_backoff_base": 0.01,
    "retry_backoff_cap": 0.05,
    "retry_max_total_wait": 15,
    "read_timeout": 10,
}


def connection_json(host: str, token: str, **extra: Any) -> str:
    """``AIRFLOW_CONN_<ID>`` value for a ``terraform_cloud`` connection."""
    return json.dumps(
        {
            "conn_type": "terraform_cloud",
            "host": host,
            "password": token,
            "extra": {"organization": ORG, **FAST_RETRY_EXTRA, **extra},
        }
    )


def set_connection(conn_id: str, host: str, token: str, **extra: Any) -> None:
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = connection_json(host, token, **extra)


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    yield AIRFLOW_HOME
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> Path:
    """``airflow db migrate`` once per session, in a child process, against the temp home's sqlite DB."""
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow), "db", "migrate"], env=os.environ.copy(), capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}")
    return airflow_home / "airflow.db"


@pytest.fixture(scope="session", autouse=True)
def tfc_connections(emulator: EmulatorServer, airflow_home: Path) -> Iterator[None]:
    """``tfc_default`` (acme's token) and ``tfc_bad_token`` point at the session emulator."""
    set_connection(CONN_ID, emulator.api_url, emulator.token)
    set_connection(BAD_TOKEN_CONN_ID, emulator.api_url, "not-a-valid-token-for-the-emulator")
    yield
    for conn_id in (CONN_ID, BAD_TOKEN_CONN_ID):
        os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)


@pytest.fixture
def tfc(reset: EmulatorServer) -> Iterator[EmulatorServer]:
    """The emulator back at its fixtures; after the test, no plan export may be left alive."""
    yield reset
    assert reset.snapshot()["live_exports"] == 0, reset.snapshot()["exports"]


@pytest.fixture
def make_client(emulator: EmulatorServer) -> Iterator[Callable[[], Any]]:
    """Direct clients for arranging and checking state (``TfcClient`` on the test connection's settings)."""
    from tfc_sentinel.tfc import RetryPolicy, TfcClient, TfcConfig

    made: list[Any] = []

    def factory() -> Any:
        retry = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_total_wait=15)
        client = TfcClient(TfcConfig(host=emulator.api_url, token=emulator.token, retry=retry))
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()
