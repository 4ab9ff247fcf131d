"""Fixtures for the "Policy results" views: real checks in a real metadata DB, then the app on top.

The Airflow environment is the one ``tests/airflow/conftest.py`` sets up (temporary ``AIRFLOW_HOME``,
sqlite DB, the repository's ``dags/``, a ``terraform_cloud`` connection to the session emulator);
importing it here sets the environment before anything imports Airflow, and re-exports its fixtures.

``checked_runs`` runs ``tfc_policy_check`` with ``dag.test()`` once per session for a passing run
(with the policy set's own tests, so the page has test cases to show) and a failing run, exactly as
a scheduler would: XCom summaries in the DB, report files in bundle storage. Every UI test reads those.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import pytest

import tests.airflow.conftest as airflow_conftest
from tests.airflow.conftest import DAGS_FOLDER
from tfc_sentinel.emulator import EmulatorServer

# The Airflow fixtures, registered for tests/ui too (same functions; session-scoped, so at most once more).
airflow_home = airflow_conftest.airflow_home
airflow_db = airflow_conftest.airflow_db
tfc_connections = airflow_conftest.tfc_connections

DAG_ID: Final = "tfc_policy_check"
RUN_PASSING: Final = "run-coldsirKVxipUP0Z"  # net-prod: only the advisory mandatory-tags fails
RUN_FAILING: Final = "run-3YMjH7RcU18bXbD9"  # net-prod: soft-mandatory destroy-protection fails
FAILING_RESOURCE: Final = "aws_s3_bucket.legacy_reports"
WORKSPACE: Final = "net-prod"


@dataclass(frozen=True)
class CheckedRuns:
    """The DAG runs ``checked_runs`` made (Airflow run IDs) and their final states."""

    passing: str
    failing: str
    passing_state: str
    failing_state: str


def _load_dag() -> Any:
    """The DAG from its file with test-sized waits (as tests/airflow/test_dag.py does)."""
    spec = importlib.util.spec_from_file_location("tfc_policy_check_for_ui", DAGS_FOLDER / f"{DAG_ID}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    dag.get_task("wait_for_export").poke_interval = 0.1
    download = dag.get_task("download_bundle")
    download.poll_interval = 0.1
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
    return dag


@pytest.fixture(scope="session")
def checked_runs(airflow_db: Path, emulator: EmulatorServer, tfc_connections: None) -> CheckedRuns:
    """A passing check (with test cases) and a failing one, stored by the real pipeline."""
    emulator.reset()
    # A fresh DAG object per run: dag.test() leaves one run's conf in the DAG's Param objects
    # (process_params updates shared Params in place), so run_tests=True would leak into the next run.
    passing = _load_dag().test(run_conf={"run_id": RUN_PASSING, "run_tests": True})
    failing = _load_dag().test(run_conf={"run_id": RUN_FAILING})
    return CheckedRuns(passing.run_id, failing.run_id, str(passing.state), str(failing.state))


@pytest.fixture(scope="session")
def ui_root(airflow_db: Path) -> Iterator[Any]:
    """Airflow's auth manager plus the plugin's app mounted at its prefix, as the api-server mounts it.

    The whole api-server (``create_app``) runs in the browser test; here only what the app relies on
    is set up, so these tests stay fast and independent of the plugins folder.
    """
    from airflow.api_fastapi.app import init_auth_manager
    from fastapi import FastAPI

    from tfc_sentinel.ui import URL_PREFIX
    from tfc_sentinel.ui.plugin import TfcSentinelPlugin

    # A signing key of recommended length (Airflow's generated one makes PyJWT warn on every token).
    os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "tfc-sentinel-ui-tests-" + "k" * 64)
    root = FastAPI()
    init_auth_manager(root)
    root.mount(URL_PREFIX, TfcSentinelPlugin.fastapi_apps[0]["app"])
    yield root


def token_for(username: str, role: str = "viewer") -> str:
    """A JWT as Airflow's login would issue it (simple auth manager)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role=role))
