"""``bench/fuzz_engine.py`` keeps working: a small run of both halves (atheris in its child process,
hypothesis here), and its harness tells an engine error from an escaped one.

The full run (100,000 inputs) is a bench, not a test; this only guards the machinery."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

REPO: Final = Path(__file__).resolve().parents[2]
BENCH: Final = REPO / "bench" / "fuzz_engine.py"


@pytest.mark.slow
def test_a_small_fuzz_run_counts_every_input_and_finds_nothing(tmp_path: Path) -> None:
    findings = tmp_path / "findings"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--inputs", "900", "--findings", str(findings)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"engine fuzz: 900 inputs in", out), out
    atheris = re.search(r"atheris\s+([\d,]+) inputs", out)
    hypothesis = re.search(r"hypothesis\s+([\d,]+) inputs", out)
    assert atheris and hypothesis, out
    assert int(atheris[1].replace(",", "")) + int(hypothesis[1].replace(",", "")) == 900
    assert "libFuzzer coverage:" in out
    assert "escaped exceptions: 0  hangs: 0" in out
    # Only inputs kept for review (recursion limits) may have been written, never a failure.
    written = sorted(p.name for p in findings.iterdir()) if findings.exists() else []
    assert not [name for name in written if name.startswith(("escaped-", "hang-"))], written


HARNESS_CHECK: Final = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import fuzz_engine

harness = fuzz_engine.Harness(hang_seconds=10, findings_dir=Path(sys.argv[2]))
outcomes = [
    harness.run("main = true", "t"),
    harness.run("main = (", "t"),
    harness.run("main = 1 / 0", "t"),
    harness.run("f = func(n) { return f(n + 1) }\\nmain = f(0)", "t"),
    harness.run('import "tfplan/v2" as tfplan\\nmain = length(tfplan.resource_changes) > 0', "t"),
]


def broken(name):  # an importer failing with a Python exception, which the engine has to wrap
    raise KeyError(name)


harness.chain = broken
outcomes.append(harness.run('import "strings"\\nmain = true', "t"))
print(",".join(outcomes))
"""


def test_the_harness_classifies_outcomes(tmp_path: Path) -> None:
    """In a child process: the harness installs its own SIGALRM/SIGPROF handlers (pytest-timeout's too)."""
    findings = tmp_path / "findings"
    done = subprocess.run(
        [sys.executable, "-c", HARNESS_CHECK, str(BENCH.parent), str(findings)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok,syntax error,runtime error,limit error,ok,escaped"
    written = sorted(p.name for p in findings.iterdir())
    assert written[0] == ".gitignore" and written[1].startswith("escaped-evaluate-") and len(written) == 3
