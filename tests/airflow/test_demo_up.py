"""``make up`` for real: ``python -m tfc_sentinel.demo up`` as a child process, driven over HTTP.

What the Makefile's ``up`` target runs, with a temporary ``AIRFLOW_HOME`` and free ports: the emulator
and ``airflow standalone`` (scheduler, dag-processor, api-server, triggerer; LocalExecutor on sqlite)
with the seeded login. The test reads the printed address and login, then checks what a user would
see: the login works, the dag-processor parsed both DAGs without import errors, the "Policy results"
app answers (only with a token), one ``tfc_policy_check`` run triggered through the REST API succeeds
and reached the emulator through the ``tfc_default`` connection (the emulator's request log says which
credential each request carried), and a SIGINT stops every process that ``up`` started.

Slow (about a minute: standalone's start-up dominates); nothing in it is timed beyond generous deadlines.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, TypeVar

import psutil
import pytest
import requests

from tfc_sentinel import demo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

REPO: Final = Path(__file__).resolve().parents[2]
CHECK_DAG: Final = "tfc_policy_check"
SWEEP_DAG: Final = "tfc_policy_sweep"
STARTUP_TIMEOUT: Final = 240.0  # migrate + standalone on a busy two-core machine
PARSE_TIMEOUT: Final = 120.0
RUN_TIMEOUT: Final = 150.0
STOP_TIMEOUT: Final = 90.0
T = TypeVar("T")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(pair: bool = False) -> int:
    """A free port (the OS picks it); with ``pair`` also the next one is free (the emulator's blob host
    listens on ``--emulator-port`` + 1)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 65535 and (not pair or _port_free(port + 1)):
            return port
    raise RuntimeError("no free pair of ports found")


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _poll(what: str, timeout: float, probe: Callable[[], T | None], interval: float = 1.0) -> T:
    """``probe()`` until it returns something other than None; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


class Output:
    """The child's stdout+stderr, read line by line on a thread (a blocking read cannot time out)."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"make up ended before printing {pattern!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if found := re.search(pattern, line):
                return found
        pytest.fail(f"make up printed no {pattern!r} within {timeout:.0f}s:\n" + "\n".join(self.lines))

    def rest(self, timeout: float) -> str:
        """Everything after what was already read, up to the end of the stream."""
        self._thread.join(timeout)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)


@dataclass
class Up:
    process: subprocess.Popen[str]
    output: Output
    home: Path
    port: int
    emulator_port: int


def _environment(home: Path) -> dict[str, str]:
    """The Makefile's environment for ``up`` (its exports), without this test session's Airflow
    settings (tests/airflow/conftest.py points those at the session's own home and DB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_TFC_SENTINEL"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            # Not a Makefile setting: LocalExecutor forks `parallelism` workers up front (32 by default);
            # a few are plenty for one DAG run on a shared test machine.
            "AIRFLOW__CORE__PARALLELISM": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _kill_everything(process: subprocess.Popen[str]) -> None:
    """Cleanup after a failed test: the whole tree ``up`` started, whatever state it is in."""
    try:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(tree, timeout=15)
    process.wait(15)


@pytest.fixture
def make_up(tmp_path: Path) -> Iterator[Up]:
    home = tmp_path / "airflow-home"
    port, emulator_port = _free_port(), _free_port(pair=True)
    command = [sys.executable, "-m", "tfc_sentinel.demo", "up", "--port", str(port)]
    command += ["--emulator-port", str(emulator_port), "--timeout", str(STARTUP_TIMEOUT)]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=_environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # as in a terminal: its own group, so our SIGINT is the only one it gets
    )
    try:
        yield Up(process, Output(process.stdout), home, port, emulator_port)  # type: ignore[arg-type]
    finally:
        if process.poll() is None:
            _kill_everything(process)


class Api:
    """The Airflow REST API with a bearer token.

    Answers 5xx are retried a few times: standalone keeps its metadata in sqlite, one writer at a time,
    and on a busy machine a request can wait out sqlite's lock timeout while the scheduler writes
    ("Database error", 500). Retrying the trigger is safe: its fixed ``dag_run_id`` makes a repeat a 409.
    """

    ATTEMPTS: Final = 5

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for _ in range(self.ATTEMPTS - 1):
            response = self.session.request(method, self.base + path, timeout=60, **kwargs)
            if response.status_code < 500:
                return response
            time.sleep(2)
        return self.session.request(method, self.base + path, timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self._send("GET", path, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self._send("POST", path, json=body)


def _both_dags_parsed(api: Api) -> set[str] | None:
    response = api.get("/api/v2/dags", params={"limit": 100})
    response.raise_for_status()
    dag_ids = {dag["dag_id"] for dag in response.json()["dags"]}
    return dag_ids if {CHECK_DAG, SWEEP_DAG} <= dag_ids else None


def _finished_state(api: Api, dag_run_id: str) -> str | None:
    response = api.get(f"/api/v2/dags/{CHECK_DAG}/dagRuns/{dag_run_id}")
    response.raise_for_status()
    state = response.json()["state"]
    return state if state in ("success", "failed") else None


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _alive(processes: list[psutil.Process]) -> list[str]:
    """The processes still running (zombies have exited; they only wait to be reaped)."""
    left = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return left


def _group_members(group: int) -> list[str]:
    members = []
    for proc in psutil.process_iter(["status", "cmdline"]):
        try:
            if os.getpgid(proc.pid) == group and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}")
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def test_make_up_serves_airflow_runs_a_check_and_stops_cleanly(make_up: Up) -> None:
    out = make_up.output
    emulator_url = out.wait_for(r"Terraform Cloud emulator: API (http://\S+)", 120)[1]
    assert emulator_url.endswith(f":{make_up.emulator_port}")
    ui = out.wait_for(r"Airflow UI\s+(http://\S+)\s+login (\S+) / (\S+)", STARTUP_TIMEOUT + 30)
    base, user, password = ui[1], ui[2], ui[3]
    assert base == f"http://localhost:{make_up.port}"

    # The printed login works (the seeded password file, not a generated password).
    response = requests.post(f"{base}/auth/token", json={"username": user, "password": password}, timeout=30)
    assert response.status_code == 201, response.text
    api = Api(base, response.json()["access_token"])

    # The dag-processor parsed both DAG files, and neither has an import error.
    dag_ids = _poll("the dag-processor to parse both DAGs", PARSE_TIMEOUT, lambda: _both_dags_parsed(api))
    assert {CHECK_DAG, SWEEP_DAG} <= dag_ids
    import_errors = api.get("/api/v2/importErrors").json()
    assert import_errors["total_entries"] == 0, import_errors

    # The plugin's results app is mounted and, like the rest of Airflow, needs the login.
    assert requests.get(f"{base}/tfc-sentinel/", timeout=30).status_code == 401
    overview = api.get("/tfc-sentinel/")
    assert overview.status_code == 200 and "<title>Policy results</title>" in overview.text

    # One check through the REST API, as a notification receiver would trigger it.
    run_id = demo.PASSING_RUN
    dag_run_id = f"tfc-{run_id}"
    body = {"logical_date": None, "dag_run_id": dag_run_id, "conf": {"run_id": run_id}}
    triggered = api.post(f"/api/v2/dags/{CHECK_DAG}/dagRuns", body)
    # 409: the sweep DAG (scheduled every 15 minutes, unpaused) got there first; same run, same checks.
    assert triggered.status_code in (200, 409), triggered.text
    state = _poll(f"DAG run {dag_run_id}", RUN_TIMEOUT, lambda: _finished_state(api, dag_run_id), 2.0)
    tasks = api.get(f"/api/v2/dags/{CHECK_DAG}/dagRuns/{dag_run_id}/taskInstances").json()
    task_states = {ti["task_id"]: ti["state"] for ti in tasks["task_instances"]}
    assert state == "success", task_states
    assert task_states["run_policies"] == task_states["delete_export"] == "success", task_states

    # The run went through tfc_default to this emulator with the seeded token, and cleaned up there.
    log = requests.get(f"{emulator_url}/_emulator/requests", timeout=30).json()["requests"]
    run_reads = [r for r in log if r["path"] == f"/api/v2/runs/{run_id}"]
    assert run_reads and all(r["credential"] == "user" and r["status"] == 200 for r in run_reads), run_reads
    assert any(r["app"] == "blob" and r["status"] == 200 for r in log)
    emulator_state = requests.get(f"{emulator_url}/_emulator/state", timeout=30).json()
    assert emulator_state["live_exports"] == 0 and emulator_state["deleted_exports"] >= 1
    assert emulator_state["blob_auth_leaks"] == 0

    # The results app reads what the run stored.
    results = api.get(f"/tfc-sentinel/runs/{CHECK_DAG}/{dag_run_id}")
    assert results.status_code == 200 and run_id in results.text and "mandatory-tags" in results.text

    # Ctrl-C: `up` stops standalone's whole process group and the emulator before it returns.
    tree = _descendants(make_up.process.pid)
    standalone = [
        p for p in tree if p.ppid() == make_up.process.pid and "standalone" in " ".join(p.cmdline())
    ]
    assert len(standalone) == 1, [p.cmdline() for p in tree]
    group = standalone[0].pid
    assert os.getpgid(group) == group  # standalone leads its own group
    assert len(tree) > 4  # scheduler, dag-processor, api-server, triggerer and their children
    make_up.process.send_signal(signal.SIGINT)
    assert make_up.process.wait(STOP_TIMEOUT) == 0
    printed = out.rest(10)
    assert "stopping airflow standalone and the emulator" in printed
    assert _alive(tree) == []
    assert _group_members(group) == []
    for port in (make_up.port, make_up.emulator_port, make_up.emulator_port + 1):
        assert not _accepts(port), f"port {port} still accepts connections"
