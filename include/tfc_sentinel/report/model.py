"""One result model for ``tfc-sentinel test`` and ``tfc-sentinel apply``, whatever engine produced it.

Every renderer (JSON, JUnit, HTML, Markdown, text, the ``sentinel test -json`` shape) reads these
classes and nothing else, so the built-in engine and the ``sentinel`` binary backend only have to fill
them in once. The overall verdict is computed here, from the policies, their enforcement levels and
the override flag, so no renderer can disagree with another about whether a run blocks.

Layering: this package depends on :mod:`tfc_sentinel.lang.values` only; the policy layer imports it
(the runner and the backends build these objects), never the other way round.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from tfc_sentinel import __version__
from tfc_sentinel.lang.syntax.errors import Position
from tfc_sentinel.lang.values import Value

from .values import format_value

__all__ = [
    "AssertionResult",
    "CaseResult",
    "Counts",
    "EnforcementLevel",
    "EngineInfo",
    "Outcome",
    "PolicyResult",
    "Position",
    "RuleResult",
    "RunKind",
    "RunOutcome",
    "RunResult",
    "Violation",
    "outcome_from_cases",
]


class EnforcementLevel(enum.StrEnum):
    """How much a failed policy matters (Sentinel's levels, as written in ``sentinel.hcl``)."""

    ADVISORY = "advisory"
    SOFT_MANDATORY = "soft-mandatory"
    HARD_MANDATORY = "hard-mandatory"
    # Requested for this project; no Sentinel documentation names it. It never blocks (like advisory).
    VALIDATE = "validate"

    @classmethod
    def parse(cls, text: str) -> EnforcementLevel:
        """The level for ``text``; ``ValueError`` lists the accepted spellings."""
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(level.value for level in cls)
            raise ValueError(f"unknown enforcement level {text!r}; use one of: {choices}") from None


class RunKind(enum.StrEnum):
    TEST = "test"
    APPLY = "apply"


class Outcome(enum.StrEnum):
    """The outcome of one policy or one test case (``SKIPPED`` is ``sentinel test``'s ``?``)."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class RunOutcome(enum.StrEnum):
    """The verdict of a whole run, ordered from best to worst."""

    PASS = "pass"
    WARN = "warn"
    SOFT_FAIL = "soft-fail"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class EngineInfo:
    """Which engine produced the results: the built-in one or a ``sentinel`` binary (and its version)."""

    name: str = "tfc-sentinel"
    version: str = __version__


@dataclass
class RuleResult:
    """A rule's value as the trace records it; ``position`` is where the rule was assigned."""

    name: str
    value: Value
    position: Position | None = None
    description: str = ""


@dataclass
class Violation:
    """A resource the policy reported as violating it; ``source`` says where it was found.

    ``source`` is ``"print"`` or ``"rule:<name>"``: the engine cannot know which resources are at
    fault, so these are gathered from what the policy printed and from its rule values
    (see :mod:`tfc_sentinel.report.violations`).
    """

    address: str
    description: str = ""
    source: str = ""


@dataclass
class AssertionResult:
    """One ``test { rules = { name = expected } }`` entry checked against the rule's value."""

    rule: str
    expected: Value
    actual: Value
    passed: bool
    message: str = ""

    @property
    def text(self) -> str:
        """``sentinel test``'s wording: ``expected "main" to be true, got: false``."""
        if self.message:
            return self.message
        return f'expected "{self.rule}" to be {format_value(self.expected)}, got: {format_value(self.actual)}'


@dataclass
class CaseResult:
    """One test case file run against its policy (``tfc-sentinel test``)."""

    path: str
    outcome: Outcome
    assertions: list[AssertionResult] = field(default_factory=list)
    result: Value = None
    rules: dict[str, RuleResult] = field(default_factory=dict)
    prints: list[str] = field(default_factory=list)
    error: str | None = None
    description: str = ""
    warnings: list[str] = field(default_factory=list)
    legacy: bool = False
    duration: float = 0.0

    @property
    def name(self) -> str:
        """The case file name without its extension (what ``-run`` matches after the ``/``)."""
        return PurePosixPath(self.path).stem

    @property
    def failures(self) -> list[str]:
        """The failed assertions in ``sentinel test`` wording."""
        return [assertion.text for assertion in self.assertions if not assertion.passed]


@dataclass
class PolicyResult:
    """One policy: its verdict, what its rules evaluated to, and (for ``test``) its cases.

    ``result`` is ``main``'s value (``undefined`` kept as such; ``None`` when the policy did not run);
    ``prints`` holds one entry per ``print`` call; ``duration`` is in seconds.
    """

    name: str
    path: str
    outcome: Outcome
    enforcement_level: EnforcementLevel = EnforcementLevel.ADVISORY
    result: Value = None
    rules: dict[str, RuleResult] = field(default_factory=dict)
    prints: list[str] = field(default_factory=list)
    error: str | None = None
    description: str = ""
    duration: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Failed or errored: errors count as failures at the policy's enforcement level."""
        return self.outcome in (Outcome.FAIL, Outcome.ERROR)

    def blocks(self, override: bool = False) -> bool:
        """Whether this result stops a Terraform run: hard-mandatory always, soft-mandatory unless overridden."""
        if not self.failed:
            return False
        if self.enforcement_level is EnforcementLevel.HARD_MANDATORY:
            return True
        return self.enforcement_level is EnforcementLevel.SOFT_MANDATORY and not override


def outcome_from_cases(cases: list[CaseResult], error: str | None = None) -> Outcome:
    """A policy's ``sentinel test`` status: ERROR beats FAIL beats PASS; no cases is SKIPPED (``?``)."""
    if error is not None or any(case.outcome is Outcome.ERROR for case in cases):
        return Outcome.ERROR
    if any(case.outcome is Outcome.FAIL for case in cases):
        return Outcome.FAIL
    return Outcome.PASS if cases else Outcome.SKIPPED


@dataclass(frozen=True)
class Counts:
    """Totals for summaries; derived from the policies, never stored separately."""

    policies: int = 0
    passed: int = 0
    failed: int = 0
    errored: int = 0
    skipped: int = 0
    advisory_failed: int = 0
    soft_mandatory_failed: int = 0
    hard_mandatory_failed: int = 0
    cases: int = 0
    cases_passed: int = 0
    cases_failed: int = 0
    cases_errored: int = 0


_POLICY_COUNTER = {
    Outcome.PASS: "passed",
    Outcome.FAIL: "failed",
    Outcome.ERROR: "errored",
    Outcome.SKIPPED: "skipped",
}
_LEVEL_COUNTER = {
    EnforcementLevel.ADVISORY: "advisory_failed",
    EnforcementLevel.VALIDATE: "advisory_failed",
    EnforcementLevel.SOFT_MANDATORY: "soft_mandatory_failed",
    EnforcementLevel.HARD_MANDATORY: "hard_mandatory_failed",
}
_CASE_COUNTER = {Outcome.PASS: "cases_passed", Outcome.FAIL: "cases_failed"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunResult:
    """A whole ``test`` or ``apply`` run.

    ``error`` is for problems that stopped the run as a whole (no policy set, an unreadable bundle);
    problems of one policy or case are that policy's or case's ``ERROR``. ``override`` records that
    soft-mandatory failures were overridden. ``context`` carries free-form labels for renderers, e.g.
    ``run_id``, ``workspace``, ``organization`` and ``run_url`` (linked from HTML and Markdown).
    """

    kind: RunKind
    policies: list[PolicyResult] = field(default_factory=list)
    started_at: datetime = field(default_factory=_utcnow)
    finished_at: datetime = field(default_factory=_utcnow)
    engine: EngineInfo = field(default_factory=EngineInfo)
    override: bool = False
    error: str | None = None
    policy_set: str | None = None
    bundle: str | None = None
    context: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    @property
    def outcome(self) -> RunOutcome:
        """The verdict.

        ``test``: ERROR if the run or any policy or case errored, else FAIL if anything failed, else
        PASS (enforcement levels do not matter to tests). ``apply``: ERROR only when the run itself
        failed; otherwise a failed or errored hard-mandatory policy gives FAIL, soft-mandatory gives
        SOFT_FAIL (WARN once overridden), advisory and validate give WARN, and all passing gives PASS.
        """
        if self.error is not None:
            return RunOutcome.ERROR
        if self.kind is RunKind.TEST:
            outcomes = {policy.outcome for policy in self.policies}
            if Outcome.ERROR in outcomes:
                return RunOutcome.ERROR
            return RunOutcome.FAIL if Outcome.FAIL in outcomes else RunOutcome.PASS
        verdict = RunOutcome.PASS
        for policy in self.policies:
            if not policy.failed:
                continue
            level = policy.enforcement_level
            if level is EnforcementLevel.HARD_MANDATORY:
                return RunOutcome.FAIL
            if level is EnforcementLevel.SOFT_MANDATORY and not self.override:
                verdict = RunOutcome.SOFT_FAIL
            elif verdict is RunOutcome.PASS:
                verdict = RunOutcome.WARN
        return verdict

    @property
    def can_override(self) -> bool:
        """True when only soft-mandatory failures block, i.e. an override would let the run continue."""
        return self.outcome is RunOutcome.SOFT_FAIL

    @property
    def exit_code(self) -> int:
        """0 pass (or only warnings), 1 failures, 2 errors that stopped a run or a test."""
        outcome = self.outcome
        if outcome is RunOutcome.ERROR:
            return 2
        return 1 if outcome in (RunOutcome.FAIL, RunOutcome.SOFT_FAIL) else 0

    @property
    def counts(self) -> Counts:
        """Policy and case totals; validate-level failures are counted with the advisory ones."""
        totals = dict.fromkeys(Counts.__dataclass_fields__, 0)
        totals["policies"] = len(self.policies)
        for policy in self.policies:
            totals[_POLICY_COUNTER[policy.outcome]] += 1
            if policy.failed:
                totals[_LEVEL_COUNTER[policy.enforcement_level]] += 1
            for case in policy.cases:
                totals["cases"] += 1
                totals[_CASE_COUNTER.get(case.outcome, "cases_errored")] += 1
        return Counts(**totals)

    @property
    def blocking(self) -> list[PolicyResult]:
        """The policies that stop the run (always empty for ``test``)."""
        if self.kind is RunKind.TEST:
            return []
        return [policy for policy in self.policies if policy.blocks(self.override)]
