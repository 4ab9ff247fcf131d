"""Regenerate an example policy set's test mocks from its ``testdata`` plan and run JSON.

    .venv/bin/python include/policies/generate_mocks.py include/policies/<set> [--check]

``plans/NAME.json`` (trimmed ``terraform show -json`` output) becomes ``mocks/plan-NAME/`` with
``mock-tfplan-v2.sentinel`` and ``mock-tfconfig-v2.sentinel``; ``runs/NAME.json`` (run metadata as the
emulator passes it to the mock writer) becomes ``mocks/run-NAME/mock-tfrun.sentinel``. Test cases
combine one plan folder with one run folder. The mocks are committed, so tests never need this script;
``--check`` exits 1 when a committed mock differs from what the writer produces now.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tfc_sentinel.bundle import build_mock_files

PLAN_MOCKS = ("mock-tfplan-v2.sentinel", "mock-tfconfig-v2.sentinel")
RUN_MOCKS = ("mock-tfrun.sentinel",)
# tfrun does not depend on the plan; the writer still wants one.
EMPTY_PLAN = {"format_version": "1.2", "resource_changes": []}


def expected_mocks(testdata: Path) -> dict[Path, str]:
    """Every generated mock file (path relative to ``testdata``) and its text."""
    out: dict[Path, str] = {}
    for plan_file in sorted((testdata / "plans").glob("*.json")):
        files = build_mock_files(json.loads(plan_file.read_text()))
        for name in PLAN_MOCKS:
            out[Path("mocks", f"plan-{plan_file.stem}", name)] = files[name]
    for run_file in sorted((testdata / "runs").glob("*.json")):
        files = build_mock_files(EMPTY_PLAN, json.loads(run_file.read_text()))
        for name in RUN_MOCKS:
            out[Path("mocks", f"run-{run_file.stem}", name)] = files[name]
    return out


def stale_mocks(testdata: Path) -> list[Path]:
    """Generated files that are missing or differ on disk, plus mock folders nothing generates."""
    expected = expected_mocks(testdata)
    stale = [
        p
        for p, text in expected.items()
        if not (testdata / p).is_file() or (testdata / p).read_text() != text
    ]
    on_disk = {p.relative_to(testdata) for p in (testdata / "mocks").glob("*/*") if p.is_file()}
    return sorted(stale + [p for p in on_disk - set(expected)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set_dir", type=Path, help="the policy set folder (holding testdata/)")
    parser.add_argument("--check", action="store_true", help="only report mocks that are out of date")
    args = parser.parse_args(argv)
    testdata = args.set_dir / "testdata"
    if args.check:
        stale = stale_mocks(testdata)
        for path in stale:
            print(f"out of date: {path}")
        return 1 if stale else 0
    for path, text in expected_mocks(testdata).items():
        target = testdata / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
