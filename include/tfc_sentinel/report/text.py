"""Terminal output: ``sentinel test``'s layout for ``test``, a similar per-policy listing for ``apply``.

``test`` output follows the CLI so people (and scripts grepping ``^FAIL``) find what they know::

    PASS - restrict-ec2.sentinel
      PASS - test/restrict-ec2/pass.hcl
    FAIL - require-tags.sentinel
      FAIL - test/require-tags/missing.hcl
        expected "main" to be true, got: false

Traces and prints are shown for failing and erroring cases, and for all of them with ``verbose``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import CaseResult, Outcome, PolicyResult, RuleResult, RunKind, RunOutcome, RunResult
from .values import format_value

__all__ = ["render_text", "summary_line"]

_LABEL = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.ERROR: "ERROR", Outcome.SKIPPED: "?"}
_COLOR = {Outcome.PASS: "32", Outcome.FAIL: "31", Outcome.ERROR: "33", Outcome.SKIPPED: "36"}
_VALUE_LIMIT = 2000


def _label(outcome: Outcome, color: bool) -> str:
    text = _LABEL[outcome]
    return f"\x1b[{_COLOR[outcome]}m{text}\x1b[0m" if color else text


def _indent(lines: Iterable[str], spaces: int) -> list[str]:
    pad = " " * spaces
    return [f"{pad}{line}" if line else "" for line in lines]


def _ordered_rules(rules: dict[str, RuleResult]) -> list[RuleResult]:
    """``main`` first, then the others in source order, as the CLI's trace lists them."""
    rest = sorted(
        (rule for name, rule in rules.items() if name != "main"),
        key=lambda r: (r.position.line if r.position else 1 << 30, r.name),
    )
    return ([rules["main"]] if "main" in rules else []) + rest


def _trace(rules: dict[str, RuleResult], verbose: bool) -> list[str]:
    if not rules:
        return []
    lines = ["trace:"]
    for rule in _ordered_rules(rules):
        where = f"{rule.position} - " if rule.position else ""
        lines.append(f'  {where}Rule "{rule.name}"')
        if rule.description:
            lines += ["    Description:", *_indent(rule.description.splitlines(), 6)]
        value = format_value(rule.value, None if verbose else _VALUE_LIMIT)
        lines += ["    Value:", f"      {value}", ""]
    return lines[:-1]


def _prints(prints: list[str]) -> list[str]:
    text = [line for entry in prints for line in entry.splitlines()]
    return ["print:", *_indent(text, 2)] if text else []


def _details(
    *,
    failures: list[str],
    error: str | None,
    rules: dict[str, RuleResult],
    prints: list[str],
    show_trace: bool,
    verbose: bool,
) -> list[str]:
    blocks: list[list[str]] = []
    if error:
        blocks.append(error.splitlines())
    if failures:
        blocks.append(failures)
    if show_trace:
        blocks += [block for block in (_trace(rules, verbose), _prints(prints)) if block]
    lines: list[str] = []
    for block in blocks:
        if lines:
            lines.append("")
        lines += block
    return lines


def _case_lines(case: CaseResult, verbose: bool, color: bool) -> list[str]:
    lines = [f"  {_label(case.outcome, color)} - {case.path}"]
    show = verbose or case.outcome is not Outcome.PASS
    details = _details(
        failures=case.failures,
        error=case.error,
        rules=case.rules,
        prints=case.prints,
        show_trace=show,
        verbose=verbose,
    )
    if show:
        lines += _indent(details, 4)
    for warning in case.warnings:
        lines.append(f"    warning: {warning}")
    return lines


def _test_policy_lines(policy: PolicyResult, verbose: bool, color: bool) -> list[str]:
    lines = [f"{_label(policy.outcome, color)} - {policy.path}"]
    if policy.error:
        lines += _indent(policy.error.splitlines(), 2)
    for case in policy.cases:
        lines += _case_lines(case, verbose, color)
    return lines


def _apply_policy_lines(policy: PolicyResult, verbose: bool, color: bool, override: bool) -> list[str]:
    level = policy.enforcement_level.value
    note = ""
    if policy.failed:
        note = ", blocking" if policy.blocks(override) else ", not blocking"
    lines = [f"{_label(policy.outcome, color)} - {policy.path} ({level}{note})"]
    show = verbose or policy.outcome is not Outcome.PASS
    if not show:
        return lines
    details: list[str] = []
    if policy.violations:
        details.append("violations:")
        details += [
            f"  {v.address}" + (f" - {v.description}" if v.description else "") for v in policy.violations
        ]
    more = _details(
        failures=[],
        error=policy.error,
        rules=policy.rules,
        prints=policy.prints,
        show_trace=True,
        verbose=verbose,
    )
    if details and more:
        details.append("")
    return lines + _indent(details + more, 2)


def summary_line(run: RunResult) -> str:
    """One line: the verdict and the counts, e.g. ``soft-fail: 3 policies, 2 passed, 1 failed (1 soft-mandatory)``."""
    counts = run.counts
    if run.error is not None and not run.policies:
        return f"error: {run.error.splitlines()[0] if run.error else 'run failed'}"
    parts = [
        f"{counts.policies} {'policy' if counts.policies == 1 else 'policies'}",
        f"{counts.passed} passed",
    ]
    if counts.failed:
        parts.append(f"{counts.failed} failed")
    if counts.errored:
        parts.append(f"{counts.errored} errored")
    if counts.skipped:
        parts.append(f"{counts.skipped} without tests")
    text = f"{run.outcome.value}: " + ", ".join(parts)
    if run.kind is RunKind.TEST:
        text += f"; {counts.cases} cases, {counts.cases_passed} passed"
        if counts.cases_failed:
            text += f", {counts.cases_failed} failed"
        if counts.cases_errored:
            text += f", {counts.cases_errored} errored"
    else:
        levels = [
            (counts.hard_mandatory_failed, "hard-mandatory"),
            (counts.soft_mandatory_failed, "soft-mandatory"),
            (counts.advisory_failed, "advisory"),
        ]
        failed = [f"{n} {name}" for n, name in levels if n]
        if failed:
            text += " (failures: " + ", ".join(failed) + ")"
        if run.outcome is RunOutcome.SOFT_FAIL:
            text += "; a soft-mandatory override would let the run continue"
        elif run.override and counts.soft_mandatory_failed:
            text += "; soft-mandatory failures overridden"
    return text


def render_text(
    run: RunResult, *, verbose: bool = False, color: bool = False, summary: bool | None = None
) -> str:
    """The run as terminal text. ``summary`` (default: on for ``apply``) adds :func:`summary_line`."""
    lines: list[str] = []
    if run.error:
        lines += [
            f"Error: {line}" if i == 0 else f"  {line}" for i, line in enumerate(run.error.splitlines())
        ]
    for policy in run.policies:
        if run.kind is RunKind.TEST:
            lines += _test_policy_lines(policy, verbose, color)
        else:
            lines += _apply_policy_lines(policy, verbose, color, run.override)
    if summary if summary is not None else run.kind is RunKind.APPLY:
        if lines:
            lines.append("")
        lines.append(summary_line(run))
    return "\n".join(lines) + ("\n" if lines else "")
