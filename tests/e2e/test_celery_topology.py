"""End to end: ``tfc_policy_check`` for 20 Terraform runs through Airflow's Celery topology.

PostgreSQL (a fresh database), Redis (the broker), api-server, scheduler, dag-processor, triggerer and two
Celery workers run as real processes (``topology.CeleryTopology``); the emulator stands in for Terraform
Cloud in this process. The DAG runs are triggered through the REST API with a JWT, as a notification
receiver or CI job would.

How "the triggerer handled the waits" is made observable without timing: the emulator holds every
export ``queued`` (a long export delay on its own clock) until all 20 sensors are ``deferred`` at once,
each with its trigger assigned to the running TriggererJob; only then does the test move the emulator's
clock past the delay. Twenty sensors waiting at once on six worker slots cannot be holding slots.

Expected verdicts are not written down: before Airflow starts, the test exports each run's bundle from
the same emulator and evaluates the same policy set with ``apply_policy_set`` in this process.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from tests.e2e.topology import (
    CHECK_DAG_ID,
    REPO,
    CeleryTopology,
    TopologyError,
    seed_check_runs,
    services_unavailable,
)
from tests.services import missing
from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RUN_COUNT: Final = 20
WORKER_SLOTS: Final = (3, 3)  # small, so tasks spread over both workers; far fewer than 20 sensors
POLICY_SET: Final = REPO / "include" / "policies" / "aws-baseline"
FAIL_ON: Final = "soft-mandatory"
BLOCKING_LEVELS: Final = frozenset({"soft-mandatory", "hard-mandatory"})  # what fail_on=soft-mandatory blocks
# Emulator seconds an export stays queued: far longer than the test takes to get every sensor deferred.
EXPORT_HOLD: Final = 3600.0
# Readiness waits, generous: other test runs share the machine's two cores. Correctness checks do not wait.
DEFER_TIMEOUT: Final = 300.0
FINISH_TIMEOUT: Final = 400.0
SENSOR: Final = "wait_for_export"


@dataclass(frozen=True)
class Expected:
    outcome: str
    policies: dict[str, str]
    dag_run_state: str


@pytest.fixture(scope="module")
def services() -> None:
    problem = services_unavailable()
    if problem:
        missing(problem)


@pytest.fixture
def tfc_emulator() -> Iterator[EmulatorServer]:
    """An emulator of its own (the session one's export delay is fixed at 0.2 s); exports finish at once
    until the test holds them."""
    with EmulatorServer(EmulatorConfig(export_delay=0.0)) as server:
        yield server


def expected_results(emulator: EmulatorServer, run_ids: list[str]) -> dict[str, Expected]:
    """Each run's verdict from its bundle, exported over HTTP and evaluated in this process."""
    from tfc_sentinel.policy.runner import apply_policy_set
    from tfc_sentinel.tfc import TfcClient, TfcConfig
    from tfc_sentinel.tfc.lifecycle import export_run_bundle

    expected = {}
    with (
        tempfile.TemporaryDirectory(prefix="tfcs-e2e-expected-") as tmp,
        TfcClient(TfcConfig(host=emulator.api_url, token=emulator.token)) as client,
    ):
        for run_id in run_ids:
            export = export_run_bundle(
                client, run_id, Path(tmp, f"{run_id}.tar.gz"), Path(tmp, run_id), poll_interval=0.05
            )
            result = apply_policy_set(POLICY_SET, export.bundle_dir)
            assert result.error is None, f"{run_id}: {result.error}"
            blocking = [
                p for p in result.policies if p.failed and p.enforcement_level.value in BLOCKING_LEVELS
            ]
            expected[run_id] = Expected(
                outcome=result.outcome.value,
                policies={p.name: p.outcome.value for p in result.policies},
                dag_run_state="failed" if blocking else "success",
            )
    return expected


def wait_until_all_sensors_deferred(topo: CeleryTopology, dag_run_ids: list[str]) -> None:
    """Block until every run's sensor is ``deferred`` with its trigger held by a TriggererJob.

    Fails at once if a sensor ends any other way first (exports cannot finish while held, so that would
    be a bug, not slowness).
    """
    deadline = time.monotonic() + DEFER_TIMEOUT
    while True:
        rows = topo.query(
            "SELECT ti.run_id, ti.state, job.job_type FROM task_instance ti "
            "LEFT JOIN trigger ON trigger.id = ti.trigger_id "
            "LEFT JOIN job ON job.id = trigger.triggerer_id "
            "WHERE ti.dag_id = %s AND ti.task_id = %s",
            (CHECK_DAG_ID, SENSOR),
        )
        ended = {run: state for run, state, _ in rows if state in ("success", "failed", "upstream_failed")}
        assert not ended, f"sensors ended while their exports were held: {ended}"
        held = {run for run, state, job_type in rows if state == "deferred" and job_type == "TriggererJob"}
        if held == set(dag_run_ids):
            return
        topo.check_alive()
        if time.monotonic() > deadline:
            states = dict(topo.run_states(CHECK_DAG_ID, dag_run_ids))
            raise TopologyError(
                f"only {len(held)}/{len(dag_run_ids)} sensors deferred to the triggerer within "
                f"{DEFER_TIMEOUT:g} s; sensor states {[(r, s) for r, s, _ in rows]}; DAG runs {states}"
            )
        time.sleep(0.5)


def test_policy_checks_through_the_celery_topology(services: None, tfc_emulator: EmulatorServer) -> None:
    emulator = tfc_emulator
    run_ids = seed_check_runs(emulator.api_url, RUN_COUNT)
    expected = expected_results(emulator, run_ids)
    # The fixture plans must give both verdicts, or a pipeline answering the same for all would pass.
    assert {e.dag_run_state for e in expected.values()} == {"success", "failed"}
    emulator.configure(export_delay=EXPORT_HOLD)

    from tfc_sentinel.demo import connection_json

    started = time.monotonic()
    with CeleryTopology(tfc_connection=connection_json(emulator), worker_slots=WORKER_SLOTS) as topo:
        print(f"topology up after {time.monotonic() - started:.0f} s")
        dag_run_ids = {run_id: f"tfc-{run_id}" for run_id in run_ids}
        for run_id, dag_run_id in dag_run_ids.items():
            conf = {"run_id": run_id, "policy_set": str(POLICY_SET), "fail_on": FAIL_ON}
            response = topo.trigger(CHECK_DAG_ID, dag_run_id, conf)
            assert response.status_code == 200, response.text
            assert response.json()["state"] == "queued"
        # A repeated notification for the same Terraform run: one DAG run per Terraform run.
        first = run_ids[0]
        duplicate = topo.trigger(CHECK_DAG_ID, dag_run_ids[first], {"run_id": first})
        assert duplicate.status_code == 409, duplicate.text

        wait_until_all_sensors_deferred(topo, list(dag_run_ids.values()))
        print(f"all {RUN_COUNT} sensors deferred after {time.monotonic() - started:.0f} s")
        assert emulator.snapshot()["live_exports"] == RUN_COUNT
        emulator.advance_clock(EXPORT_HOLD)  # every held export finishes now
        states = topo.wait_for_runs(CHECK_DAG_ID, list(dag_run_ids.values()), timeout=FINISH_TIMEOUT)
        print(f"all DAG runs finished after {time.monotonic() - started:.0f} s")

        for run_id, dag_run_id in dag_run_ids.items():
            want = expected[run_id]
            assert states[dag_run_id] == want.dag_run_state, (run_id, states[dag_run_id], want)
            summary = topo.xcom(CHECK_DAG_ID, dag_run_id, "run_policies", "policy_summary")
            assert summary is not None, f"{dag_run_id}: no policy_summary"
            assert summary["outcome"] == want.outcome, (run_id, summary["outcome"], want)
            assert {p["name"]: p["outcome"] for p in summary["policies"]} == want.policies, run_id
            assert summary["fail_on"] == FAIL_ON

        # The refused duplicate made no DAG run.
        assert topo.query("SELECT count(*) FROM dag_run WHERE dag_id = %s", (CHECK_DAG_ID,)) == [(RUN_COUNT,)]
        task_instances = topo.task_instances(CHECK_DAG_ID)
        sensors = {ti["run_id"]: ti["state"] for ti in task_instances if ti["task_id"] == SENSOR}
        assert sensors == dict.fromkeys(dag_run_ids.values(), "success")
        hosts: dict[str, set[str]] = defaultdict(set)
        for ti in task_instances:
            if ti["hostname"]:
                hosts[ti["run_id"]].add(ti["hostname"])
        assert set().union(*hosts.values()) == {"w1", "w2"}
        assert any(len(names) > 1 for names in hosts.values()), dict(hosts)

        assert emulator.snapshot()["live_exports"] == 0, emulator.snapshot()["exports"]
