"""What parsing each DAG file in ``dags/`` costs on top of parsing an empty DAG that imports ``airflow.sdk``.

Every measurement runs in a fresh interpreter (``python -c``) that parses one file with
``runpy.run_path``, as a DAG processor or worker does the first time it sees it, so the modules a DAG
file drags in are counted. Two figures per file:

- **total**: from before anything of Airflow is imported until the file has run;
- **after airflow.sdk**: the same interpreter first imports ``airflow.sdk`` (untimed, the part every
  DAG file shares), then times ``run_path``. The difference to the empty DAG is what the file adds,
  measured without the 3-4 s import of Airflow itself, whose run-to-run noise on a busy machine is
  larger than the budget.

Files are measured in interleaved rounds (a burst of load hits all of them alike) and the best round of
each is compared: the minimum is the least noisy estimate of a cost that only ever gets added to. CPU
time of the process (``time.process_time``) is what the budget is checked on; wall time is shown too.

Budget: at most 100 ms more than the empty DAG per file. Exit code 1 if a file is over it.

    .venv/bin/python bench/bench_dag_parse.py [rounds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MS = 100.0
EMPTY_DAG = """\
from airflow.sdk import DAG

with DAG(dag_id="empty", schedule=None):
    pass
"""
TIMER = (
    "import runpy, sys, time\n"
    "cpu0, wall0 = time.process_time(), time.perf_counter()\n"
    "import airflow.sdk\n"
    "cpu1, wall1 = time.process_time(), time.perf_counter()\n"
    "runpy.run_path(sys.argv[1])\n"
    "cpu2, wall2 = time.process_time(), time.perf_counter()\n"
    "print(cpu2 - cpu0, wall2 - wall0, cpu2 - cpu1, wall2 - wall1)\n"
)
FIGURES = ("total CPU", "total wall", "CPU after sdk", "wall after sdk")


def parse_seconds(path: Path, env: dict[str, str]) -> tuple[float, ...]:
    """The four FIGURES, in seconds, for one parse of ``path`` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER, str(path)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return tuple(float(value) for value in out.strip().splitlines()[-1].split())


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory(prefix="tfc-sentinel-bench-") as tmp:
        empty = Path(tmp, "empty_dag.py")
        empty.write_text(EMPTY_DAG)
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(Path(tmp, "airflow")),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        }
        files = [empty, *sorted((REPO / "dags").glob("*.py"))]
        for path in files:  # warm the OS file cache and write __pycache__ before timing
            parse_seconds(path, env)
        samples: dict[Path, list[tuple[float, ...]]] = {path: [] for path in files}
        for _ in range(rounds):
            for path in files:
                samples[path].append(parse_seconds(path, env))

    def best(path: Path, figure: int) -> float:
        return min(sample[figure] for sample in samples[path]) * 1000

    def median(path: Path, figure: int) -> float:
        return statistics.median(sample[figure] for sample in samples[path]) * 1000

    print(
        f"parsing in a fresh interpreter, ms: best (median) of {rounds} interleaved rounds; +added vs empty"
    )
    print(f"{'file':<26}" + "".join(f"{name:>26}" for name in FIGURES))
    worst = 0.0
    for path in files:
        is_empty = path == empty
        cells = []
        for figure in range(len(FIGURES)):
            added = best(path, figure) - best(empty, figure)
            extra = "" if is_empty else f" {added:+7.1f}"
            cells.append(f"{best(path, figure):>9.1f} ({median(path, figure):>7.1f}){extra:>8}")
        added_cpu = best(path, 2) - best(empty, 2)
        verdict = "" if is_empty else ("  ok" if added_cpu <= BUDGET_MS else "  OVER")
        if not is_empty:
            worst = max(worst, added_cpu)
        name = "empty DAG (airflow.sdk)" if is_empty else f"dags/{path.name}"
        print(f"{name:<26}" + "".join(f"{cell:>26}" for cell in cells) + verdict)
    print(f"budget: +{BUDGET_MS:.0f} ms CPU after airflow.sdk per file; worst +{worst:.1f} ms")
    return 0 if worst <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
