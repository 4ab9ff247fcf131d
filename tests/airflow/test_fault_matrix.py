"""The fault matrix: the whole ``tfc_policy_check`` DAG (``dag.test()``: real metadata DB, tasks in-process,
the deferred sensor's trigger run inline) against the emulator with one kind of trouble per row.

Each row says which faults the emulator injects (per endpoint), what else happens mid-run (a revoked
token, an hour passing), and how the run must end: success, or the named task failing with a message
that says what happened. After every row, whatever the outcome (``tests/airflow/reliability.py``): no
plan export left alive, at most one export created for the run, nothing half-written in bundle storage,
no token sent to the blob host, and every injected fault actually fired (a row whose faults never hit
would prove nothing).

Client retry budgets are the connection's test-sized ones (``tests/airflow/conftest.py``): 5 attempts
for 5xx and dropped connections on GET/DELETE, 20 for 429, waits of at most 50 ms (a 429 waits what its
header says), 15 s per request in all. Rows with "slow" faults shorten the read timeout to 1 s through
the connection's extra, as a user would; the row whose storm outlasts the client shortens its budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import CONN_ID, connection_json
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

POST: Final = "/api/v2/plan-exports"
EXPORT: Final = "/api/v2/plan-exports/{export_id}"
DOWNLOAD: Final = "/api/v2/plan-exports/{export_id}/download"
RUN: Final = "/api/v2/runs/{run_id}"
PLAN: Final = "/api/v2/plans/{plan_id}"
BLOB: Final = "/v1/object/{secret}"
HOUR: Final = 3700.0
SHORT_READ: Final = {"read_timeout": 1.0}
PE: Final = r"pe-[A-Za-z0-9]+"  # a plan export ID in a message
SLOW: Final = "slow:2.5"  # well past SHORT_READ_TIMEOUT, so a loaded machine cannot blur the line


def rule(method: str, path: str, *sequence: str, fault: str | None = None, times: int | None = None) -> dict:
    """A fault rule: a scripted ``sequence``, or ``fault`` repeated ``times`` times."""
    if fault is not None:
        return {"method": method, "path": path, "fault": fault, "times": times}
    return {"method": method, "path": path, "sequence": list(sequence)}


@dataclass(frozen=True)
class Scenario:
    """One row of the matrix."""

    id: str
    faults: tuple[dict[str, Any], ...] = ()
    export_outcome: str | dict[str, str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    """Emulator settings for this row (``EmulatorServer.configure``)."""
    connection: dict[str, Any] = field(default_factory=dict)
    """Connection ``extra`` for this row (a shorter read timeout or retry budget), as a user sets it."""
    after: tuple[str, str] | None = None
    """(task, action) run when that task succeeds: ``revoke-token`` or ``pass-an-hour``."""
    sensor_timeout: float | None = None
    failed_task: str | None = None
    """None: the run succeeds. Else the pipeline task that must fail (the ones after it never run)."""
    messages: tuple[str, ...] = ()
    """Patterns the task logs must match: the failing tasks' exception messages. Each names what the
    task was doing (``waiting for plan export pe-…``, ``reading Terraform run …``), so it is the named
    task's message, not another's."""
    tries: dict[str, int] = field(default_factory=dict)
    teardown: str = "success"
    max_exports: int = 1
    expire_leftovers: bool = False
    """Nothing could delete the export (the token is gone): check it is gone after its hour instead."""


MATRIX: Final = (
    # -- 429 storms, one endpoint at a time: ridden out by the client, the run succeeds ------------------
    Scenario("429-storm-create", (rule("POST", POST, *["429"] * 5),)),
    Scenario("429-storm-export-status", (rule("GET", EXPORT, *["429"] * 8),)),
    Scenario("429-storm-download", (rule("GET", DOWNLOAD, *["429"] * 5),)),
    Scenario("429-storm-delete", (rule("DELETE", EXPORT, *["429"] * 5),)),
    Scenario(
        "429-storm-run-and-plan",  # one 429 says only "Retry-After: 1", as some proxies do
        (rule("GET", RUN, "429", "429", "429-retry-after"), rule("GET", PLAN, *["429"] * 4)),
    ),
    Scenario(
        "429-storm-outlasts-the-client",
        (rule("GET", EXPORT, fault="429", times=100),),
        connection={"retry_max_total_wait": 1.5},  # the budget, shortened so the row stays quick
        failed_task="wait_for_export",
        messages=(rf"waiting for plan export {PE}: GET /plan-exports/{PE} failed with HTTP 429",),
    ),
    # -- 5xx bursts ---------------------------------------------------------------------------------------
    Scenario("5xx-and-resets-on-export-status", (rule("GET", EXPORT, "500", "reset", "503", "502-html"),)),
    Scenario("5xx-on-create-is-not-blindly-repeated", (rule("POST", POST, "503"),)),
    Scenario(
        "5xx-burst-download-and-delete",
        (rule("GET", DOWNLOAD, "502-html", "503"), rule("DELETE", EXPORT, "500", "502")),
    ),
    Scenario(
        "5xx-persistent-run-lookup",
        (rule("GET", RUN, fault="503", times=15),),
        failed_task="create_export",
        messages=(rf"reading Terraform run {RUN_PASSING}: GET /runs/{RUN_PASSING} failed with HTTP 503",),
        tries={"create_export": 3},
        max_exports=0,
    ),
    # -- dropped connections --------------------------------------------------------------------------------
    Scenario("reset-mid-download", (rule("GET", BLOB, "reset-midway"),)),
    Scenario("truncated-download", (rule("GET", BLOB, "truncate", "truncate"),)),
    Scenario(
        "truncated-every-download",
        (rule("GET", BLOB, fault="truncate", times=15),),
        failed_task="download_bundle",
        messages=(
            rf"downloading the bundle of plan export {PE}: GET /plan-exports/{PE}/download \(blob host "
            r"[\d.:]+\) failed: .*IncompleteRead.*\. No partial file was kept",
        ),
        tries={"download_bundle": 3},
    ),
    Scenario("lost-create-answer", (rule("POST", POST, "lost"),)),
    Scenario("lost-delete-answer", (rule("DELETE", EXPORT, "lost"),)),
    # -- slow answers past the client's read timeout -------------------------------------------------------
    Scenario("slow-export-status", (rule("GET", EXPORT, SLOW),), connection=SHORT_READ),
    Scenario("stall-mid-download", (rule("GET", BLOB, "stall:2.5"),), connection=SHORT_READ),
    Scenario("slow-create-answer", (rule("POST", POST, SLOW),), connection=SHORT_READ),
    # -- exports that do not end "finished" ------------------------------------------------------------------
    Scenario(
        "export-errored",
        export_outcome={"outcome": "errored", "error_message": "plan too large"},
        failed_task="wait_for_export",
        messages=(rf"plan export {PE} ended 'errored' \(plan too large\)",),
    ),
    Scenario(
        "export-canceled",
        export_outcome="canceled",
        failed_task="wait_for_export",
        messages=(rf"plan export {PE} ended 'canceled'",),
    ),
    Scenario(
        "export-expired-while-waiting",
        settings={"export_expiry": 0},
        failed_task="wait_for_export",
        messages=(rf"plan export {PE} ended 'expired': its bundle expired before it was downloaded",),
    ),
    Scenario("export-expired-before-download", after=("wait_for_export", "pass-an-hour"), max_exports=2),
    Scenario(
        "export-stuck-past-the-sensor-timeout",
        export_outcome="stuck",
        sensor_timeout=1.0,
        failed_task="wait_for_export",
        messages=(
            rf"plan export {PE} was still 'queued' when the sensor's timeout passed; the export was deleted",
        ),
    ),
    # -- the token revoked mid-run: nothing can delete the export, which expires on its own ----------------
    Scenario(
        "token-revoked-after-create",
        after=("create_export", "revoke-token"),
        failed_task="wait_for_export",
        messages=(
            rf"waiting for plan export {PE}: GET /plan-exports/{PE} failed with HTTP 401",
            rf"deleting plan export {PE}: DELETE /plan-exports/{PE} failed with HTTP 401",
        ),
        teardown="failed",
        expire_leftovers=True,
    ),
    Scenario(
        "token-revoked-before-download",
        after=("wait_for_export", "revoke-token"),
        failed_task="download_bundle",
        messages=(
            rf"downloading the bundle of plan export {PE}: GET /plan-exports/{PE} failed with HTTP 401",
            rf"deleting plan export {PE}: DELETE /plan-exports/{PE} failed with HTTP 401",
        ),
        tries={"download_bundle": 1},
        teardown="failed",
        expire_leftovers=True,
    ),
    # -- damaged and hostile archives (a 200 with a consistent length: only unpacking can tell) -----------
    Scenario(
        "archive-not-gzip",
        (rule("GET", BLOB, "corrupt:garbage"),),
        failed_task="download_bundle",
        messages=(rf"the bundle of plan export {PE} is unusable: .* is not a gzip file",),
    ),
    Scenario(
        "archive-gzip-of-a-non-tar",
        (rule("GET", BLOB, "corrupt:not-tar"),),
        failed_task="download_bundle",
        messages=(rf"the bundle of plan export {PE} is unusable: .*: the tar data is corrupt or truncated",),
    ),
    Scenario(
        "archive-bad-gzip-crc",
        (rule("GET", BLOB, "corrupt:bad-crc"),),
        failed_task="download_bundle",
        messages=(rf"the bundle of plan export {PE} is unusable: .*: the gzip data is corrupt or truncated",),
    ),
    Scenario(
        "archive-path-traversal",
        (rule("GET", BLOB, "corrupt:traversal"),),
        failed_task="download_bundle",
        messages=(
            rf"the bundle of plan export {PE} is unusable: .*'\.\./escaped\.sentinel' contains '\.\.'",
        ),
    ),
    Scenario(
        "archive-symlink-member",
        (rule("GET", BLOB, "corrupt:symlink"),),
        failed_task="download_bundle",
        messages=(rf"the bundle of plan export {PE} is unusable: .* is a symlink \(to '/etc/passwd'\)",),
    ),
    # -- everything at once, each fault once ---------------------------------------------------------------
    Scenario(
        "mixed-faults-on-every-endpoint",
        (
            rule("POST", POST, "429", "lost"),
            rule("GET", EXPORT, "503", "reset", "429"),
            rule("GET", DOWNLOAD, "502"),
            rule("GET", BLOB, "truncate", "reset-midway"),
            rule("DELETE", EXPORT, "503", "lost"),
        ),
    ),
)


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bundle storage root of the test's own, so leftovers are this run's."""
    root = tmp_path / "storage"
    monkeypatch.setenv(STORAGE_ENV, str(root))
    return root


def _actions(emulator: EmulatorServer) -> dict[str, Callable[[Any], None]]:
    return {
        "revoke-token": lambda context: emulator.revoke_token(emulator.token),
        "pass-an-hour": lambda context: emulator.advance_clock(HOUR),
    }


@pytest.fixture
def armed(
    reset: EmulatorServer, airflow_db: Path, storage: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Scenario], Any]]:
    """Arm a row: emulator settings and faults, the connection's timeout, the mid-run action; returns
    the DAG to run. The emulator is reset afterwards too, so a revoked token never outlives its row."""

    def arm(row: Scenario) -> Any:
        if row.settings:
            reset.configure(**row.settings)
        outcomes = {"*": row.export_outcome} if row.export_outcome is not None else None
        if row.faults or outcomes:
            reset.add_faults(*row.faults, export_outcomes=outcomes)
        if row.connection:
            monkeypatch.setenv(
                f"AIRFLOW_CONN_{CONN_ID.upper()}",
                connection_json(reset.api_url, reset.token, **row.connection),
            )
        dag = load_dag()
        if row.sensor_timeout is not None:
            dag.get_task("wait_for_export").timeout = row.sensor_timeout
        if row.after is not None:
            task_id, action = row.after
            dag.get_task(task_id).on_success_callback = [_actions(reset)[action]]
        return dag

    yield arm
    reset.reset()


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_fault_scenario(
    row: Scenario,
    armed: Callable[[Scenario], Any],
    reset: EmulatorServer,
    storage: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = reset.token  # read before a row revokes it
    dag = armed(row)
    dag_run = dag.test(run_conf={"run_id": RUN_PASSING})
    logs = capsys.readouterr().out + caplog.text  # dag.test prints the task logs

    problems: list[str] = []
    states = task_states(dag_run)
    want = expected_states(row.failed_task, row.teardown)
    got = {task_id: states.get(task_id) for task_id in want}
    if got != want:
        problems.append(f"task states {got}, expected {want}")
    want_run = "success" if row.failed_task is None else "failed"
    if str(dag_run.state) != want_run:
        problems.append(f"DAG run ended {dag_run.state}, expected {want_run}")
    for said in row.messages:
        if not re.search(said, logs):
            problems.append(f"no task log says {said!r}")
    for task_id, tries in row.tries.items():
        if (actual := dag_run.get_task_instance(task_id).try_number) != tries:
            problems.append(f"{task_id} ran {actual} time(s), expected {tries}")
    rules = reset.state.faults.to_json()["rules"]
    if silent := [f"{r['method']} {r['path']}" for r in rules if not r["fired"]]:
        problems.append(f"faults that never fired (the row proves nothing): {silent}")
    if row.expire_leftovers:
        reset.advance_clock(HOUR)  # the token is gone, so only time can end the export

    after = aftermath(reset, storage)
    if after.live_exports:
        problems.append(f"{after.live_exports} live export(s) left: {after.exports}")
    if after.exports_created > row.max_exports:
        problems.append(f"{after.exports_created} exports created, at most {row.max_exports} allowed")
    if after.partial_files:
        problems.append(f"half-written files left: {after.partial_files}")
    if after.blob_auth_leaks:
        problems.append(f"{after.blob_auth_leaks} blob request(s) carried the API token")
    if token in logs:
        problems.append("the API token appears in the task logs")
    record_aftermath(
        "fault", row.id, after, passed=not problems, outcome=want_run, states=states, problems=problems
    )
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_the_issue() -> None:
    """Issue 9 item 1: at least 15 scenarios, among them storms on each endpoint, 5xx, resets, slow
    answers, bad archives, every bad export ending and a revoked token."""
    ids = [row.id for row in MATRIX]
    assert len(ids) == len(set(ids)) >= 15
    storms = {r["method"] + " " + r["path"] for row in MATRIX for r in row.faults if "429" in str(r)}
    assert {f"POST {POST}", f"GET {EXPORT}", f"GET {DOWNLOAD}", f"DELETE {EXPORT}", f"GET {RUN}"} <= storms
    for needed in ("5xx", "reset", "truncated", "slow", "stall", "archive", "errored", "canceled"):
        assert any(needed in i for i in ids), needed
    assert any("expired" in i for i in ids) and any("stuck" in i for i in ids)
    assert any(row.after and row.after[1] == "revoke-token" for row in MATRIX)


# -- the emulator capabilities the matrix relies on, over its admin HTTP API ------------------------------------


def test_revoking_a_token_over_admin_http(reset: EmulatorServer) -> None:
    """``POST /_emulator/tokens/revoke``: the token gets 401 from then on; a reset brings it back."""
    import requests

    token = reset.token  # read once: once revoked, ``reset.token`` names another user's token
    run = f"{reset.api_url}/api/v2/runs/{RUN_PASSING}"
    auth = {"Authorization": f"Bearer {token}"}
    revoke = f"{reset.api_url}/_emulator/tokens/revoke"
    assert requests.get(run, headers=auth, timeout=30).status_code == 200
    assert requests.post(revoke, json={"token": token}, timeout=30).json() == {"revoked": True}
    assert requests.get(run, headers=auth, timeout=30).status_code == 401
    assert requests.post(revoke, json={"token": token}, timeout=30).json() == {"revoked": False}
    assert requests.post(revoke, json={}, timeout=30).status_code == 422
    reset.reset()
    assert requests.get(run, headers=auth, timeout=30).status_code == 200


@pytest.mark.parametrize("kind", ["stall:x", "corrupt:", "corrupt:zip-bomb", "reset-mid", "429-retry"])
def test_unknown_fault_kinds_are_refused(reset: EmulatorServer, kind: str) -> None:
    import requests

    answer = requests.post(
        f"{reset.api_url}/_emulator/faults", json={"rules": [{"path": BLOB, "sequence": [kind]}]}, timeout=30
    )
    assert answer.status_code == 422 and "corrupt variants: garbage" in answer.text
