"""Mock files through ``evaluate_module``: the fast literal loader must give exactly what the full
evaluator gives, keep statement order, and keep error positions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfc_sentinel.bundle.writer import build_mock_files
from tfc_sentinel.lang import ModuleImporter, SentinelRuntimeError, evaluate_module

from .eval_helpers import run

PLAN = Path(__file__).parent.parent / "bundle" / "data" / "plan_mixed.json"


def _data(exports: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in exports.items() if not callable(value)}


def _full(source: str, name: str) -> dict[str, Any]:
    """The module through the full parser and evaluator (no fast path)."""
    return ModuleImporter({"m": (source, name)})("m")


@pytest.fixture(scope="module")
def mock_files() -> dict[str, str]:
    files = build_mock_files(json.loads(PLAN.read_text()))
    return {name: text for name, text in files.items() if name.endswith(".sentinel")}


def test_writer_mocks_fast_equals_full(mock_files: dict[str, str]) -> None:
    for name, text in mock_files.items():
        fast = evaluate_module(text, name)
        full = _full(text, name)
        assert fast.keys() == full.keys(), name
        assert _data(fast) == _data(full), name


def test_writer_mock_functions_work(mock_files: dict[str, str]) -> None:
    v1 = evaluate_module(mock_files["mock-tfplan.sentinel"], "mock-tfplan.sentinel")
    assert v1["module"]([]) == _full(mock_files["mock-tfplan.sentinel"], "mock-tfplan.sentinel")["module"]([])
    v2 = evaluate_module(mock_files["mock-tfconfig-v2.sentinel"], "mock-tfconfig-v2.sentinel")
    assert "strip_index" in v2


def test_policy_over_fast_loaded_mocks(mock_files: dict[str, str]) -> None:
    plan = evaluate_module(mock_files["mock-tfplan-v2.sentinel"], "mock-tfplan-v2.sentinel")
    source = """
import "tfplan/v2" as tfplan
creates = filter tfplan.resource_changes as _, rc { rc.change.actions contains "create" }
main = rule { length(creates) >= 0 and tfplan.terraform_version is not empty }
"""
    assert run(source, mocks={"tfplan/v2": plan}).passed


MIXED = """import "strings"

a = {"x": [1, 2], 0: "zero"}
f = func() { return a.x }
b = a
early = f()
a = {"y": 1}
c = [1, 2,
  3]
late = f()
g = func(v) {
  return v + 1
}
boom = func() {
  return 1 + "s"
}
"""


def test_statement_order_and_rebinding() -> None:
    fast = evaluate_module(MIXED, "m.sentinel")
    full = _full(MIXED, "m.sentinel")
    assert _data(fast) == _data(full)
    assert fast["early"] == [1, 2] and fast["b"] == {"x": [1, 2], 0: "zero"}
    assert fast["a"] == {"y": 1} and fast["c"] == [1, 2, 3]
    assert fast["g"](1) == 2


def test_error_positions_in_fast_loaded_module() -> None:
    boom = evaluate_module(MIXED, "m.sentinel")["boom"]
    with pytest.raises(SentinelRuntimeError) as info:
        boom()
    assert info.value.position is not None
    assert (info.value.position.filename, info.value.position.line, info.value.position.column) == (
        "m.sentinel",
        15,
        12,
    )
