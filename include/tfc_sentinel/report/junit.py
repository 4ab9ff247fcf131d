"""JUnit XML for CI systems (Jenkins, GitLab, GitHub Actions reporters, Azure Pipelines).

Uses the common shape those tools read (``testsuites > testsuite > testcase`` with ``failure``,
``error``, ``skipped``, ``system-out`` and ``properties``):

* ``apply``: one suite for the policy set, one testcase per policy. A failed policy is a ``failure``
  whose ``type`` is its enforcement level and whose message says whether it blocks the run; an
  erroring policy is an ``error``.
* ``test``: one suite per policy, one testcase per case; a policy-level error (e.g. a syntax error)
  is an ``error`` testcase, a policy without cases a ``skipped`` one.

Text from policies (prints, values, errors) may hold characters XML 1.0 cannot carry at all (NUL,
ANSI escapes); they are written as visible ``\\xNN`` escapes rather than breaking the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC

from .model import CaseResult, Outcome, PolicyResult, RuleResult, RunKind, RunResult
from .text import summary_line
from .values import format_value, printable

__all__ = ["render_junit"]

_VALUE_LIMIT = 4000
_MESSAGE_LIMIT = 500


def clean(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids (and DEL) replaced by visible escapes."""
    return printable(text)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: clean(value) for key, value in attributes.items()})
    if text:
        element.text = clean(text)
    return element


def _message(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= _MESSAGE_LIMIT else first[: _MESSAGE_LIMIT - 1] + "…"


def _trace_text(rules: dict[str, RuleResult]) -> str:
    lines = [f"{name} = {format_value(rule.value, _VALUE_LIMIT)}" for name, rule in rules.items()]
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.6f}"


def _apply_case(suite: ET.Element, suite_name: str, policy: PolicyResult, override: bool) -> str:
    case = _element(
        suite,
        "testcase",
        name=policy.name,
        classname=f"{suite_name}.{policy.name}",
        file=policy.path,
        time=_seconds(policy.duration),
    )
    level = policy.enforcement_level.value
    kind = ""
    if policy.outcome is Outcome.ERROR:
        kind = "error"
        _element(
            case,
            "error",
            policy.error or "",
            message=_message(f"{level} policy errored: {policy.error or 'error'}"),
            type=level,
        )
    elif policy.outcome is Outcome.FAIL:
        kind = "failure"
        blocking = "blocking" if policy.blocks(override) else "not blocking"
        body = []
        if policy.violations:
            body.append("violations:")
            body += [
                f"  {v.address}" + (f" - {v.description}" if v.description else "") for v in policy.violations
            ]
        trace = _trace_text(policy.rules)
        if trace:
            body += ["rules:", trace]
        _element(
            case,
            "failure",
            "\n".join(body),
            message=f"{level} policy failed ({blocking}): main = {format_value(policy.result, 200)}",
            type=level,
        )
    elif policy.outcome is Outcome.SKIPPED:
        kind = "skipped"
        _element(case, "skipped", message="not evaluated")
    if policy.prints:
        _element(case, "system-out", "\n".join(policy.prints))
    return kind


def _test_case(suite: ET.Element, policy: PolicyResult, case: CaseResult) -> str:
    element = _element(
        suite, "testcase", name=case.path, classname=policy.path, file=case.path, time=_seconds(case.duration)
    )
    if case.outcome is Outcome.ERROR:
        _element(element, "error", case.error or "", message=_message(case.error or "error"), type="error")
        kind = "error"
    elif case.outcome is Outcome.FAIL:
        failures = case.failures or ["policy result did not match the expected rules"]
        body = "\n".join([*failures, "", _trace_text(case.rules)]).strip()
        _element(element, "failure", body, message=_message(failures[0]), type="assertion")
        kind = "failure"
    else:
        kind = ""
    if case.prints:
        _element(element, "system-out", "\n".join(case.prints))
    if case.warnings:
        _element(element, "system-err", "\n".join(f"warning: {w}" for w in case.warnings))
    return kind


def _suite(parent: ET.Element, name: str, timestamp: str) -> ET.Element:
    return _element(parent, "testsuite", name=name, timestamp=timestamp)


def _count(suite: ET.Element, kinds: list[str], time: float) -> None:
    suite.set("tests", str(len(kinds)))
    suite.set("failures", str(kinds.count("failure")))
    suite.set("errors", str(kinds.count("error")))
    suite.set("skipped", str(kinds.count("skipped")))
    suite.set("time", _seconds(time))


def render_junit(run: RunResult) -> str:
    """The run as a JUnit XML document (UTF-8, with an XML declaration)."""
    timestamp = run.started_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    root = ET.Element("testsuites", {"name": clean(f"tfc-sentinel {run.kind.value}")})
    all_kinds: list[str] = []
    if run.kind is RunKind.APPLY:
        suite_name = run.policy_set or "policies"
        suite = _suite(root, suite_name, timestamp)
        properties = _element(suite, "properties")
        values = {
            "outcome": run.outcome.value,
            "summary": summary_line(run),
            "engine": f"{run.engine.name} {run.engine.version}".strip(),
            "override": str(run.override).lower(),
            **({"bundle": run.bundle} if run.bundle else {}),
            **{f"context.{key}": value for key, value in run.context.items()},
        }
        for key, value in values.items():
            _element(properties, "property", name=key, value=value)
        kinds = [_apply_case(suite, suite_name, policy, run.override) for policy in run.policies]
        if run.error:
            case = _element(suite, "testcase", name="(run)", classname=suite_name, time="0.000000")
            _element(case, "error", run.error, message=_message(run.error), type="run")
            kinds.append("error")
        _count(suite, kinds, sum(policy.duration for policy in run.policies))
        all_kinds += kinds
    else:
        if run.error:
            suite = _suite(root, "(run)", timestamp)
            case = _element(suite, "testcase", name="(run)", classname="(run)", time="0.000000")
            _element(case, "error", run.error, message=_message(run.error), type="run")
            _count(suite, ["error"], 0.0)
            all_kinds.append("error")
        for policy in run.policies:
            suite = _suite(root, policy.path, timestamp)
            kinds: list[str] = []
            if policy.error:
                case = _element(suite, "testcase", name=policy.path, classname=policy.path, time="0.000000")
                _element(case, "error", policy.error, message=_message(policy.error), type="policy")
                kinds.append("error")
            kinds += [_test_case(suite, policy, case) for case in policy.cases]
            if not policy.cases and not policy.error:
                case = _element(
                    suite, "testcase", name="(no test cases)", classname=policy.path, time="0.000000"
                )
                _element(case, "skipped", message="no test cases found")
                kinds.append("skipped")
            _count(suite, kinds, sum(case.duration for case in policy.cases))
            all_kinds += kinds
    root.set("tests", str(len(all_kinds)))
    root.set("failures", str(all_kinds.count("failure")))
    root.set("errors", str(all_kinds.count("error")))
    root.set("skipped", str(all_kinds.count("skipped")))
    root.set("time", _seconds(run.duration))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
