"""Print the reliability figures the README quotes, measured by running the tests that check them.

    .venv/bin/python bench/reliability_summary.py            # all four test files, ~3-5 minutes
    .venv/bin/python bench/reliability_summary.py -k 429     # extra arguments go to pytest

It runs the fault matrix, the worker-kill and triggerer-restart tests and the secret scan with
``TFC_SENTINEL_RELIABILITY_LOG`` set; each checked scenario appends what it measured (live exports left,
exports created, partial files, blob requests carrying the token, secret hits) and this script adds them
up. The figures are measurements, not the tests' verdicts restated: a scenario that broke an invariant
shows up in them even when pytest stops early. Exit status: pytest's, or 1 if a figure is off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REEXPORT_ROW = "export-expired-before-download"
TESTS = [
    "tests/airflow/test_fault_matrix.py",
    "tests/airflow/test_worker_kill.py",
    "tests/airflow/test_triggerer_restart.py",
    "tests/airflow/test_secret_leaks.py",
]


def run_tests(log: Path, extra: list[str]) -> int:
    env = {**os.environ, "TFC_SENTINEL_RELIABILITY_LOG": str(log)}
    command = [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider", *extra]
    print("$", " ".join(command[1:]), flush=True)
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    summary = [line for line in result.stdout.splitlines() if " passed" in line or " failed" in line]
    print(summary[-1] if summary else result.stdout[-2000:] + result.stderr[-2000:])
    return result.returncode


def figures(rows: list[dict[str, Any]]) -> tuple[list[str], bool]:
    """The README's lines, and whether every figure is what it must be."""
    faults = [r for r in rows if r["kind"] == "fault"]
    lifecycle = [r for r in rows if r["kind"] in ("worker-kill", "triggerer-restart")]
    scans = [r for r in rows if r["kind"] == "secrets"]
    checked = faults + lifecycle
    outcomes = Counter(r.get("outcome") for r in faults)
    # One export per run; the one exception re-exports once because the first expired before download.
    replaced = [r for r in checked if r["name"] == REEXPORT_ROW]
    others = [r for r in checked if r["name"] != REEXPORT_ROW]
    too_many = [r for r in others if r["exports_created"] > 1] + [
        r for r in replaced if r["exports_created"] > 2
    ]
    lines = [
        f"fault scenarios through tfc_policy_check: {len(faults)}, passed: {sum(r['passed'] for r in faults)}"
        f" ({outcomes['success']} end in success, {outcomes['failed']} in a clear failure)",
        *(f"{r['name']}: {'passed' if r['passed'] else 'FAILED'}" for r in lifecycle),
        f"live exports left after a scenario: {sum(r['live_exports'] for r in checked)}",
        f"most exports created by one run: {max((r['exports_created'] for r in others), default=0)}"
        f" ({REEXPORT_ROW}: {', '.join(str(r['exports_created']) for r in replaced) or '-'},"
        " the expired export replaced once); runs over that limit: " + str(len(too_many)),
        f"partial files left in bundle storage: {sum(r['partial_files'] for r in checked)}",
        f"blob requests carrying the API token: {sum(r['blob_auth_leaks'] for r in checked)}",
    ]
    for scan in scans:
        lines.append(
            f"secret scan: {scan['secrets']} secrets x {scan['artifacts']} artifacts"
            f" ({scan['bytes_scanned'] / 1e6:.1f} MB): {scan['hits']} hits"
        )
    good = (
        bool(faults)
        and all(r["passed"] for r in rows)
        and not too_many
        and not any(r["live_exports"] or r["partial_files"] or r["blob_auth_leaks"] for r in checked)
        and all(scan["hits"] == 0 for scan in scans)
    )
    return lines, good


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tfc-sentinel-reliability-") as tmp:
        log = Path(tmp) / "figures.jsonl"
        code = run_tests(log, sys.argv[1:])
        rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    lines, good = figures(rows)
    print("\n".join(lines))
    return code or (0 if good else 1)


if __name__ == "__main__":
    sys.exit(main())
