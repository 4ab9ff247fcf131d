"""Shared by the runner and CLI tests: our policy sets under ``sets/`` and a bundle from a fixture plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tfc_sentinel.bundle import build_bundle_archive

SETS = Path(__file__).parent / "sets"
SUITE = SETS / "suite"
APPLY_SET = SETS / "apply-aws"
BROKEN_SET = SETS / "apply-broken"
PLANS = Path(__file__).parents[2] / "include" / "tfc_sentinel" / "emulator" / "fixtures" / "plans"
RUN_METADATA = {
    "message": "add web instances",
    "cost_estimate": {
        "prior_monthly_cost": "10.5",
        "proposed_monthly_cost": "32.5",
        "delta_monthly_cost": "22",
    },
}


def build_bundle(dest: Path, plan: str = "aws-network-changes.json") -> Path:
    """A ``.tar.gz`` mock bundle for an emulator fixture plan, as Terraform Cloud would serve it."""
    data = json.loads((PLANS / plan).read_text(encoding="utf-8"))
    dest.write_bytes(build_bundle_archive(data, RUN_METADATA))
    return dest


def copy_set(source: Path, dest: Path) -> Path:
    """A private copy of a set, so a test can check that nothing is written into it."""
    shutil.copytree(source, dest)
    return dest


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
