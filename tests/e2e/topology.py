"""Airflow's Celery topology as local processes on this machine's PostgreSQL and Redis.

``CeleryTopology`` runs what ``docker-compose.yaml`` runs in containers (airflow.md §15): ``airflow db
migrate``, then api-server, scheduler, dag-processor, triggerer and Celery workers, each in its own
process group with its own log file. The end-to-end test and ``bench/bench_worker_slots.py`` share it::

    with CeleryTopology(tfc_connection=conn_json, worker_slots=(2, 2)) as topo:
        topo.trigger("tfc_policy_check", "tfc-run-…", {"run_id": "run-…"})
        states = topo.wait_for_runs("tfc_policy_check", ["tfc-run-…"], timeout=300)

Isolation, so that other engineers' test runs (and a bench) can share the machine's services:

- PostgreSQL: a fresh database ``tfcs_e2e_<random>`` holds the metadata DB and Celery's results; it is
  dropped ``WITH (FORCE)`` on exit, whatever happened.
- Redis: every broker key carries a random kombu ``global_keyprefix`` and tasks go to a random queue
  (``[operators] default_queue``; workers consume only it). Choosing a Redis db index by
  ``DBSIZE == 0`` would race with a concurrent run doing the same; a random prefix cannot collide, and
  cleanup deletes only keys under it (never ``FLUSHDB``).
- Ports: the api-server listens on a free port; the log servers are not started (``--skip-serve-logs``:
  all components share one local log folder) and the ports Airflow would use are free ones anyway.
- AIRFLOW_HOME is a temporary folder, and no AIRFLOW_* variable of the caller is inherited (the sqlite
  set-up of ``tests/airflow`` lives in the same pytest process).

Workers report distinct hostnames (``w1``, ``w2``) through ``[core] hostname_callable``: on one machine
they would all record the machine's name in ``task_instance.hostname``; containers each have their own.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import psycopg2
import redis
import requests

REPO: Final = Path(__file__).resolve().parents[2]
AIRFLOW: Final = Path(sys.executable).with_name("airflow")
PG_HOST: Final = "127.0.0.1"
PG_PORT: Final = 5432
PG_USER: Final = "postgres"
REDIS_HOST: Final = "127.0.0.1"
REDIS_PORT: Final = 6379
CHECK_DAG_ID: Final = "tfc_policy_check"
FINISHED: Final = frozenset({"success", "failed"})
API_USER: Final = "e2e"
# A module in $AIRFLOW_HOME/config (on every component's sys.path): the hostname a worker records.
HOSTNAME_MODULE: Final = "tfcs_topology_hostname"
HOSTNAME_ENV: Final = "TFCS_TOPOLOGY_WORKER"
LOG_TAIL_LINES: Final = 40


def seed_check_runs(api_url: str, count: int, organization: str = "acme-corp") -> list[str]:
    """Add ``count`` exportable Terraform runs to an emulator (``POST /_emulator/seed``): a new workspace
    in ``organization`` whose runs cycle through the fixture plans (``emulator/fixtures/plans``), so the
    checks end differently (pass/warn, soft-fail, hard fail). Returns the new run IDs."""
    from tfc_sentinel.emulator.fixtures import FIXTURES_DIR
    from tfc_sentinel.emulator.models import new_id

    plans = [json.loads(path.read_text()) for path in sorted((FIXTURES_DIR / "plans").glob("*.json"))]
    workspace = new_id("ws")
    document = {
        "workspaces": [{"id": workspace, "organization": organization, "name": f"e2e-{workspace[3:]}"}],
        "runs": [
            {
                "workspace": workspace,
                "status": "planned",
                "created_at": "2025-06-01T12:00:00Z",
                "message": f"e2e check {index}",
                "plan": {"status": "finished", "json": plans[index % len(plans)]},
            }
            for index in range(count)
        ],
    }
    response = requests.post(f"{api_url}/_emulator/seed", json=document, timeout=60)
    response.raise_for_status()
    return list(response.json()["runs"])


class TopologyError(RuntimeError):
    """The topology could not start, a component died, or runs did not finish in time."""


def services_unavailable() -> str | None:
    """Why the topology cannot run on this machine (PostgreSQL or Redis unreachable), else None."""
    try:
        psycopg2.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3
        ).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}) is unreachable: {str(exc).strip()}"
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable: {exc}"
    return None


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in process group ``pgid`` (Linux: /proc; else killpg)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            return True
    return False


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Component:
    """One started process: its own process group (``start_new_session``), so stopping it by its pid
    also stops what it forked (Celery pool processes, task supervisors, uvicorn workers)."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self, cwd: Path) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def alive(self) -> bool:
        """Anything of this component still running (its leader, or what the leader forked)."""
        if self.process is None:
            return False
        self.process.poll()  # reap the leader so it does not linger as a zombie
        return _group_alive(self.process.pid)


@dataclass
class CeleryTopology:
    """Start the topology on ``__enter__``; stop every process it started and drop its database on exit.

    :param tfc_connection: ``AIRFLOW_CONN_TFC_DEFAULT`` (JSON), e.g. a connection to an emulator.
    :param worker_slots: one Celery worker per entry, with that concurrency (``-c``).
    :param local_settings: source of ``airflow_local_settings.py`` (cluster policies), or None.
    :param settings: extra environment (``AIRFLOW__SECTION__KEY``) on top of the defaults below.
    :param ready_timeout: seconds for migration and for every component to report ready (generous:
        other test runs share this machine's two cores).
    """

    tfc_connection: str
    worker_slots: Sequence[int] = (2, 2)
    local_settings: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    ready_timeout: float = 300.0
    dag_ids: Sequence[str] = (CHECK_DAG_ID,)

    def __post_init__(self) -> None:
        self.id = secrets.token_hex(4)
        self.db_name = f"tfcs_e2e_{self.id}"
        self.queue = f"tfcs_e2e_{self.id}"
        self.redis_prefix = f"tfcs_e2e_{self.id}:"
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.home = Path(tempfile.mkdtemp(prefix=f"tfcs-e2e-{self.id}-"))
        self.log_dir = self.home / "component-logs"
        self.components: list[Component] = []
        self._password = secrets.token_urlsafe(16)
        self._secrets = {
            "fernet": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "api": secrets.token_urlsafe(24),
            "jwt": secrets.token_urlsafe(32),
        }
        self._token: str | None = None
        self._db_created = False
        self._session = requests.Session()

    # -- configuration -----------------------------------------------------------------------------------

    @property
    def sql_url(self) -> str:
        return f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.db_name}"

    def environment(self) -> dict[str, str]:
        """Every component's environment: the caller's minus AIRFLOW_*, plus this topology's settings."""
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "_AIRFLOW", "_TFC_SENTINEL"))
        }
        env = {
            **inherited,
            "PATH": f"{AIRFLOW.parent}{os.pathsep}{inherited.get('PATH', '')}",
            "PYTHONPATH": str(self.home / "config"),
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW_CONN_TFC_DEFAULT": self.tfc_connection,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            # Paused at creation: tfc_policy_sweep (every 15 min) must not trigger checks of its own;
            # the DAGs in ``dag_ids`` are unpaused through the REST API once parsed.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "256",
            "AIRFLOW__CORE__FERNET_KEY": self._secrets["fernet"],
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{HOSTNAME_MODULE}.hostname",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{API_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sql_url,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.sql_url}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": self.redis_prefix,
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self._secrets["api"],
            # One secret for every component, or workers' execution-API tokens fail verification.
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secrets["jwt"],
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            # Parse the two DAG files once, in one process: re-parsing only costs CPU here.
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "600",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
        }
        env.update(self.settings)
        return env

    def _write_home(self) -> None:
        config = self.home / "config"
        config.mkdir(parents=True)
        self.log_dir.mkdir()
        (config / f"{HOSTNAME_MODULE}.py").write_text(
            '"""[core] hostname_callable: each local worker reports its own name, as a container would."""\n'
            "import os\nimport socket\n\n\n"
            "def hostname() -> str:\n"
            f"    return os.environ.get({HOSTNAME_ENV!r}) or socket.getfqdn()\n"
        )
        if self.local_settings is not None:
            (config / "airflow_local_settings.py").write_text(self.local_settings)
        passwords = self.home / "passwords.json"
        passwords.write_text(json.dumps({API_USER: self._password}))
        passwords.chmod(0o600)

    # -- database and broker -------------------------------------------------------------------------------

    def _connect(self, dbname: str) -> Any:
        conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=10)
        conn.autocommit = True  # CREATE/DROP DATABASE refuse to run inside a transaction
        return conn

    def _admin(self, statement: str) -> None:
        conn = self._connect("postgres")
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def connect(self) -> Any:
        """A psycopg2 connection (autocommit) to the topology's metadata DB; the caller closes it."""
        return self._connect(self.db_name)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read on the topology's metadata DB (psycopg2 decodes JSON columns)."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def _drop_database(self) -> None:
        if self._db_created:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._db_created = False

    def redis_keys(self) -> list[bytes]:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
        return list(client.scan_iter(match=f"{self.redis_prefix}*", count=500))

    def _clear_redis(self) -> None:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
        keys = self.redis_keys()
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])

    # -- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> CeleryTopology:
        try:
            self._start()
        except BaseException:
            self.close(failed=True)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(failed=exc_type is not None)

    def _start(self) -> None:
        problem = services_unavailable()
        if problem:
            raise TopologyError(problem)
        self._write_home()
        env = self.environment()
        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self._db_created = True
        migrate = self.log_dir / "db-migrate.log"
        with migrate.open("ab") as sink:
            done = subprocess.run(
                [str(AIRFLOW), "db", "migrate"],
                env=env,
                cwd=self.home,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=self.ready_timeout,
                check=False,
            )
        if done.returncode != 0:
            raise TopologyError(f"airflow db migrate failed ({done.returncode}):\n{_tail(migrate)}")

        self._add("api-server", ["api-server", "--port", str(self.port), "--host", "127.0.0.1"], env)
        self._add("scheduler", ["scheduler"], env)
        self._add("dag-processor", ["dag-processor"], env)
        self._add("triggerer", ["triggerer", "--skip-serve-logs"], env)
        for index, slots in enumerate(self.worker_slots, start=1):
            name = f"w{index}"
            argv = [
                "celery",
                "worker",
                "--celery-hostname",
                f"{name}-{self.id}@%h",
                "--concurrency",
                str(slots),
            ]
            argv += ["--queues", self.queue, "--skip-serve-logs", "--without-mingle", "--without-gossip"]
            self._add(name, argv, {**env, HOSTNAME_ENV: name})
        for component in self.components:
            component.start(self.home)

        deadline = time.monotonic() + self.ready_timeout
        self._wait("the api-server to answer /api/v2/version", deadline, self._api_ready)
        self._wait("scheduler, dag-processor and triggerer to heartbeat", deadline, self._jobs_ready)
        self._wait("every Celery worker to be ready", deadline, self._workers_ready)
        for dag_id in self.dag_ids:
            self._wait(f"DAG {dag_id} to be parsed", deadline, lambda d=dag_id: self._dag_parsed(d))
            response = self.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
            if response.status_code != 200:
                raise TopologyError(f"unpausing {dag_id}: {response.status_code} {response.text[:500]}")

    def _add(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.components.append(Component(name, [str(AIRFLOW), *args], self.log_dir / f"{name}.log", env))

    def check_alive(self) -> None:
        """Raise if a component exited: waiting on it any longer would only time out."""
        for component in self.components:
            if component.process is not None and not component.running:
                raise TopologyError(
                    f"{component.name} exited with {component.process.returncode}; log {component.log}"
                )

    def _wait(self, what: str, deadline: float, ready: Any) -> None:
        while True:
            self.check_alive()
            try:
                if ready():
                    return
            except (requests.RequestException, psycopg2.Error):
                pass
            if time.monotonic() > deadline:
                raise TopologyError(f"timed out waiting for {what}")
            time.sleep(0.5)

    def _api_ready(self) -> bool:
        return self._session.get(f"{self.api_url}/api/v2/version", timeout=5).status_code == 200

    def _jobs_ready(self) -> bool:
        rows = self.query(
            "SELECT DISTINCT job_type FROM job WHERE state = 'running' "
            "AND latest_heartbeat > now() - interval '60 seconds'"
        )
        return {"SchedulerJob", "DagProcessorJob", "TriggererJob"} <= {row[0] for row in rows}

    def _workers_ready(self) -> bool:
        workers = [c for c in self.components if c.name.startswith("w")]
        return all(" ready." in c.log.read_text(errors="replace") for c in workers)

    def _dag_parsed(self, dag_id: str) -> bool:
        return self.api("GET", f"/api/v2/dags/{dag_id}").status_code == 200

    def close(self, *, failed: bool = False) -> None:
        """Stop every started process group (SIGTERM, then SIGKILL), drop the database, delete the Redis
        keys and the temporary home. On failure, first print the tails of the component logs."""
        if failed:
            self.print_log_tails()
        problems: list[str] = []
        for component in self.components:
            component.signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while any(c.alive() for c in self.components) and time.monotonic() < deadline:
            time.sleep(0.2)
        for component in self.components:
            if component.alive():
                component.signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(c.alive() for c in self.components) and time.monotonic() < deadline:
            time.sleep(0.2)
        problems += [f"{c.name} survived SIGKILL" for c in self.components if c.alive()]
        self._session.close()
        for step in (self._drop_database, self._clear_redis):
            try:
                step()
            except (psycopg2.Error, redis.RedisError) as exc:
                problems.append(f"{step.__name__}: {exc}")
        if os.environ.get("TFCS_E2E_KEEP_HOME") == "1":
            print(f"kept the topology's AIRFLOW_HOME: {self.home}", file=sys.stderr)
        else:
            shutil.rmtree(self.home, ignore_errors=True)
        if problems:
            message = "cleanup of the Celery topology failed: " + "; ".join(problems)
            if failed:
                print(message, file=sys.stderr)  # do not hide the original error
            else:
                raise TopologyError(message)

    def print_log_tails(self, lines: int = LOG_TAIL_LINES) -> None:
        """The end of every component's log on stderr, so CI output explains a failure."""
        logs = [self.log_dir / "db-migrate.log", *(c.log for c in self.components)]
        for log in logs:
            if log.exists():
                print(f"\n----- {log.name} (last {lines} lines) -----\n{_tail(log, lines)}", file=sys.stderr)

    # -- REST API ------------------------------------------------------------------------------------------

    def token(self) -> str:
        """A JWT for the API user (``POST /auth/token``); never printed."""
        if self._token is None:
            response = self._session.post(
                f"{self.api_url}/auth/token",
                json={"username": API_USER, "password": self._password},
                timeout=30,
            )
            if response.status_code != 201:
                raise TopologyError(f"POST /auth/token answered {response.status_code}")
            self._token = str(response.json()["access_token"])
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return self._session.request(method, f"{self.api_url}{path}", headers=headers, timeout=60, **kwargs)

    def trigger(self, dag_id: str, dag_run_id: str, conf: Mapping[str, Any]) -> requests.Response:
        """``POST /api/v2/dags/{dag_id}/dagRuns`` (airflow.md §13): 200 queued, 409 duplicate run ID."""
        body = {"logical_date": None, "dag_run_id": dag_run_id, "conf": dict(conf)}
        return self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)

    # -- reading results -----------------------------------------------------------------------------------

    def run_states(self, dag_id: str, run_ids: Iterable[str]) -> dict[str, str]:
        rows = self.query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND run_id = ANY(%s)",
            (dag_id, list(run_ids)),
        )
        return {run_id: state for run_id, state in rows}

    def wait_for_runs(self, dag_id: str, run_ids: Sequence[str], timeout: float) -> dict[str, str]:
        """Block until every DAG run is success or failed; their states. Raises on timeout or when a
        component died meanwhile (read from the DB: one query per poll, no pagination)."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.run_states(dag_id, run_ids)
            if len(states) == len(run_ids) and set(states.values()) <= FINISHED:
                return states
            self.check_alive()
            if time.monotonic() > deadline:
                pending = {
                    run: states.get(run, "missing") for run in run_ids if states.get(run) not in FINISHED
                }
                raise TopologyError(f"{len(pending)} DAG runs did not finish in {timeout:g} s: {pending}")
            time.sleep(1)

    def task_instances(self, dag_id: str) -> list[dict[str, Any]]:
        """Every task instance of the DAG with where it last ran (``hostname``: the worker's
        ``[core] hostname_callable``, ``w1``/``w2`` here)."""
        columns = ("run_id", "task_id", "state", "try_number", "hostname")
        rows = self.query(f"SELECT {', '.join(columns)} FROM task_instance WHERE dag_id = %s", (dag_id,))
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str) -> Any:
        rows = self.query(
            "SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = %s AND key = %s",
            (dag_id, run_id, task_id, key),
        )
        return rows[0][0] if rows else None
