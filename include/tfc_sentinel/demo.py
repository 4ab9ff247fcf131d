"""``make demo`` and ``make up``: the whole pipeline against a local Terraform Cloud, from a fresh clone.

``python -m tfc_sentinel.demo`` (``make demo``) starts the emulator in this process, points the
``tfc_default`` connection at it (``AIRFLOW_CONN_TFC_DEFAULT``, JSON), and runs the ``tfc_policy_check``
DAG with ``dag.test()`` on a real metadata DB for two seeded runs: one that passes the example policy set
``aws-baseline`` and one that fails its soft-mandatory ``destroy-protection``. It prints a results table
and where the reports are; each DAG run's full log goes to a file next to them.

``python -m tfc_sentinel.demo up`` (``make up``) starts the emulator and ``airflow standalone`` with the
same connection and a known login, and serves until Ctrl-C.

``python -m tfc_sentinel.demo export`` is the earlier export-only demo: one run's bundle, no Airflow.

Airflow reads its configuration when first imported, so :func:`main` sets the environment (a
repository-local ``AIRFLOW_HOME``, the repository's ``dags/``) before anything imports it;
:func:`run_checks` is the part tests call on an Airflow that is already set up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from tfc_sentinel.emulator import EmulatorServer
    from tfc_sentinel.tfc import TfcClient

REPO: Final = Path(__file__).resolve().parents[2]
DAGS_FOLDER: Final = REPO / "dags"
CHECK_DAG_FILE: Final = DAGS_FOLDER / "tfc_policy_check.py"
PLUGINS_FOLDER: Final = REPO / "plugins"
ORGANIZATION: Final = "acme-corp"
# Verdicts of include/policies/aws-baseline on the emulator's fixture runs (see its README).
PASSING_RUN: Final = "run-coldsirKVxipUP0Z"  # only the advisory mandatory-tags fails: "warn"
FAILING_RUN: Final = "run-3YMjH7RcU18bXbD9"  # soft-mandatory destroy-protection fails: "soft-fail"
DEMO_RUNS: Final = (PASSING_RUN, FAILING_RUN)
DEMO_TOKEN: Final = "demo-token"
UI_USER: Final = "admin"
UI_PASSWORD: Final = "admin"
CHECK_PARAMS: Final = {
    "policy_set": None,
    "engine": "builtin",
    "fail_on": "soft-mandatory",
    "run_tests": False,
}


# -- the Airflow demo ---------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """One Terraform run's check: the DAG run's state, the policy verdict, where to read more."""

    run_id: str
    dag_run_id: str
    state: str
    task_states: dict[str, str]
    summary: dict[str, Any] | None
    log_file: Path | None = None
    failed_policies: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.summary is None:
            failed = [task for task, state in self.task_states.items() if state == "failed"]
            return f"error ({', '.join(failed) or self.state})"
        return str(self.summary["outcome"])

    @property
    def reports_dir(self) -> str | None:
        if not self.summary or not self.summary.get("reports"):
            return None
        return str(Path(self.summary["reports"]["json"].removeprefix("file://")).parent)


def connection_json(emulator: EmulatorServer, organization: str = ORGANIZATION) -> str:
    """``AIRFLOW_CONN_TFC_DEFAULT``: a ``terraform_cloud`` connection to the emulator."""
    return json.dumps(
        {
            "conn_type": "terraform_cloud",
            "host": emulator.api_url,
            "password": emulator.token,
            "extra": {"organization": organization},
        }
    )


def load_check_dag(poke_interval: float = 0.5) -> Any:
    """``tfc_policy_check`` from its file; the sensor polls faster than in production (the emulator's
    exports finish in a second, Terraform Cloud's in several)."""
    import runpy

    if not CHECK_DAG_FILE.is_file():
        raise SystemExit(f"{CHECK_DAG_FILE} not found: the demo runs from a source checkout of tfc-sentinel")
    dag = runpy.run_path(str(CHECK_DAG_FILE))["dag"]
    dag.get_task("wait_for_export").poke_interval = poke_interval
    return dag


@contextlib.contextmanager
def output_to(path: Path | None) -> Iterator[None]:
    """Send this process's stdout and stderr to ``path`` while the block runs; nothing when None.

    Redirected at the file descriptors: Airflow's log handlers keep the stream objects they were set up
    with, so swapping ``sys.stdout`` would miss them (or leave them writing to a closed file later).
    """
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_checks(
    run_ids: Sequence[str] = DEMO_RUNS,
    *,
    dag: Any = None,
    log_dir: Path | None = None,
    progress: Callable[[str], None] = print,
    **params: Any,
) -> list[CheckResult]:
    """Run ``tfc_policy_check`` with ``dag.test()`` once per Terraform run; Airflow must be configured,
    its DB migrated and ``tfc_default`` set. ``params`` override the DAG's Params (all are passed every
    time: in one process a Param left out would keep the previous run's value)."""
    dag = dag if dag is not None else load_check_dag()
    results = []
    for run_id in run_ids:
        progress(f"checking {run_id} ...")
        log_file = log_dir / f"{run_id}.log" if log_dir is not None else None
        with output_to(log_file):
            dag_run = dag.test(run_conf={"run_id": run_id, **CHECK_PARAMS, **params})
        task_states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
        policy_ti = dag_run.get_task_instance("run_policies")
        summary = policy_ti.xcom_pull(task_ids="run_policies", key="policy_summary") if policy_ti else None
        failed = [
            f"{p['name']} ({p['level']})"
            for p in (summary or {}).get("policies", [])
            if p["outcome"] != "pass"
        ]
        results.append(
            CheckResult(run_id, dag_run.run_id, str(dag_run.state), task_states, summary, log_file, failed)
        )
    return results


def results_table(results: Sequence[CheckResult]) -> str:
    """The results as a plain-text table: run, outcome, DAG run state, policies that failed."""
    rows = [("Terraform run", "outcome", "DAG run", "policies failed (level)")]
    for result in results:
        rows.append((result.run_id, result.outcome, result.state, ", ".join(result.failed_policies) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(row[3]))
    return "\n".join(lines)


def prepare_environment(airflow_home: Path | None = None) -> Path:
    """Point Airflow at a repository-local home and the repository's DAGs (before importing airflow)."""
    home = Path(airflow_home or os.environ.get("AIRFLOW_HOME") or REPO / ".airflow").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    # The "Policy results" views register through plugins/ (as `make` sets it); without this a plain
    # `python -m tfc_sentinel.demo up` would serve an Airflow UI without them.
    os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PLUGINS_FOLDER))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "False")
    # Task logs of dag.test go to the demo's log files, not through Airflow's per-task log folders.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    return home


def migrate_db() -> None:
    """``airflow db migrate`` (idempotent), in a child process so its logging stays out of ours."""
    airflow = Path(sys.executable).with_name("airflow")
    command = [str(airflow) if airflow.exists() else "airflow", "db", "migrate"]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise SystemExit(f"airflow db migrate failed:\n{done.stdout}\n{done.stderr}")


def demo(args: argparse.Namespace) -> int:
    home = prepare_environment(args.airflow_home)
    if not args.no_migrate:
        print(f"Airflow home {home}: migrating the metadata DB ...")
        migrate_db()
    from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer

    log_dir = home / "demo-logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    with EmulatorServer(EmulatorConfig(export_delay=1.0)) as emulator:
        os.environ["AIRFLOW_CONN_TFC_DEFAULT"] = connection_json(emulator)
        print(f"Terraform Cloud emulator: API {emulator.api_url}  blob host {emulator.blob_url}")
        print("Connection tfc_default: AIRFLOW_CONN_TFC_DEFAULT (terraform_cloud, organization acme-corp)")
        print(
            f"Running DAG tfc_policy_check with dag.test() for {', '.join(args.run)}; policy set aws-baseline"
        )
        results = run_checks(args.run, log_dir=log_dir, fail_on=args.fail_on)
        state = emulator.snapshot()
    print()
    print(results_table(results))
    print()
    for result in results:
        print(f"{result.run_id}:")
        if result.reports_dir:
            files = ", ".join(Path(p).name for p in result.summary["reports"].values())  # type: ignore[index]
            print(f"  reports   {result.reports_dir}/  ({files})")
        else:
            print("  reports   none: the check did not get to the policies")
        print(f"  DAG log   {result.log_file}")
    print()
    print(
        f"Live plan exports left in the emulator: {state['live_exports']} (deleted: {state['deleted_exports']})"
    )
    print(f"Requests that carried the token to the blob host: {state['blob_auth_leaks']}")
    every_run_checked = all(result.summary is not None for result in results)
    clean = state["live_exports"] == 0 and state["blob_auth_leaks"] == 0
    return 0 if every_run_checked and clean else 1


# -- make up: airflow standalone ---------------------------------------------------------------------------


def seed_passwords(home: Path, users: dict[str, str]) -> Path:
    """The SimpleAuthManager password file with known passwords (``airflow standalone`` would otherwise
    generate and print random ones)."""
    path = home / "simple_auth_manager_passwords.json.generated"
    path.write_text(json.dumps(users))
    path.chmod(0o600)
    return path


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def _group_alive(group: int, leader: subprocess.Popen[bytes]) -> bool:
    """Whether any live process is left in process group ``group`` (zombies do not count: they have
    exited and only wait for their parent or init to reap them)."""
    import psutil

    leader.poll()  # reap the group leader, our own child, so its zombie does not linger
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a group we cannot signal is still there
        return True
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == group and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop ``process`` and every process in its group: SIGTERM, wait, then SIGKILL what is left.

    Waiting for the leader alone is not enough: ``airflow standalone`` exits while its scheduler,
    api-server and triggerer (and their workers) are still shutting down, and ``make up`` would then
    return with Airflow processes running on and holding the port.
    """
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _group_alive(group, process) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(group, process):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _group_alive(group, process) and time.monotonic() < deadline:
            time.sleep(0.1)
    process.wait()


def _stop_on_signals() -> None:
    """Ctrl-C and ``kill`` both end ``up`` through its cleanup (SIGINT may arrive ignored when started
    in the background, and SIGTERM would otherwise end Python without running ``finally``)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def up(args: argparse.Namespace) -> int:
    _stop_on_signals()
    home = prepare_environment(args.airflow_home)
    if not args.no_migrate:
        print(f"Airflow home {home}: migrating the metadata DB ...")
        migrate_db()
    from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer

    passwords = seed_passwords(home, {UI_USER: UI_PASSWORD})
    config = EmulatorConfig(tokens={DEMO_TOKEN: ""})
    with EmulatorServer(config, port=args.emulator_port, blob_port=args.emulator_port + 1) as emulator:
        bin_dir = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            # standalone starts its components as `airflow ...` from PATH: this virtualenv's.
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "AIRFLOW_CONN_TFC_DEFAULT": connection_json(emulator),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__PORT": str(args.port),
            "AIRFLOW__API__BASE_URL": f"http://localhost:{args.port}",
        }
        log_path = home / "standalone.log"
        print(f"Terraform Cloud emulator: API {emulator.api_url} (token {DEMO_TOKEN})")
        print(f"Starting airflow standalone (log: {log_path}) ...")
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("airflow")), "standalone"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C here stops all its children
            )
        try:
            if not wait_for_http(f"http://localhost:{args.port}/api/v2/version", args.timeout, process):
                print(f"airflow standalone did not come up; see {log_path}", file=sys.stderr)
                return 1
            print()
            print(f"Airflow UI   http://localhost:{args.port}   login {UI_USER} / {UI_PASSWORD}")
            print(
                f'DAGs         tfc_policy_check (trigger with {{"run_id": "{FAILING_RUN}"}}), tfc_policy_sweep'
            )
            print("Connection   tfc_default -> the emulator (AIRFLOW_CONN_TFC_DEFAULT)")
            print("Ctrl-C stops Airflow and the emulator.")
            while process.poll() is None:
                time.sleep(1)
            return process.returncode or 0
        except KeyboardInterrupt:
            print("stopping airflow standalone and the emulator ...")
            return 0
        finally:
            # Also when standalone ended by itself: its components may outlive it.
            stop_process_group(process)


# -- export only (no Airflow) ------------------------------------------------------------------------------


def pick_run(client: TfcClient) -> str:
    """The newest run, across the organizations the token sees, whose plan can be exported."""
    for org in client.list_organizations():
        for workspace in client.list_workspaces(org.name):
            for run in client.list_runs(workspace.id).runs:
                if run.plan_id and client.get_plan(run.plan_id).export_blocker() is None:
                    return run.id
    raise SystemExit("no exportable run in the emulator's fixtures")


def export_only(args: argparse.Namespace) -> int:
    from tfc_sentinel.bundle import Bundle
    from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer
    from tfc_sentinel.tfc import TfcClient, TfcConfig
    from tfc_sentinel.tfc.lifecycle import export_run_bundle

    out = args.out or Path(tempfile.mkdtemp(prefix="tfc-sentinel-demo-"))
    with EmulatorServer(EmulatorConfig(export_delay=1.0)) as emulator:
        print(f"Terraform Cloud emulator: API {emulator.api_url}  blob host {emulator.blob_url}")
        config = TfcConfig(host=emulator.api_url, token=emulator.token)
        with TfcClient(config) as client:
            run_id = args.run or pick_run(client)
            result = export_run_bundle(
                client,
                run_id,
                out / f"{run_id}.tar.gz",
                out / run_id,
                poll_interval=0.25,
                progress=lambda message: print(f"  {message}"),
            )
        state = emulator.snapshot()
    assert result.bundle_dir is not None
    bundle = Bundle.load(result.bundle_dir)
    print(f"\nBundle of {run_id} in {result.bundle_dir}:")
    for path in sorted(result.bundle_dir.iterdir()):
        print(f"  {path.name:<28} {path.stat().st_size:>9,} bytes")
    print(f"\nImports mapped by sentinel.hcl: {', '.join(sorted(bundle.imports))}")
    print(f"Live exports left in the emulator: {state['live_exports']}")
    print(f"Requests that carried the token to the blob host: {state['blob_auth_leaks']}")
    return 0 if state["live_exports"] == 0 and state["blob_auth_leaks"] == 0 else 1


# -- command line ----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfc_sentinel.demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--airflow-home", type=Path, help="default: $AIRFLOW_HOME, else .airflow/ in the repo"
    )
    parser.add_argument("--no-migrate", action="store_true", help="skip 'airflow db migrate'")
    parser.add_argument(
        "--run", action="append", help=f"Terraform run to check; repeatable (default: {', '.join(DEMO_RUNS)})"
    )
    parser.add_argument(
        "--fail-on", default="soft-mandatory", choices=("hard-mandatory", "soft-mandatory", "never")
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("up", help="airflow standalone with the emulator and a seeded connection")
    serve.add_argument("--port", type=int, default=8080, help="Airflow UI/API port (default 8080)")
    serve.add_argument("--emulator-port", type=int, default=8750, help="emulator API port (blobs: +1)")
    serve.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the UI")
    export = sub.add_parser("export", help="only export one run's bundle (no Airflow)")
    export.add_argument("--run", help="run ID to export (default: the newest exportable run)")
    export.add_argument("--out", type=Path, default=None, help="folder for the bundle (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args)
    if args.command == "export":
        return export_only(args)
    args.run = args.run or list(DEMO_RUNS)
    return demo(args)


if __name__ == "__main__":
    sys.exit(main())
