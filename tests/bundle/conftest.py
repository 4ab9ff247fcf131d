"""Plan JSON fixtures under tests/bundle/data (invented, in `terraform show -json` format 1.2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def mixed_plan() -> dict[str, Any]:
    """Modules (nested, for_each module), count, for_each, data source, unknowns, sensitive values,
    create/update/delete/replace/no-op/read, a deposed object, drift, outputs and prior state."""
    return load_json("plan_mixed.json")


@pytest.fixture
def empty_plan() -> dict[str, Any]:
    return load_json("plan_empty.json")


@pytest.fixture
def destroy_plan() -> dict[str, Any]:
    return load_json("plan_destroy.json")


@pytest.fixture
def run_metadata() -> dict[str, Any]:
    return load_json("run.json")
