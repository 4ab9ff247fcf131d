"""``tfc_policy_sweep``: finding runs against the emulator, pagination, pacing, watermarks, and one
``tfc_policy_check`` DAG run per Terraform run, end to end with ``dag.test()`` on the real metadata DB.

The sweep triggers DAG runs; ``dag.test()`` does not run them (no scheduler), so these tests look at
the DAG runs created (ID ``tfc-<run-id>``, conf, state ``queued``) and delete them afterwards.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from tests.airflow.conftest import DAGS_FOLDER, ORG
from tfc_sentinel.airflow.sweep import (
    CHECK_DAG_ID,
    CONFIG_VARIABLE,
    WATERMARK_VARIABLE,
    RequestPacer,
    RunSweeper,
    SweepScope,
    WorkspaceState,
    check_dag_run_id,
    format_time,
    select_workspaces,
)
from tfc_sentinel.emulator import EmulatorServer

DAG_FILE: Final = DAGS_FOLDER / "tfc_policy_sweep.py"
FIXTURE_PLAN: Final = (
    Path(__file__).resolve().parents[2]
    / "include/tfc_sentinel/emulator/fixtures/plans/aws-network-initial.json"
)
RUN_LISTS: Final = "GET /api/v2/workspaces/{workspace_id}/runs"
# net-prod's fixture runs (include/tfc_sentinel/emulator/fixtures/seed.json) and what the sweep makes of them.
NET_PROD_EXPORTABLE: Final = (
    "run-coldsirKVxipUP0Z",  # applied
    "run-FC2APG9zdPRVYoXW",  # discarded after planning
    "run-KNxZ7SQYPKBrP117",  # policy_checked
    "run-3YMjH7RcU18bXbD9",  # planned
)
NET_PROD_PLAN_ERRORED: Final = "run-XEKxR56aBsKoA3Q3"
NET_PROD_STILL_PLANNING: Final = ("run-HOtaVxCrDqXMyFK3", "run-syTRIpUYpadOKNNc")
BULK_START: Final = datetime(2025, 3, 1, tzinfo=UTC)


# -- helpers ------------------------------------------------------------------------------------------------


def seed_bulk_workspace(
    emulator: EmulatorServer, count: int, start: int = 0, name: str = "bulk"
) -> list[str]:
    """``count`` runs with finished, exportable plans in workspace ``name`` (made on first use), one a
    minute from ``BULK_START + start`` minutes; returns their IDs oldest first."""
    plan_json = json.loads(FIXTURE_PLAN.read_text())
    store = emulator.state.store
    workspace = next((ws for ws in store.workspaces.values() if ws.name == name), None)
    if workspace is None:
        created = emulator._on_loop(
            lambda: store.load({"workspaces": [{"organization": ORG, "name": name, "tags": ["bulk"]}]})
        )
        workspace_id = created["workspaces"][0]
    else:
        workspace_id = workspace.id
    runs = [
        {
            "workspace": workspace_id,
            "status": "planned",
            "created_at": format_time(BULK_START + timedelta(minutes=start + i)),
            "message": f"bulk run {start + i}",
            "plan": {"status": "finished", "json": copy.deepcopy(plan_json) if i == 0 else plan_json},
        }
        for i in range(count)
    ]
    return emulator._on_loop(lambda: store.load({"runs": runs}))["runs"]


def bulk_time(index: int) -> str:
    return format_time(BULK_START + timedelta(minutes=index))


def check_runs() -> dict[str, dict[str, Any]]:
    """``tfc_policy_check`` DAG runs made by the sweep: run ID -> conf, state, run type."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(DagRun).filter(DagRun.dag_id == CHECK_DAG_ID, DagRun.run_id.like("tfc-%")).all()
        return {
            row.run_id: {"conf": row.conf, "state": str(row.state), "run_type": str(row.run_type)}
            for row in rows
        }


def trigger_check_dag_run(run_id: str) -> None:
    """What a webhook or a person would do: a ``tfc-<run-id>`` DAG run outside the sweep."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    trigger_dag(
        CHECK_DAG_ID,
        run_id=check_dag_run_id(run_id),
        conf={"run_id": run_id},
        triggered_by=DagRunTriggeredByType.TEST,
    )


def get_variable(key: str) -> Any:
    from airflow.models import Variable

    return Variable.get(key, default_var=None, deserialize_json=True)


def set_variable(key: str, value: Any) -> None:
    from airflow.models import Variable

    Variable.set(key, value, serialize_json=True)


@pytest.fixture(scope="module")
def sweep_dag(airflow_db: Path) -> Any:
    spec = importlib.util.spec_from_file_location("tfc_policy_sweep_under_test", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    for task in dag.tasks:
        task.retries = 0
    return dag


@pytest.fixture
def clean_airflow(airflow_db: Path) -> Iterator[None]:
    """No sweep Variables and no sweep-made DAG runs before and after each test."""

    def clean() -> None:
        from airflow.models import DagRun, Variable
        from airflow.utils.session import create_session

        for key in (WATERMARK_VARIABLE, CONFIG_VARIABLE):
            Variable.delete(key)
        with create_session() as session:
            session.query(DagRun).filter(DagRun.dag_id == CHECK_DAG_ID, DagRun.run_id.like("tfc-%")).delete(
                synchronize_session=False
            )

    clean()
    yield
    clean()


@pytest.fixture
def sweep(sweep_dag: Any, tfc: EmulatorServer, clean_airflow: None) -> Callable[..., Any]:
    """Run the sweep DAG once with these Params (all given every time: see test_dag.DEFAULT_CONF)."""

    def run(**params: Any) -> Any:
        conf = {"organization": None, "workspaces": None, "tags": None, "since": None, **params}
        return sweep_dag.test(run_conf=conf)

    return run


def states(dag_run: Any) -> dict[str, str]:
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): ti.state
        for ti in dag_run.get_task_instances()
    }


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id, key=key)


def run_lists(emulator: EmulatorServer) -> int:
    """Run-list requests the emulator answered with 200 (a retried timeout on a loaded machine, or a
    429, shows up in the log too, but is not a request the sweep chose to make)."""
    entries = emulator._on_loop(emulator.state.recorder.entries)
    template = RUN_LISTS.split(" ", 1)[1]
    return sum(1 for e in entries if e.get("template") == template and e.get("status") == 200)


# -- the DAG end to end -------------------------------------------------------------------------------------


def test_sweep_triggers_each_exportable_run_once(
    sweep: Callable[..., Any], sweep_dag: Any, tfc: EmulatorServer
) -> None:
    # Run 3YMj already has its check (a webhook got there first); the sweep must leave it alone.
    find = sweep_dag.get_task("find_runs")
    find._pre_execute_hook = lambda context: trigger_check_dag_run("run-3YMjH7RcU18bXbD9")
    try:
        dag_run = sweep(workspaces=["net-prod"], since="2024-01-01T00:00:00Z")
    finally:
        find._pre_execute_hook = None
    assert dag_run.state == "success", states(dag_run)
    new = [run for run in NET_PROD_EXPORTABLE if run != "run-3YMjH7RcU18bXbD9"]
    assert xcom(dag_run, "find_runs") == sorted(new, key=NET_PROD_EXPORTABLE.index)  # oldest first
    summary = xcom(dag_run, "find_runs", "sweep_summary")
    assert summary["skipped"]["run-3YMjH7RcU18bXbD9"] == "already checked"
    assert "finished" in summary["skipped"][NET_PROD_PLAN_ERRORED]  # plan errored: never exportable
    assert summary["pending"] == sorted(NET_PROD_STILL_PLANNING)
    made = check_runs()
    assert set(made) == {check_dag_run_id(run) for run in NET_PROD_EXPORTABLE}
    for run in new:
        assert made[check_dag_run_id(run)] == {
            "conf": {"run_id": run},
            "state": "queued",
            "run_type": "operator_triggered",
        }
    mapped = {k: v for k, v in states(dag_run).items() if k.startswith("trigger_check[")}
    assert list(mapped.values()) == ["success"] * 3

    # Again, same period: everything is checked already; no DAG run is made twice.
    dag_run = sweep(workspaces=["net-prod"], since="2024-01-01T00:00:00Z")
    assert dag_run.state == "success", states(dag_run)
    assert xcom(dag_run, "find_runs") == []
    assert states(dag_run)["trigger_check"] == "skipped"  # mapped over nothing
    assert states(dag_run)["save_watermark"] == "success"
    assert set(check_runs()) == {check_dag_run_id(run) for run in NET_PROD_EXPORTABLE}


def test_a_run_checked_between_finding_and_triggering_is_skipped(
    sweep: Callable[..., Any], sweep_dag: Any, tfc: EmulatorServer
) -> None:
    """The race: the run gets its DAG run after find_runs looked. The trigger's 409 becomes a skip."""
    find = sweep_dag.get_task("find_runs")
    find._post_execute_hook = lambda context, result: trigger_check_dag_run(result[0])
    try:
        dag_run = sweep(workspaces=["net-prod"], since="2024-05-02T00:00:00Z")
    finally:
        find._post_execute_hook = None
    assert dag_run.state == "success", states(dag_run)
    found = xcom(dag_run, "find_runs")
    assert found == ["run-KNxZ7SQYPKBrP117", "run-3YMjH7RcU18bXbD9"]
    assert states(dag_run)["trigger_check[0]"] == "skipped"
    assert states(dag_run)["trigger_check[1]"] == "success"
    assert states(dag_run)["save_watermark"] == "success"
    made = check_runs()
    assert set(made) == {check_dag_run_id(run) for run in found}
    assert made[check_dag_run_id(found[0])]["run_type"] == "manual"  # the outside one, untouched


def test_watermark_limits_listing_and_moves_forward(sweep: Callable[..., Any], tfc: EmulatorServer) -> None:
    runs = seed_bulk_workspace(tfc, 230)
    workspace_id = next(ws.id for ws in tfc.state.store.workspaces.values() if ws.name == "bulk")
    # A previous successful sweep's watermark: runs created from run 225 on are new.
    set_variable(WATERMARK_VARIABLE, {"workspaces": {workspace_id: {"since": bulk_time(225), "pending": []}}})

    dag_run = sweep(workspaces=["bulk"])
    assert dag_run.state == "success", states(dag_run)
    assert xcom(dag_run, "find_runs") == runs[225:]
    summary = xcom(dag_run, "find_runs", "sweep_summary")
    assert summary["run_list_requests"] == 1  # newest first: page 1 already reaches the watermark
    assert run_lists(tfc) == 1
    saved = get_variable(WATERMARK_VARIABLE)["workspaces"][workspace_id]
    assert saved == {"since": bulk_time(229), "pending": []}

    # Three new runs, one still planning; the next sweep finds the two, remembers the third.
    newer = seed_bulk_workspace(tfc, 3, start=230)
    planning = tfc.state.store.runs[newer[2]]
    tfc._on_loop(lambda: setattr(tfc.state.store.plans[planning.plan_id], "status", "running"))
    tfc._on_loop(lambda: setattr(planning, "status", "planning"))
    dag_run = sweep(workspaces=["bulk"])
    assert xcom(dag_run, "find_runs") == newer[:2]
    saved = get_variable(WATERMARK_VARIABLE)["workspaces"][workspace_id]
    assert saved == {"since": bulk_time(232), "pending": [newer[2]]}

    # Its plan finishes: found through the pending list, though it is at the watermark already.
    tfc._on_loop(lambda: setattr(tfc.state.store.plans[planning.plan_id], "status", "finished"))
    tfc._on_loop(lambda: setattr(planning, "status", "planned"))
    dag_run = sweep(workspaces=["bulk"])
    assert xcom(dag_run, "find_runs") == [newer[2]]
    assert get_variable(WATERMARK_VARIABLE)["workspaces"][workspace_id] == {
        "since": bulk_time(232),
        "pending": [],
    }
    assert set(check_runs()) == {check_dag_run_id(run) for run in runs[225:] + newer}


def test_a_failed_trigger_keeps_the_old_watermark(
    sweep: Callable[..., Any], sweep_dag: Any, tfc: EmulatorServer
) -> None:
    trigger = sweep_dag.get_task("trigger_check")
    original = trigger.partial_kwargs["check_dag_id"]
    trigger.partial_kwargs["check_dag_id"] = "no_such_dag"
    try:
        dag_run = sweep(workspaces=["net-prod"], since="2024-05-02T00:00:00Z")
    finally:
        trigger.partial_kwargs["check_dag_id"] = original
    assert dag_run.state == "failed"
    assert states(dag_run)["save_watermark"] == "upstream_failed"
    assert get_variable(WATERMARK_VARIABLE) is None
    assert check_runs() == {}


def test_scope_from_the_variable_and_tags(sweep: Callable[..., Any], tfc: EmulatorServer) -> None:
    set_variable(CONFIG_VARIABLE, {"organization": ORG, "tags": ["network", "sandbox"]})
    dag_run = sweep(since="2024-04-29T00:00:00Z")
    summary = xcom(dag_run, "find_runs", "sweep_summary")
    assert summary["workspaces"] == ["net-sandbox"]
    assert summary["scope"] == f"workspaces of {ORG} tagged network, sandbox"
    assert xcom(dag_run, "find_runs") == ["run-wW7Tcc6xBzcL0S7g"], (summary["skipped"], summary["pending"])
    # A Param wins over the Variable.
    dag_run = sweep(workspaces=["storage-prod"], since="2024-05-06T00:00:00Z")
    assert xcom(dag_run, "find_runs", "sweep_summary")["workspaces"] == ["storage-prod"]
    assert xcom(dag_run, "find_runs") == ["run-HYRwMpRmODADM8Yk"]


def test_bad_since_fails_with_an_example(sweep: Callable[..., Any], tfc: EmulatorServer) -> None:
    dag_run = sweep(since="yesterday")
    assert states(dag_run)["find_runs"] == "failed"
    assert dag_run.get_task_instance("find_runs").try_number == 1


# -- the sweeper without Airflow: pagination and pacing --------------------------------------------------


@pytest.fixture
def client(make_client: Callable[[], Any]) -> Any:
    return make_client()


def test_pagination_reads_every_page_of_100(tfc: EmulatorServer, client: Any) -> None:
    runs = seed_bulk_workspace(tfc, 230)
    [bulk] = select_workspaces(client, SweepScope(ORG, workspaces=("bulk",)))
    sweeper = RunSweeper(client, already_checked=lambda run_id: False, max_checks=1000)
    result = sweeper.sweep([bulk], {}, default_since=BULK_START)
    assert result.run_list_requests == 3 and run_lists(tfc) == 3  # 100 + 100 + 30
    assert result.run_ids == runs
    assert result.state[bulk.id] == WorkspaceState(since=bulk_time(229), pending=[])


def test_runs_over_the_per_sweep_cap_wait_for_the_next_sweep(tfc: EmulatorServer, client: Any) -> None:
    runs = seed_bulk_workspace(tfc, 12)
    [bulk] = select_workspaces(client, SweepScope(ORG, workspaces=("bulk",)))
    checked: set[str] = set()
    sweeper = RunSweeper(client, already_checked=checked.__contains__, max_checks=5)
    first = sweeper.sweep([bulk], {}, default_since=BULK_START)
    assert first.run_ids == runs[:5]  # oldest first
    assert first.state[bulk.id].pending == sorted(runs[5:])
    checked.update(first.run_ids)
    second = RunSweeper(client, already_checked=checked.__contains__, max_checks=5).sweep(
        [bulk], first.state, default_since=BULK_START
    )
    assert second.run_ids == runs[5:10]


def test_run_lists_are_paced_to_the_limit(tfc: EmulatorServer, client: Any) -> None:
    seed_bulk_workspace(tfc, 25)
    [bulk] = select_workspaces(client, SweepScope(ORG, workspaces=("bulk",)))
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(2, 60.0, clock=lambda: now[0], sleep=sleep)
    sweeper = RunSweeper(
        client, already_checked=lambda run_id: False, pacer=pacer, page_size=10, max_checks=100
    )
    result = sweeper.sweep([bulk], {}, default_since=BULK_START)
    assert result.run_list_requests == 3
    assert slept == [60.0]  # the third request waited for the first to leave the window
    assert result.paced_seconds == 60.0


def test_request_pacer_is_a_sliding_window() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(30, 60.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        pacer.wait()
        now[0] += 1.0  # 30 requests over 30 s: within the limit
    assert slept == []
    pacer.wait()  # the 31st at t=30 waits until the 1st (t=0) is a minute old
    assert slept == [30.0]
    with pytest.raises(ValueError):
        RequestPacer(0)


def test_scope_resolution_order() -> None:
    scope = SweepScope.resolve(
        {"organization": None, "workspaces": "a, b", "tags": None},
        {"organization": "from-variable", "tags": ["x"]},
        {"organization": "from-connection"},
    )
    assert scope == SweepScope("from-variable", ("a", "b"), ("x",))
    assert SweepScope.resolve({}, None, {"organization": "org"}).describe() == "every workspace of org"
