"""Worker-slot seconds of N policy checks with the deferrable sensor vs the same sensor in poke mode.

Both modes run ``tfc_policy_check`` for N Terraform runs (triggered together through the REST API)
through the Celery topology of ``tests/e2e/topology.py``: PostgreSQL, Redis, api-server, scheduler,
dag-processor, triggerer and two Celery workers with a fixed number of slots in total, the emulator
standing in for Terraform Cloud with exports that take ``--export-delay`` seconds (its rate limit
raised, so 429 back-offs do not blur the figures). Each mode gets a fresh topology (database, broker
keys, workers), so neither inherits the other's state.

The mode is set by a cluster policy (``task_policy`` in ``airflow_local_settings.py``, the standard
way a deployment overrides task arguments without editing DAG files): ``wait_for_export.deferrable``
is True (the DAG's default) or False, where the sensor pokes in its worker slot like any sensor in
``poke`` mode. The same policy sets ``poke_interval`` in both modes when ``--poke-interval`` is given
(it is also the trigger's poll interval); otherwise the DAG's value stays.

Measured:

- **wall**: first DAG run queued -> last DAG run ended (``dag_run.queued_at``/``end_date``).
- **worker-slot seconds**: the number of task instances in state ``running``, sampled every 0.2 s from
  the metadata DB and integrated over time. A ``running`` task instance is a task process holding a
  Celery slot; a ``deferred`` one holds none. Sampling, because the rows do not record it exactly: a
  task that deferred keeps its first ``start_date``, so ``end_date - start_date`` would count the
  deferred wait as slot time, and Airflow 3 writes no history row for a deferral. The few hundred ms a
  slot spends starting a task process before it reports ``running`` are not counted, in either mode.
- **sensor slot seconds**: the same, for ``wait_for_export`` alone.
- **sensors deferred**: DAG runs whose sensor deferred, from Airflow's audit log (``log`` table, event
  ``deferred``). A sensor that finds its export already finished at its first check does not defer, so
  exports must take longer than a sensor queues for a slot after its export was created. With N runs
  triggered at once, every ``create_export`` goes first (highest priority weight), so on a busy
  two-core machine that queueing reaches tens of seconds: hence the 60 s default. It grows with N:
  for ``--runs 50`` give ``--export-delay 180`` (the bench notes how many sensors did not defer).

The machine's other load shifts the figures from run to run (each mode runs at a different time); the
slot-second ratio is the steadier figure, wall time the noisier one.

The run checks itself: every sensor must succeed, poke mode must never defer, deferrable mode must.

    .venv/bin/python bench/bench_worker_slots.py [--runs 20] [--slots 4] [--export-delay 60] [--poke-interval S]

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (as ``make test`` does); without them it
says so and exits 0, or 1 under ``CI=true``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.topology import (  # noqa: E402  (the repository root goes on sys.path first)
    CHECK_DAG_ID,
    CeleryTopology,
    seed_check_runs,
    services_unavailable,
)

SENSOR = "wait_for_export"
SAMPLE_EVERY = 0.2
POLICY = """\
\"\"\"bench_worker_slots: the sensor mode under test, set on every parse (dag-processor and workers).\"\"\"


def task_policy(task):
    if task.task_id == {sensor!r}:
        task.deferrable = {deferrable!r}
        task.mode = "poke"
        if {poke_interval!r} is not None:
            task.poke_interval = {poke_interval!r}
"""


@dataclass
class Figures:
    mode: str
    wall: float
    slot_seconds: float
    sensor_slot_seconds: float
    peak_running: int
    sensors_deferred: int
    succeeded: int
    failed: int
    sensors_ok: int


class SlotSampler(threading.Thread):
    """Integrates the number of ``running`` task instances (all, and the sensor's) over time."""

    def __init__(self, topo: CeleryTopology) -> None:
        super().__init__(name="slot-sampler", daemon=True)
        self.topo = topo
        self.stop = threading.Event()
        self.slot_seconds = 0.0
        self.sensor_slot_seconds = 0.0
        self.peak_running = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = self.topo.connect()
            try:
                self._sample(conn)
            finally:
                conn.close()
        except BaseException as exc:  # reported by the main thread
            self.error = exc

    def _sample(self, conn: Any) -> None:
        sql = (
            "SELECT state, count(*), count(*) FILTER (WHERE task_id = %s) FROM task_instance "
            "WHERE dag_id = %s AND state = 'running' GROUP BY state"
        )
        previous: tuple[float, int, int] | None = None
        while not self.stop.is_set():
            with conn.cursor() as cur:
                cur.execute(sql, (SENSOR, CHECK_DAG_ID))
                counts = {state: (total, sensor) for state, total, sensor in cur.fetchall()}
            now = time.monotonic()
            running, sensor_running = counts.get("running", (0, 0))
            if previous is not None:  # left Riemann sum: the count held since the previous sample
                elapsed = now - previous[0]
                self.slot_seconds += previous[1] * elapsed
                self.sensor_slot_seconds += previous[2] * elapsed
            previous = (now, running, sensor_running)
            self.peak_running = max(self.peak_running, running)
            self.stop.wait(SAMPLE_EVERY)


def run_mode(args: argparse.Namespace, *, deferrable: bool) -> Figures:
    from tfc_sentinel.demo import connection_json
    from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer

    mode = "deferrable" if deferrable else "poke"
    policy = POLICY.format(sensor=SENSOR, deferrable=deferrable, poke_interval=args.poke_interval)
    slots = (args.slots - args.slots // 2, args.slots // 2) if args.slots > 1 else (1,)
    config = EmulatorConfig(export_delay=args.export_delay, rate_limit_per_second=1000.0)
    with EmulatorServer(config) as emulator:
        run_ids = seed_check_runs(emulator.api_url, args.runs)
        print(f"[{mode}] starting the topology ...", flush=True)
        with CeleryTopology(
            tfc_connection=connection_json(emulator), worker_slots=slots, local_settings=policy
        ) as topo:
            dag_run_ids = [f"tfc-{run_id}" for run_id in run_ids]
            sampler = SlotSampler(topo)
            sampler.start()
            print(f"[{mode}] triggering {args.runs} DAG runs ...", flush=True)
            for run_id, dag_run_id in zip(run_ids, dag_run_ids, strict=True):
                response = topo.trigger(CHECK_DAG_ID, dag_run_id, {"run_id": run_id})
                if response.status_code != 200:
                    raise SystemExit(f"triggering {dag_run_id}: {response.status_code} {response.text[:300]}")
            try:
                states = topo.wait_for_runs(CHECK_DAG_ID, dag_run_ids, timeout=120 + 30 * args.runs)
            finally:
                sampler.stop.set()
                sampler.join(10)
            if sampler.error is not None:
                raise SystemExit(f"sampling task instances failed: {sampler.error!r}")
            ((wall,),) = topo.query(
                "SELECT extract(epoch FROM max(end_date) - min(queued_at)) FROM dag_run WHERE dag_id = %s",
                (CHECK_DAG_ID,),
            )
            # The audit log records each deferral: exact, unlike a sample.
            ((sensors_deferred,),) = topo.query(
                "SELECT count(DISTINCT run_id) FROM log WHERE dag_id = %s AND task_id = %s AND event = 'deferred'",
                (CHECK_DAG_ID, SENSOR),
            )
            ((sensors_ok,),) = topo.query(
                "SELECT count(*) FROM task_instance WHERE dag_id = %s AND task_id = %s AND state = 'success'",
                (CHECK_DAG_ID, SENSOR),
            )
            live = emulator.snapshot()["live_exports"]
            if live:
                raise SystemExit(f"[{mode}] {live} exports were left alive")
    return Figures(
        mode=mode,
        wall=float(wall),
        slot_seconds=sampler.slot_seconds,
        sensor_slot_seconds=sampler.sensor_slot_seconds,
        peak_running=sampler.peak_running,
        sensors_deferred=int(sensors_deferred),
        succeeded=sum(state == "success" for state in states.values()),
        failed=sum(state == "failed" for state in states.values()),
        sensors_ok=int(sensors_ok),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="Terraform runs per mode (default 20)")
    parser.add_argument("--slots", type=int, default=4, help="worker slots in total, over two workers")
    parser.add_argument(
        "--export-delay",
        type=float,
        default=60.0,
        help="seconds an export takes (default 60: well beyond the time a sensor queues for a slot)",
    )
    parser.add_argument(
        "--poke-interval", type=float, default=None, help="sensor poke/poll interval (default: the DAG's)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.slots < 1:
        parser.error("--runs and --slots must be at least 1")
    problem = services_unavailable()
    if problem:
        print(f"bench_worker_slots: not run: {problem}")
        return 1 if os.environ.get("CI") == "true" else 0

    results = [run_mode(args, deferrable=True), run_mode(args, deferrable=False)]
    interval = f"{args.poke_interval:g} s" if args.poke_interval is not None else "the DAG's"
    print()
    print(
        f"{args.runs} policy checks per mode, {args.slots} worker slots over "
        f"{min(args.slots, 2)} Celery workers, exports take {args.export_delay:g} s, poke interval {interval}"
    )
    header = (
        "mode",
        "wall s",
        "slot s",
        "sensor slot s",
        "peak running",
        "sensors deferred",
        "runs ok/failed",
    )
    print("  ".join(f"{h:>16}" for h in header))
    for r in results:
        row = (
            r.mode,
            f"{r.wall:.1f}",
            f"{r.slot_seconds:.1f}",
            f"{r.sensor_slot_seconds:.1f}",
            str(r.peak_running),
            f"{r.sensors_deferred}/{args.runs}",
            f"{r.succeeded}/{r.failed}",
        )
        print("  ".join(f"{c:>16}" for c in row))
    deferred, poke = results
    print(
        f"poke / deferrable: wall time x{poke.wall / deferred.wall:.2f}, "
        f"worker-slot seconds x{poke.slot_seconds / deferred.slot_seconds:.2f}, "
        f"sensor slot seconds x{poke.sensor_slot_seconds / max(deferred.sensor_slot_seconds, 1e-9):.1f}"
    )
    problems = [
        f"{r.mode}: {args.runs - r.sensors_ok} sensors did not succeed"
        for r in results
        if r.sensors_ok != args.runs
    ]
    if deferred.sensors_deferred < args.runs:
        print(
            f"note: {args.runs - deferred.sensors_deferred} sensors found their export finished at the first "
            "check and did not defer; a longer --export-delay makes every sensor wait",
            file=sys.stderr,
        )
    if deferred.sensors_deferred == 0:
        problems.append("deferrable: no sensor deferred (exports finished before the sensors started)")
    if poke.sensors_deferred != 0:
        problems.append("poke: a sensor deferred (the cluster policy did not apply)")
    for problem in problems:
        print(f"bench_worker_slots: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
