"""Sensitive values: kept with their masks by default, scrubbed everywhere on request."""

from __future__ import annotations

from typing import Any

from tests.bundle.sentinel_reader import read_module
from tfc_sentinel.bundle import build_mock_files
from tfc_sentinel.bundle.sensitive import SCRUBBED, scrub_plan, scrub_value

SECRET = 'hunter2-"quoted"\n'


def test_scrub_value_follows_the_mask() -> None:
    value = {"a": "keep", "b": "hide", "c": [1, 2], "d": {"e": "x"}, "n": None}
    mask = {"b": True, "c": [False, True], "d": True, "n": True}
    assert scrub_value(value, mask) == {
        "a": "keep",
        "b": SCRUBBED,
        "c": [1, SCRUBBED],
        "d": SCRUBBED,
        "n": None,
    }
    assert scrub_value("x", False) == "x"
    assert scrub_value({"a": 1}, None) == {"a": 1}


def test_default_keeps_values_next_to_their_masks(mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan)
    assert all(SCRUBBED not in text for text in files.values())
    names = read_module(files["mock-tfplan-v2.sentinel"])[1]
    change = names["resource_changes"]["aws_db_instance.main"]["change"]
    assert change["after"]["password"] == SECRET and change["after_sensitive"]["password"] is True


def test_scrubbing_removes_the_secret_from_every_file(mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan, scrub_sensitive=True)
    for name, text in files.items():
        assert "hunter2" not in text, name
        assert "old-secret" not in text, name
        assert "db.internal:5432" not in text, name  # a sensitive output
    plan = read_module(files["mock-tfplan-v2.sentinel"])[1]
    db = plan["resource_changes"]["aws_db_instance.main"]["change"]
    assert db["after"]["password"] == SCRUBBED and db["before"]["password"] == SCRUBBED
    assert db["after"]["allocated_storage"] == 50  # the rest is untouched
    assert plan["planned_values"]["resources"]["aws_db_instance.main"]["values"]["password"] == SCRUBBED
    assert plan["variables"]["db_password"]["value"] == SCRUBBED
    assert plan["variables"]["region"]["value"] == "eu-west-1"
    assert plan["output_changes"]["db_endpoint"]["change"]["after"] == SCRUBBED
    assert plan["raw"]["variables"]["db_password"]["value"] == SCRUBBED
    state = read_module(files["mock-tfstate-v2.sentinel"])[1]
    assert state["resources"]["aws_db_instance.main"]["values"]["password"] == SCRUBBED
    assert state["outputs"]["db_endpoint"]["value"] == SCRUBBED


def test_scrubbing_does_not_touch_the_input(mixed_plan: dict[str, Any]) -> None:
    before = repr(mixed_plan)
    scrub_plan(mixed_plan)
    assert repr(mixed_plan) == before
