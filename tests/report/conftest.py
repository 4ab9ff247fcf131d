"""Sample runs shared by the renderer tests: one ``apply`` and one ``test`` run covering every outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.report import (
    AssertionResult,
    CaseResult,
    EnforcementLevel,
    Outcome,
    PolicyResult,
    Position,
    RuleResult,
    RunKind,
    RunResult,
    find_violations,
    outcome_from_cases,
)

STARTED = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _pos(file: str, line: int) -> Position:
    return Position(file, line * 20, line, 1)


def make_apply_run(**overrides: object) -> RunResult:
    """Four policies: pass (hard), advisory fail, soft-mandatory fail with violations, error (advisory)."""
    passing = PolicyResult(
        "restrict-ec2",
        "policies/restrict-ec2.sentinel",
        Outcome.PASS,
        EnforcementLevel.HARD_MANDATORY,
        result=True,
        rules={"main": RuleResult("main", True, _pos("restrict-ec2.sentinel", 24))},
        duration=0.004,
    )
    advisory = PolicyResult(
        "cost-limit",
        "policies/cost-limit.sentinel",
        Outcome.FAIL,
        EnforcementLevel.ADVISORY,
        result=False,
        rules={"main": RuleResult("main", False, _pos("cost-limit.sentinel", 11))},
        prints=["proposed monthly cost 1210.40 exceeds the limit of 1000"],
        duration=0.002,
    )
    public = {
        "aws_s3_bucket.logs": {"acl": "public-read", "tags": None},
        'module.web.aws_s3_bucket.assets["eu"]': {"acl": "public-read-write"},
    }
    soft = PolicyResult(
        "no-public-buckets",
        "policies/no-public-buckets.sentinel",
        Outcome.FAIL,
        EnforcementLevel.SOFT_MANDATORY,
        result=False,
        rules={
            "main": RuleResult("main", False, _pos("no-public-buckets.sentinel", 33)),
            "public_buckets": RuleResult(
                "public_buckets", public, _pos("no-public-buckets.sentinel", 18), "Public buckets."
            ),
            "counts": RuleResult("counts", {0: 2, 1: UNDEFINED}),
        },
        prints=["aws_s3_bucket.logs has acl public-read <script>alert(1)</script> | pipe"],
        description="S3 buckets must not be publicly readable.",
        duration=0.012,
    )
    soft.violations = find_violations(soft.prints, soft.rules, soft.result)
    error = PolicyResult(
        "destroy-protection",
        "policies/destroy-protection.sentinel",
        Outcome.ERROR,
        EnforcementLevel.ADVISORY,
        error='destroy-protection.sentinel:14:9: cannot index into undefined with "change"\x1b[0m\x00',
    )
    fields: dict[str, object] = {
        "kind": RunKind.APPLY,
        "policies": [passing, advisory, soft, error],
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(seconds=1.5),
        "policy_set": "policies",
        "bundle": "run-abc123-sentinel-mocks.tar.gz",
        "context": {"run_id": "run-abc123", "run_url": "https://app.terraform.io/app/acme/runs/run-abc123"},
    }
    fields.update(overrides)
    return RunResult(**fields)  # type: ignore[arg-type]


def make_test_run(**overrides: object) -> RunResult:
    """Five policies: PASS (2 cases), FAIL, policy-level ERROR, case ERROR, and ``?`` (no cases)."""
    ok_cases = [
        CaseResult(
            "test/restrict-ec2/fail-large.hcl",
            Outcome.PASS,
            [AssertionResult("main", False, False, True)],
            result=False,
            rules={"main": RuleResult("main", False, _pos("restrict-ec2.sentinel", 24))},
            prints=["aws_instance.batch[0] has instance_type m5.4xlarge"],
            duration=0.003,
        ),
        CaseResult(
            "test/restrict-ec2/pass.hcl",
            Outcome.PASS,
            result=True,
            rules={"main": RuleResult("main", True, _pos("restrict-ec2.sentinel", 24))},
            duration=0.002,
        ),
    ]
    failing_case = CaseResult(
        "test/require-tags/missing-owner.hcl",
        Outcome.FAIL,
        [
            AssertionResult("main", True, False, False),
            AssertionResult("untagged", {}, {"aws_s3_bucket.logs": ["owner"]}, False),
        ],
        result=False,
        rules={
            "main": RuleResult("main", False, _pos("require-tags.sentinel", 30)),
            "untagged": RuleResult(
                "untagged", {"aws_s3_bucket.logs": ["owner"]}, _pos("require-tags.sentinel", 19)
            ),
        },
        prints=["aws_s3_bucket.logs is missing tags: owner"],
        duration=0.004,
    )
    error_case = CaseResult(
        "test/legacy-cost/over-limit.json",
        Outcome.ERROR,
        error='test/legacy-cost/over-limit.json:3: mock "tfrun": file not found',
        legacy=True,
        warnings=["legacy JSON configuration; consider rewriting it as HCL"],
    )
    policies = [
        PolicyResult("restrict-ec2", "restrict-ec2.sentinel", outcome_from_cases(ok_cases), cases=ok_cases),
        PolicyResult("require-tags", "require-tags.sentinel", Outcome.FAIL, cases=[failing_case]),
        PolicyResult(
            "broken",
            "broken.sentinel",
            Outcome.ERROR,
            error="broken.sentinel:7:15: expected }, found end of file",
        ),
        PolicyResult("legacy-cost", "legacy-cost.sentinel", Outcome.ERROR, cases=[error_case]),
        PolicyResult("untested", "untested.sentinel", Outcome.SKIPPED),
    ]
    fields: dict[str, object] = {
        "kind": RunKind.TEST,
        "policies": policies,
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(seconds=0.25),
    }
    fields.update(overrides)
    return RunResult(**fields)  # type: ignore[arg-type]


@pytest.fixture
def apply_run() -> RunResult:
    return make_apply_run()


@pytest.fixture
def test_run() -> RunResult:
    return make_test_run()


@pytest.fixture(params=["apply", "test"])
def any_run(request: pytest.FixtureRequest) -> RunResult:
    return make_apply_run() if request.param == "apply" else make_test_run()
