"""The verdict rules: enforcement levels, override, errors counting as failures, test-run outcomes."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.report import (
    AssertionResult,
    CaseResult,
    EnforcementLevel,
    Outcome,
    PolicyResult,
    RunKind,
    RunOutcome,
    RunResult,
    outcome_from_cases,
)

L = EnforcementLevel


def _apply(*policies: tuple[Outcome, EnforcementLevel], override: bool = False) -> RunResult:
    return RunResult(
        RunKind.APPLY,
        [
            PolicyResult(f"p{i}", f"p{i}.sentinel", outcome, level)
            for i, (outcome, level) in enumerate(policies)
        ],
        override=override,
    )


@pytest.mark.parametrize(
    ("outcome", "level", "override", "expected"),
    [
        (Outcome.PASS, L.HARD_MANDATORY, False, RunOutcome.PASS),
        (Outcome.FAIL, L.ADVISORY, False, RunOutcome.WARN),
        (Outcome.FAIL, L.VALIDATE, False, RunOutcome.WARN),
        (Outcome.FAIL, L.SOFT_MANDATORY, False, RunOutcome.SOFT_FAIL),
        (Outcome.FAIL, L.SOFT_MANDATORY, True, RunOutcome.WARN),
        (Outcome.FAIL, L.HARD_MANDATORY, False, RunOutcome.FAIL),
        (Outcome.FAIL, L.HARD_MANDATORY, True, RunOutcome.FAIL),
        # errors count as failures at the policy's level
        (Outcome.ERROR, L.ADVISORY, False, RunOutcome.WARN),
        (Outcome.ERROR, L.SOFT_MANDATORY, False, RunOutcome.SOFT_FAIL),
        (Outcome.ERROR, L.SOFT_MANDATORY, True, RunOutcome.WARN),
        (Outcome.ERROR, L.HARD_MANDATORY, True, RunOutcome.FAIL),
        (Outcome.SKIPPED, L.HARD_MANDATORY, False, RunOutcome.PASS),
    ],
)
def test_apply_outcome_per_level(
    outcome: Outcome, level: EnforcementLevel, override: bool, expected: RunOutcome
) -> None:
    run = _apply((outcome, level), override=override)
    assert run.outcome is expected
    assert run.can_override is (expected is RunOutcome.SOFT_FAIL)
    assert run.exit_code == (1 if expected in (RunOutcome.FAIL, RunOutcome.SOFT_FAIL) else 0)
    blocking = run.blocking
    assert bool(blocking) is (expected in (RunOutcome.FAIL, RunOutcome.SOFT_FAIL))


def test_worst_policy_wins() -> None:
    run = _apply(
        (Outcome.FAIL, L.ADVISORY), (Outcome.FAIL, L.SOFT_MANDATORY), (Outcome.PASS, L.HARD_MANDATORY)
    )
    assert run.outcome is RunOutcome.SOFT_FAIL
    run.policies.append(PolicyResult("h", "h.sentinel", Outcome.ERROR, L.HARD_MANDATORY))
    assert run.outcome is RunOutcome.FAIL
    assert not run.can_override
    assert [p.name for p in run.blocking] == ["p1", "h"]


def test_override_leaves_hard_mandatory_blocking() -> None:
    run = _apply((Outcome.FAIL, L.SOFT_MANDATORY), (Outcome.FAIL, L.HARD_MANDATORY), override=True)
    assert run.outcome is RunOutcome.FAIL
    assert [p.name for p in run.blocking] == ["p1"]


def test_run_error_beats_everything() -> None:
    run = _apply((Outcome.PASS, L.ADVISORY))
    run.error = "bundle is not a gzip file"
    assert run.outcome is RunOutcome.ERROR
    assert run.exit_code == 2


def test_test_run_ignores_levels() -> None:
    run = RunResult(RunKind.TEST, [PolicyResult("a", "a.sentinel", Outcome.FAIL, L.ADVISORY)])
    assert run.outcome is RunOutcome.FAIL
    assert run.exit_code == 1
    assert run.blocking == []
    run.policies.append(PolicyResult("b", "b.sentinel", Outcome.ERROR))
    assert run.outcome is RunOutcome.ERROR
    assert run.exit_code == 2
    skipped = RunResult(RunKind.TEST, [PolicyResult("c", "c.sentinel", Outcome.SKIPPED)])
    assert skipped.outcome is RunOutcome.PASS
    assert skipped.exit_code == 0


def test_outcome_from_cases() -> None:
    def case(outcome: Outcome) -> CaseResult:
        return CaseResult("test/p/c.hcl", outcome)

    assert outcome_from_cases([]) is Outcome.SKIPPED
    assert outcome_from_cases([case(Outcome.PASS)]) is Outcome.PASS
    assert outcome_from_cases([case(Outcome.PASS), case(Outcome.FAIL)]) is Outcome.FAIL
    assert outcome_from_cases([case(Outcome.FAIL), case(Outcome.ERROR)]) is Outcome.ERROR
    assert outcome_from_cases([], error="syntax error") is Outcome.ERROR


def test_counts(apply_run: RunResult, test_run: RunResult) -> None:
    counts = apply_run.counts
    assert (counts.policies, counts.passed, counts.failed, counts.errored) == (4, 1, 2, 1)
    assert (counts.advisory_failed, counts.soft_mandatory_failed, counts.hard_mandatory_failed) == (2, 1, 0)
    counts = test_run.counts
    assert (counts.policies, counts.passed, counts.failed, counts.errored, counts.skipped) == (5, 1, 1, 2, 1)
    assert (counts.cases, counts.cases_passed, counts.cases_failed, counts.cases_errored) == (4, 2, 1, 1)


def test_assertion_text_matches_the_cli() -> None:
    assert AssertionResult("main", True, False, False).text == 'expected "main" to be true, got: false'
    assert (
        AssertionResult("days", [{"day": "wednesday"}], UNDEFINED, False).text
        == 'expected "days" to be [{"day": "wednesday"}], got: undefined'
    )
    assert AssertionResult("x", 1, 2, False, message="custom").text == "custom"
    case = CaseResult("test/p/c.hcl", Outcome.FAIL, [AssertionResult("main", True, False, False)])
    assert case.failures == ['expected "main" to be true, got: false']
    assert case.name == "c"


def test_enforcement_level_parse() -> None:
    assert EnforcementLevel.parse("soft-mandatory") is L.SOFT_MANDATORY
    with pytest.raises(ValueError, match="use one of: advisory, soft-mandatory, hard-mandatory"):
        EnforcementLevel.parse("mandatory")


def test_duration_never_negative(apply_run: RunResult) -> None:
    assert apply_run.duration == pytest.approx(1.5)
    apply_run.finished_at = apply_run.started_at.replace(year=2000)
    assert apply_run.duration == 0.0
