"""The ``sentinel test -json`` / ``sentinel apply -json`` shapes: exact keys, and back into the model."""

from __future__ import annotations

import json

import pytest

from tfc_sentinel.report import EnforcementLevel, Outcome, RunResult
from tfc_sentinel.report.sentinel_json import (
    SentinelOutputError,
    from_sentinel_apply,
    from_sentinel_test,
    to_sentinel_apply,
    to_sentinel_test,
    to_sentinel_test_json,
)

POLICY_KEYS = {"path", "status", "errors", "cases"}
CASE_KEYS = {"path", "status", "errors", "trace", "rule_detail", "config_warnings", "config_legacy"}
TRACE_KEYS = {"description", "error", "print", "result", "rules"}
RULE_KEYS = {"desc", "ident", "value", "position"}
POSITION_KEYS = {"filename", "offset", "line", "column"}


def test_test_shape_matches_section_16(test_run: RunResult) -> None:
    document = json.loads(to_sentinel_test_json(test_run))
    assert set(document) == {"policies"}
    policies = document["policies"]
    assert list(policies) == [p.path for p in test_run.policies]
    assert [p["status"] for p in policies.values()] == ["PASS", "FAIL", "ERROR", "ERROR", "?"]
    for key, policy in policies.items():
        assert set(policy) == POLICY_KEYS
        assert policy["path"] == key
        for case_key, case in policy["cases"].items():
            assert set(case) == CASE_KEYS
            assert case["path"] == case_key
            assert set(case["trace"]) == TRACE_KEYS
            for name, rule in case["trace"]["rules"].items():
                assert set(rule) == RULE_KEYS
                assert rule["ident"] == name
                assert set(rule["position"]) == POSITION_KEYS
    passing = policies["restrict-ec2.sentinel"]["cases"]["test/restrict-ec2/pass.hcl"]
    assert passing["errors"] is None
    assert passing["rule_detail"] is None
    assert passing["config_warnings"] is None
    assert passing["config_legacy"] is False
    assert passing["trace"]["result"] is True
    assert passing["trace"]["print"] == ""
    failing = policies["require-tags.sentinel"]["cases"]["test/require-tags/missing-owner.hcl"]
    assert failing["rule_detail"]["main"] == {
        "expected": True,
        "actual": False,
        "message": 'expected "main" to be true, got: false',
    }
    assert failing["trace"]["print"] == "aws_s3_bucket.logs is missing tags: owner\n"
    assert policies["broken.sentinel"]["errors"] == ["broken.sentinel:7:15: expected }, found end of file"]
    legacy = policies["legacy-cost.sentinel"]["cases"]["test/legacy-cost/over-limit.json"]
    assert legacy["config_legacy"] is True


def test_test_shape_round_trip(test_run: RunResult) -> None:
    back = from_sentinel_test(to_sentinel_test(test_run))
    assert [(p.path, p.outcome) for p in back.policies] == [(p.path, p.outcome) for p in test_run.policies]
    original_cases = [(c.path, c.outcome, c.result) for p in test_run.policies for c in p.cases]
    assert [(c.path, c.outcome, c.result) for p in back.policies for c in p.cases] == original_cases
    failing = back.policies[1].cases[0]
    assert failing.failures == [
        'expected "main" to be true, got: false',
        test_run.policies[1].cases[0].failures[1],
    ]
    assert failing.rules["main"].position == test_run.policies[1].cases[0].rules["main"].position


def test_apply_shape(apply_run: RunResult) -> None:
    document = to_sentinel_apply(apply_run)
    assert set(document) == {"can_override", "error", "policies", "result"}
    assert document["can_override"] is True
    assert document["result"] is False
    entries = document["policies"]
    assert [set(e) for e in entries] == [{"allowed_failure", "error", "policy", "result", "trace"}] * 4
    assert [e["allowed_failure"] for e in entries] == [True, True, False, True]
    assert entries[2]["trace"]["rules"]["counts"]["value"] == {"0": 2, "1": None}  # lossy by design


def test_apply_round_trip_with_levels(apply_run: RunResult) -> None:
    levels = {p.path: p.enforcement_level for p in apply_run.policies}
    names = {p.path: p.name for p in apply_run.policies}
    back = from_sentinel_apply(to_sentinel_apply(apply_run), levels=levels, names=names)
    assert [(p.name, p.outcome, p.enforcement_level) for p in back.policies] == [
        (p.name, p.outcome, p.enforcement_level) for p in apply_run.policies
    ]
    assert back.outcome == apply_run.outcome
    assert [v.address for v in back.policies[2].violations] == [
        v.address for v in apply_run.policies[2].violations
    ]


def test_unknown_policies_use_allowed_failure() -> None:
    document = {
        "policies": [
            {"policy": "a.sentinel", "allowed_failure": True, "result": False, "error": None, "trace": None},
            {"policy": "b.sentinel", "allowed_failure": False, "result": False, "error": None, "trace": None},
        ]
    }
    run = from_sentinel_apply(document)
    assert [p.enforcement_level for p in run.policies] == [
        EnforcementLevel.ADVISORY,
        EnforcementLevel.HARD_MANDATORY,
    ]
    assert [p.outcome for p in run.policies] == [Outcome.FAIL, Outcome.FAIL]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not an object"),
        ('{"foo": 1}', 'no "policies"'),
        ('{"policies": {"a.sentinel": {"status": "WEIRD", "cases": {}}}}', "unknown status 'WEIRD'"),
    ],
)
def test_bad_test_output(document: str, message: str) -> None:
    with pytest.raises(SentinelOutputError, match=message):
        from_sentinel_test(document)
