"""End to end: the emulator advances a run, Airflow's real api-server receives the webhooks, a real
scheduler runs ``tfc_policy_check``, and the verdict comes back to the emulator. No sweep runs.

The Airflow side is the ``airflow standalone`` shape on this machine's PostgreSQL: ``airflow db
migrate``, then api-server (with the repository's ``plugins/``), scheduler with the LocalExecutor,
dag-processor and triggerer, each its own process group with its own log file, in a temporary
AIRFLOW_HOME, on a fresh database dropped afterwards. Every DAG starts paused; only
``tfc_policy_check`` is unpaused, so ``tfc_policy_sweep`` can never be what checked a run.

The emulator is the session one (tests/conftest.py): it sends the run-task request and the
notifications with their signatures when a run is advanced, and records the callback. Afterwards the
run task's access token and the HMAC keys are looked for in every log file and every table of the
metadata DB: none may appear.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
import requests

from tests.airflow.conftest import REPO, connection_json
from tests.services import missing
from tests.webhooks.conftest import NOTIFICATION_KEY, RUN_TASK_KEY, free_port, hooks_connection
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.webhooks.signatures import sign

pytestmark = pytest.mark.slow

AIRFLOW: Final = Path(sys.executable).with_name("airflow")
PG: Final = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DAG_ID: Final = "tfc_policy_check"
SWEEP_DAG_ID: Final = "tfc_policy_sweep"
USER: Final = ("e2e", "e2e-Pw-" + secrets.token_hex(8))
RUN_FAILING: Final = "run-3YMjH7RcU18bXbD9"  # net-prod: soft-mandatory destroy-protection fails
RUN_PASSING: Final = "run-coldsirKVxipUP0Z"  # net-prod: only the advisory mandatory-tags fails
PLAN_PASSING: Final = "plan-oLoG3ZL6mP1X3Hbt"
NET_PROD: Final = "ws-PlZmrJO86f9L7M1O"
START_TIMEOUT: Final = 120.0
RUN_TIMEOUT: Final = 180.0
JSONAPI: Final = "application/vnd.api+json"


def _pg_connect(dbname: str = "postgres") -> Any:
    import psycopg2

    connection = psycopg2.connect(dbname=dbname, connect_timeout=5, **PG)
    connection.autocommit = True
    return connection


@dataclass
class Stack:
    """A running Airflow (api-server, scheduler, dag-processor, triggerer) on its own database."""

    home: Path
    database: str
    url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None

    @property
    def hooks(self) -> str:
        return f"{self.url}/tfc-sentinel-hooks"

    def log(self, name: str) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.processes)

    def start(self, name: str, *args: str) -> None:
        with (self.home / f"{name}.log").open("wb") as out:
            self.processes[name] = subprocess.Popen(
                [str(AIRFLOW), *args],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped with the task processes it starts
            )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"airflow {name} exited with {process.returncode}:\n{self.log(name)}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            reply = requests.post(
                f"{self.url}/auth/token", json={"username": USER[0], "password": USER[1]}, timeout=30
            )
            assert reply.status_code == 201, reply.text
            self._token = reply.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def dag_run(self, dag_run_id: str) -> dict[str, Any] | None:
        reply = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(dag_run_id, safe='')}")
        if reply.status_code == 404:
            return None
        assert reply.status_code == 200, reply.text
        return reply.json()

    def dag_run_ids(self, dag_id: str = DAG_ID) -> set[str]:
        reply = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
        assert reply.status_code == 200, reply.text
        return {run["dag_run_id"] for run in reply.json()["dag_runs"]}

    def task_states(self, dag_run_id: str) -> dict[str, str | None]:
        reply = self.api("GET", f"/dags/{DAG_ID}/dagRuns/{quote(dag_run_id, safe='')}/taskInstances")
        assert reply.status_code == 200, reply.text
        return {ti["task_id"]: ti["state"] for ti in reply.json()["task_instances"]}

    def wait_until(self, what: str, check: Callable[[], Any], timeout: float = RUN_TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(1)

    def finished_run(self, dag_run_id: str) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.dag_run(dag_run_id)
            return run if run and run["state"] in ("success", "failed") else None

        return self.wait_until(f"DAG run {dag_run_id} to finish", done)

    def files_text(self) -> str:
        """Every file under AIRFLOW_HOME (component logs, task logs, reports), as one text."""
        chunks = []
        for path in self.home.rglob("*"):
            if path.is_file():
                chunks.append(path.read_bytes().decode("utf-8", errors="replace"))
        return "\n".join(chunks)

    def database_text(self) -> str:
        """Every row of every table of the metadata DB, as text."""
        connection = _pg_connect(self.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                tables = [row[0] for row in cursor.fetchall()]
                rows = []
                for table in tables:
                    cursor.execute(f'SELECT t::text FROM "{table}" t')  # names come from pg_tables
                    rows.extend(row[0] for row in cursor.fetchall())
        finally:
            connection.close()
        return "\n".join(rows)


@pytest.fixture(scope="module")
def stack(emulator: EmulatorServer) -> Iterator[Stack]:
    try:
        admin = _pg_connect()
    except Exception as exc:
        missing(f"PostgreSQL is not reachable on 127.0.0.1:5432 as postgres ({type(exc).__name__})")
    database = f"tfcs_hooks_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    home = Path(tempfile.mkdtemp(prefix="tfc-sentinel-hooks-e2e-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (home / "passwords.json").write_text(json.dumps({USER[0]: USER[1]}))
    from cryptography.fernet import Fernet

    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_TFC_SENTINEL"))}
    env = {
        **inherited,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER[0]}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Progress is reported after 2 s here (60 s by default), looked for every 2 s.
        "AIRFLOW__TFC_SENTINEL__RUN_TASK_RUNNING_AFTER": "2",
        "AIRFLOW__TFC_SENTINEL__RUN_TASK_CHECK_INTERVAL": "2",
        "AIRFLOW_CONN_TFC_DEFAULT": connection_json(emulator.api_url, emulator.token),
        "AIRFLOW_CONN_TFC_WEBHOOKS": hooks_connection(),
    }
    stack = Stack(home=home, database=database, url=url, env=env)
    try:
        migrate = subprocess.run(
            [str(AIRFLOW), "db", "migrate"], env=env, cwd=home, capture_output=True, text=True, timeout=300
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        stack.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
        stack.start("scheduler", "scheduler", "--skip-serve-logs")
        stack.start("dag-processor", "dag-processor")
        stack.start("triggerer", "triggerer", "--skip-serve-logs")

        def healthy() -> bool:
            try:
                return requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        stack.wait_until("the api-server", healthy, START_TIMEOUT)
        stack.wait_until(
            "the DAG to be parsed",
            lambda: stack.api("GET", f"/dags/{DAG_ID}").status_code == 200,
            START_TIMEOUT,
        )
        reply = stack.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
        assert reply.status_code == 200, reply.text
        # The plugin builds the receivers' app on its first request: do that now, not inside the
        # emulator's 10-second delivery timeout. An unsigned request is refused, as it must be.
        warm_up = requests.post(f"{stack.hooks}/notifications", data=b"{}", timeout=60)
        assert warm_up.status_code == 401, warm_up.text
        yield stack
    finally:
        stack.stop()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
        if not os.environ.get("TFC_SENTINEL_KEEP_E2E_HOME"):  # set it to look at the logs afterwards
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def tfc(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    emulator.reset()
    yield emulator
    emulator.reset()


class Tfc:
    """The emulator's API as the acme organization's user, and its admin routes."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.headers = {"Authorization": f"Bearer {emulator.token}", "Content-Type": JSONAPI}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = requests.post(
            f"{self.emulator.api_url}/api/v2{path}", json=body, headers=self.headers, timeout=30
        )
        assert reply.status_code == 201, reply.text
        return reply.json()["data"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        reply = requests.request(method, f"{self.emulator.api_url}/_emulator{path}", json=body, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def subscribe(self, stack: Stack, *triggers: str) -> dict[str, Any]:
        """A notification configuration to Airflow's receiver (its verification must pass)."""
        attributes = {
            "destination-type": "generic",
            "enabled": True,
            "name": "airflow",
            "url": f"{stack.hooks}/notifications",
            "token": NOTIFICATION_KEY,
            "triggers": list(triggers),
        }
        return self.post(
            f"/workspaces/{NET_PROD}/notification-configurations",
            {"data": {"type": "notification-configuration", "attributes": attributes}},
        )

    def attach_run_task(self, stack: Stack) -> dict[str, Any]:
        """An organization run task pointing at Airflow (its verification must pass), on net-prod's post-plan."""
        attributes = {"name": "sentinel", "url": f"{stack.hooks}/run-tasks", "hmac-key": RUN_TASK_KEY}
        task = self.post(
            "/organizations/acme-corp/tasks", {"data": {"type": "tasks", "attributes": attributes}}
        )
        return self.post(
            f"/workspaces/{NET_PROD}/tasks",
            {
                "data": {
                    "type": "workspace-tasks",
                    "attributes": {"enforcement-level": "mandatory", "stage": "post_plan"},
                    "relationships": {"task": {"data": {"id": task["id"], "type": "tasks"}}},
                }
            },
        )

    def advance(self, run_id: str, status: str) -> list[dict[str, Any]]:
        return self.admin("POST", f"/runs/{run_id}/advance", {"status": status})["deliveries"]

    def task_result(self, task_result_id: str) -> dict[str, Any]:
        return self.admin("GET", f"/task-results/{task_result_id}")


def test_a_run_task_gets_the_verdict_with_progress_on_the_way(stack: Stack, tfc: EmulatorServer) -> None:
    api = Tfc(tfc)
    api.attach_run_task(stack)
    api.subscribe(stack, "run:needs_attention")
    # Exports take five emulator minutes: the check is "long" until the test moves the clock.
    tfc.configure(export_delay=300)

    [delivery] = api.advance(RUN_FAILING, "post_plan_running")
    assert delivery["kind"] == "run-task" and delivery["status"] == 200, delivery
    assert json.loads(delivery["response_excerpt"])["dag_run_id"] == f"tfc-{RUN_FAILING}"
    task_result_id = delivery["task_result_id"]

    def running_reported() -> bool:
        patches = api.task_result(task_result_id)["patches"]
        return any(p["body"]["data"]["attributes"]["status"] == "running" for p in patches)

    stack.wait_until("the watchdog's running status", running_reported)
    tfc.advance_clock(301)  # the export finishes; the check goes on

    def final() -> dict[str, Any] | None:
        result = api.task_result(task_result_id)
        return result if result["status"] in ("passed", "failed", "errored") else None

    result = stack.wait_until("the run task's verdict", final)
    assert result["status"] == "failed", result
    assert "destroy-protection (soft-mandatory)" in result["message"]
    tab = f"{stack.url}/dags/{DAG_ID}/runs/tfc-{RUN_FAILING}/plugin/policy_results"
    assert result["url"] == tab
    outcomes = {o["outcome-id"]: o for o in result["outcomes"]}
    assert outcomes["destroy-protection"]["tags"]["Status"] == [{"label": "Failed", "level": "error"}]
    assert "aws_s3_bucket.legacy_reports" in outcomes["destroy-protection"]["body"]
    assert outcomes["mandatory-tags"]["tags"]["Status"][0]["level"] == "warning"
    statuses = [
        p["body"]["data"]["attributes"]["status"] for p in result["patches"] if p["response_status"] == 200
    ]
    assert statuses[0] == "running" and statuses[-1] == "failed"

    # Terraform Cloud moves on; the needs-attention notification finds the check already there.
    [notified] = api.advance(RUN_FAILING, "planned")
    assert notified["kind"] == "notification" and notified["status"] == 200, notified
    assert json.loads(notified["response_excerpt"])["status"] == "already-triggered"

    dag_run = stack.finished_run(f"tfc-{RUN_FAILING}")
    assert dag_run["state"] == "failed"  # the check failed; the report and the cleanup did their jobs
    states = stack.task_states(f"tfc-{RUN_FAILING}")
    assert states["run_policies"] == "failed"
    assert states["report_run_task"] == "success" and states["run_task_watchdog"] == "success"
    assert states["delete_export"] == "success"
    assert dag_run["conf"]["run_task"]["task_result_id"] == task_result_id
    assert stack.dag_run_ids(SWEEP_DAG_ID) == set()
    assert tfc.snapshot()["live_exports"] == 0

    # No secret in clear anywhere Airflow keeps things: logs, task logs, reports, any table.
    token = tfc.state.store.task_results[task_result_id].access_token
    kept = stack.files_text() + stack.database_text()
    assert f"tfc-{RUN_FAILING}" in kept  # the scan does see what Airflow stored
    for secret in (token, NOTIFICATION_KEY, RUN_TASK_KEY):
        assert secret not in kept


def test_a_notification_alone_starts_the_check(stack: Stack, tfc: EmulatorServer) -> None:
    api = Tfc(tfc)
    api.subscribe(stack, "run:completed")
    [delivery] = api.advance(RUN_PASSING, "applied")
    assert delivery["status"] == 200, delivery
    assert json.loads(delivery["response_excerpt"]) == {
        "status": "triggered",
        "dag_id": DAG_ID,
        "dag_run_id": f"tfc-{RUN_PASSING}",
    }
    dag_run = stack.finished_run(f"tfc-{RUN_PASSING}")
    assert dag_run["state"] == "success"
    assert dag_run["conf"] == {"run_id": RUN_PASSING}
    states = stack.task_states(f"tfc-{RUN_PASSING}")
    assert states["run_policies"] == "success"
    assert states["report_run_task"] == "skipped" and states["run_task_watchdog"] == "skipped"
    # The check happened against the emulator: the plan was exported, downloaded and the export deleted.
    calls = [f"{e['method']} {e['template']}" for e in tfc.state.recorder.entries()]
    assert "POST /api/v2/plan-exports" in calls
    assert "DELETE /api/v2/plan-exports/{export_id}" in calls
    assert tfc.snapshot()["live_exports"] == 0
    assert stack.dag_run_ids(SWEEP_DAG_ID) == set()


def test_forged_requests_to_the_api_server_start_nothing(stack: Stack) -> None:
    before = stack.dag_run_ids()
    body = json.dumps(
        {
            "payload_version": 1,
            "run_id": "run-ForgedRequest0001",
            "notifications": [{"trigger": "run:completed"}],
        }
    ).encode()
    url = f"{stack.hooks}/notifications"
    attempts = {
        "no signature": requests.post(url, data=body, timeout=30),
        "wrong key": requests.post(
            url, data=body, headers={"X-TFE-Notification-Signature": sign("guess", body)}, timeout=30
        ),
        "a byte changed": requests.post(
            url,
            data=body.replace(b"0001", b"0002"),
            headers={"X-TFE-Notification-Signature": sign(NOTIFICATION_KEY, body)},
            timeout=30,
        ),
        "oversized": requests.post(
            url,
            data=b"{" + b" " * (1024 * 1024) + b"}",
            headers={"X-TFE-Notification-Signature": sign(NOTIFICATION_KEY, body)},
            timeout=30,
        ),
    }
    assert {name: reply.status_code for name, reply in attempts.items()} == {
        "no signature": 401,
        "wrong key": 401,
        "a byte changed": 401,
        "oversized": 413,
    }
    # The receivers need no Airflow login (HMAC instead); the results pages still do.
    assert requests.get(url, timeout=30).status_code == 405
    assert requests.get(f"{stack.url}/tfc-sentinel/", timeout=30).status_code == 401
    assert stack.dag_run_ids() == before
