"""The versioned JSON report: round trips, the published JSON Schema, version handling."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.report import RunResult, render
from tfc_sentinel.report.json import (
    SCHEMA_VERSION,
    ReportFormatError,
    from_dict,
    from_json,
    json_schema,
    to_dict,
    to_json,
)

from .conftest import make_apply_run


def test_round_trip_is_lossless(any_run: RunResult) -> None:
    text = to_json(any_run)
    back = from_json(text)
    assert back == any_run
    assert to_json(back) == text


def test_round_trip_keeps_engine_values(apply_run: RunResult) -> None:
    back = from_json(to_json(apply_run))
    counts = back.policies[2].rules["counts"].value
    assert counts == {0: 2, 1: UNDEFINED}
    assert counts[1] is UNDEFINED


def test_document_matches_published_schema(any_run: RunResult) -> None:
    document = json.loads(to_json(any_run))
    jsonschema.Draft202012Validator.check_schema(json_schema())
    jsonschema.validate(document, json_schema())


def test_top_level_shape(apply_run: RunResult) -> None:
    document = to_dict(apply_run)
    assert document["schema"] == "tfc-sentinel/report"
    assert document["schema_version"] == SCHEMA_VERSION == "1.0"
    assert document["outcome"] == "soft-fail"
    assert document["exit_code"] == 1
    assert document["can_override"] is True
    assert document["started_at"] == "2024-05-01T12:00:00.123456Z"
    assert document["duration_seconds"] == 1.5
    assert document["counts"]["soft_mandatory_failed"] == 1
    policy = document["policies"][2]
    assert policy["blocking"] is True
    assert policy["violations"][0] == {
        "address": "aws_s3_bucket.logs",
        "description": "aws_s3_bucket.logs has acl public-read <script>alert(1)</script> | pipe",
        "source": "print",
    }
    assert policy["rules"]["counts"]["value"] == {
        "__sentinel__": "map",
        "entries": [[0, 2], [1, {"__sentinel__": "undefined"}]],
    }
    assert policy["rules"]["main"]["position"] == {
        "filename": "no-public-buckets.sentinel",
        "offset": 660,
        "line": 33,
        "column": 1,
    }


def test_derived_fields_are_recomputed(apply_run: RunResult) -> None:
    document = to_dict(apply_run)
    document["outcome"] = "pass"
    document["counts"]["passed"] = 99
    assert from_dict(document).outcome.value == "soft-fail"


def test_minor_versions_and_unknown_keys_are_accepted() -> None:
    document = to_dict(make_apply_run())
    document["schema_version"] = "1.7"
    document["added_in_1_7"] = {"anything": True}
    document["policies"][0]["also_new"] = 1
    assert from_dict(document).policies[0].name == "restrict-ec2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": "2.0"}, "schema version '2.0' is not supported"),
        ({"schema": "something-else"}, "not a tfc-sentinel report"),
        ({"kind": "deploy"}, "malformed"),
    ],
)
def test_rejects_other_documents(change: dict[str, str], message: str) -> None:
    document = to_dict(make_apply_run())
    document.update(change)
    with pytest.raises(ReportFormatError, match=message):
        from_dict(document)


def test_rejects_non_json() -> None:
    with pytest.raises(ReportFormatError, match="not JSON"):
        from_json("<html>")
    with pytest.raises(ReportFormatError, match="not a tfc-sentinel report"):
        from_json("[1, 2]")


def test_render_dispatch(apply_run: RunResult) -> None:
    assert json.loads(render(apply_run, "json"))["kind"] == "apply"
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(apply_run, "pdf")
