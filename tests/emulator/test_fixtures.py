"""The bundled fixtures: realistic plan JSON, the runs the checklist asks for, IDs docs can rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.emulator.fixtures import FIXTURES_DIR

PLAN_FILES = sorted((FIXTURES_DIR / "plans").glob("*.json"))
TOP_LEVEL = {
    "format_version",
    "terraform_version",
    "variables",
    "planned_values",
    "resource_changes",
    "output_changes",
    "prior_state",
    "configuration",
    "relevant_attributes",
    "timestamp",
}


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_plan_files_look_like_terraform_show_json(path: Path) -> None:
    plan = json.loads(path.read_text())
    assert set(plan) >= TOP_LEVEL
    assert plan["format_version"] == "1.2"
    assert "provider_config" in plan["configuration"]
    for change in plan["resource_changes"]:
        assert {"address", "mode", "type", "name", "provider_name", "change"} <= set(change)
        assert {"actions", "before", "after", "after_unknown", "before_sensitive", "after_sensitive"} <= set(
            change["change"]
        )


def test_plans_cover_actions_providers_and_shapes() -> None:
    plans = [json.loads(path.read_text()) for path in PLAN_FILES]
    changes = [change for plan in plans for change in plan["resource_changes"]]
    actions = {tuple(change["change"]["actions"]) for change in changes}
    assert {("create",), ("update",), ("delete",), ("no-op",)} <= actions
    assert actions & {("delete", "create"), ("create", "delete")}
    types = {change["type"] for change in changes}
    assert {"aws_s3_bucket", "aws_instance", "aws_security_group", "azurerm_storage_account"} <= types
    assert "google_compute_instance" in types
    assert any("module_address" in change for change in changes)
    assert {type(change["index"]) for change in changes if "index" in change} == {int, str}  # count, for_each
    assert any(any(v is True for v in change["change"]["after_unknown"].values()) for change in changes)
    assert any(change["change"]["after_sensitive"] not in (False, {}) for change in changes)
    assert any(plan["configuration"]["root_module"].get("module_calls") for plan in plans)
    prior = [r for plan in plans for r in plan["prior_state"]["values"]["root_module"].get("resources", [])]
    assert any(r["mode"] == "data" for r in prior)


def test_fixture_records_use_fixed_well_formed_ids(reset: EmulatorServer) -> None:
    store = reset.state.store
    shape = re.compile(r"^(ws|run|plan|user)-[A-Za-z0-9]{16}$")
    for record_id in [*store.workspaces, *store.runs, *store.plans, *store.users]:
        assert shape.match(record_id), record_id
    assert len(store.organizations) >= 2 and len(store.workspaces) >= 4 and len(store.runs) >= 12
    seed = json.loads((FIXTURES_DIR / "seed.json").read_text())
    assert [run["id"] for run in seed["runs"]] == list(store.runs)  # stable across resets


def test_every_exportable_fixture_plan_builds_a_bundle(reset: EmulatorServer) -> None:
    """The bundle writer accepts every fixture plan, so no fixture export errors for reasons of its own."""
    reset.configure(export_delay=0)
    store = reset.state.store
    exportable = [plan for plan in store.plans.values() if plan.is_exportable and store.can_export(plan)]
    assert len(exportable) >= 10
    for plan in exportable:
        org = store.workspace_of_plan(plan).organization
        owner = next(user for user in store.users.values() if org in user.organizations)
        export = store.create_export(owner, plan.id, "sentinel-mock-bundle-v0")
        assert store.export_status(export) == "finished", (plan.id, export.error_message)
        assert export.archive is not None and export.archive[:2] == b"\x1f\x8b"
