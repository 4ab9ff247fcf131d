"""Markdown for Terraform Cloud run comments and run-task outcomes (and any other Markdown viewer).

These places are small and shared with humans: the text starts with one summary line, then a table
of policies, then details for failed and erroring policies only (violations first, then output).
Everything is capped (rows, violations, output lines, total lines and characters), with a note of
what was left out, so a policy printing thousands of lines cannot produce an unpostable comment.
Only plain Markdown is used (no HTML blocks), because not every renderer allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Outcome, PolicyResult, RunKind, RunOutcome, RunResult
from .text import summary_line
from .values import format_value, printable

__all__ = ["MarkdownLimits", "markdown_summary", "render_markdown"]

_ICON = {
    RunOutcome.PASS: "✅",
    RunOutcome.WARN: "⚠️",
    RunOutcome.SOFT_FAIL: "❌",
    RunOutcome.FAIL: "❌",
    RunOutcome.ERROR: "💥",
}
_POLICY_ICON = {Outcome.PASS: "✅", Outcome.FAIL: "❌", Outcome.ERROR: "💥", Outcome.SKIPPED: "➖"}


@dataclass(frozen=True)
class MarkdownLimits:
    """Size caps; the defaults keep a comment well under the usual 64 KiB limits."""

    max_lines: int = 250
    max_chars: int = 60_000
    max_rows: int = 50
    max_details: int = 20
    max_violations: int = 10
    max_output_lines: int = 15
    max_value_chars: int = 300


def _cell(text: str) -> str:
    """Text safe inside a table cell: one line, no pipes or HTML."""
    text = " ".join(printable(str(text)).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Inline code that survives backticks in ``text``."""
    text = " ".join(printable(str(text)).split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(lines: list[str]) -> list[str]:
    lines = [printable(line) for line in lines]
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def markdown_summary(run: RunResult, limit: int = 200) -> str:
    """The one-line summary (icon, verdict, counts) cut to ``limit`` characters, e.g. for a run-task message."""
    text = f"{_ICON[run.outcome]} Sentinel {summary_line(run)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(run: RunResult, limits: MarkdownLimits) -> list[str]:
    if not run.policies:
        return ["_No policies were evaluated._"]
    if run.kind is RunKind.APPLY:
        lines = ["| Policy | Level | Result | Violations |", "|---|---|---|---|"]
    else:
        lines = ["| Policy | Result | Cases passed |", "|---|---|---|"]
    # Failed and erroring policies first: if rows are cut, the ones that matter stay.
    ordered = sorted(run.policies, key=lambda p: (p.outcome is Outcome.PASS, p.outcome is Outcome.SKIPPED))
    for policy in ordered[: limits.max_rows]:
        result = f"{_POLICY_ICON[policy.outcome]} {policy.outcome.value}"
        if run.kind is RunKind.APPLY:
            if policy.failed:
                result += " (blocking)" if policy.blocks(run.override) else " (not blocking)"
            lines.append(
                f"| {_code(policy.name)} | {policy.enforcement_level.value} | {result} | {len(policy.violations)} |"
            )
        else:
            passed = sum(case.outcome is Outcome.PASS for case in policy.cases)
            lines.append(f"| {_code(policy.path)} | {result} | {passed}/{len(policy.cases)} |")
    if len(run.policies) > limits.max_rows:
        lines += ["", f"_…and {len(run.policies) - limits.max_rows} more policies._"]
    return lines


def _capped(lines: list[str], limit: int, what: str) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… ({len(lines) - limit} more {what})"]


def _details(policy: PolicyResult, run: RunResult, limits: MarkdownLimits) -> list[str]:
    level = f"{policy.enforcement_level.value}, " if run.kind is RunKind.APPLY else ""
    state = (
        "blocking"
        if policy.blocks(run.override)
        else ("error" if policy.outcome is Outcome.ERROR else "failed")
    )
    lines = [f"#### {_POLICY_ICON[policy.outcome]} {_cell(policy.name)} ({level}{state})", ""]
    if policy.error:
        lines += [*_block(_capped(policy.error.splitlines(), limits.max_output_lines, "lines")), ""]
    if policy.violations:
        shown = policy.violations[: limits.max_violations]
        lines.append("Violations:")
        for violation in shown:
            text = _cell(violation.description)[: limits.max_value_chars]
            lines.append(f"- {_code(violation.address)}" + (f" - {text}" if text else ""))
        if len(policy.violations) > len(shown):
            lines.append(f"- …and {len(policy.violations) - len(shown)} more")
        lines.append("")
    elif policy.outcome is Outcome.FAIL and run.kind is RunKind.APPLY:
        lines += [f"`main` = {_code(format_value(policy.result, limits.max_value_chars))}", ""]
    for case in policy.cases:
        if case.outcome is Outcome.PASS:
            continue
        reasons = case.failures or ([case.error.splitlines()[0]] if case.error else [])
        lines.append(f"- {_POLICY_ICON[case.outcome]} {_code(case.path)}: " + _cell("; ".join(reasons))[:500])
    if policy.cases:
        lines.append("")
    output = [line for entry in policy.prints for line in entry.splitlines()]
    if output:
        lines += ["Output:", *_block(_capped(output, limits.max_output_lines, "lines")), ""]
    return lines


def render_markdown(run: RunResult, limits: MarkdownLimits | None = None) -> str:
    """The run as Markdown within ``limits`` (lines and characters, including the truncation note)."""
    limits = limits or MarkdownLimits()
    lines = [f"### {markdown_summary(run, limit=400)}", ""]
    meta = []
    if run.context.get("run_url"):
        meta.append(f"[Terraform run]({run.context['run_url'].replace(')', '%29').replace(' ', '%20')})")
    if run.policy_set:
        meta.append(f"policy set {_code(run.policy_set)}")
    meta.append(f"engine {_code(f'{run.engine.name} {run.engine.version}'.strip())}")
    if run.override:
        meta.append("soft-mandatory failures overridden")
    lines += [" · ".join(meta), ""]
    if run.error:
        lines += [
            "**Run error:**",
            *_block(_capped(run.error.splitlines(), limits.max_output_lines, "lines")),
            "",
        ]
    lines += [*_table(run, limits), ""]
    failed = [p for p in run.policies if p.outcome in (Outcome.FAIL, Outcome.ERROR)]
    for policy in failed[: limits.max_details]:
        lines += _details(policy, run, limits)
    if len(failed) > limits.max_details:
        lines.append(f"_…details of {len(failed) - limits.max_details} more failed policies left out._")
    while lines and not lines[-1]:
        lines.pop()
    return _fit(lines, limits)


def _fit(lines: list[str], limits: MarkdownLimits) -> str:
    """Cut to the line and character limits, closing an open code fence and saying what was cut."""
    note = "_…report truncated: {} more lines left out; see the full report._"
    text = "\n".join(lines)
    if len(lines) <= limits.max_lines and len(text) <= limits.max_chars:
        return text + "\n"
    keep: list[str] = []
    size = 0
    budget_lines = max(1, limits.max_lines - 2)
    budget_chars = max(0, limits.max_chars - 200)
    for line in lines:
        if len(keep) >= budget_lines or size + len(line) + 1 > budget_chars:
            break
        keep.append(line)
        size += len(line) + 1
    dropped = len(lines) - len(keep)
    open_fence: str | None = None
    for line in keep:
        if open_fence is None and re.fullmatch(r"`{3,}", line):
            open_fence = line
        elif line == open_fence:
            open_fence = None
    if open_fence is not None:
        keep.append(open_fence)
    keep.append(note.format(dropped))
    return "\n".join(keep) + "\n"
