"""The ``sentinel`` CLI's own JSON shapes: ``sentinel test -json`` and ``sentinel apply -json``.

Writers let tools built for the real CLI read our results unchanged; readers turn the real CLI's output
into the report model (the ``sentinel`` binary backend uses them). The shapes follow the published
documentation (design notes, section 16)::

    {"policies": {"p.sentinel": {"path", "status": "PASS"|"FAIL"|"ERROR"|"?", "errors",
      "cases": {"test/p/c.hcl": {"path", "status", "errors",
        "trace": {"description", "error", "print", "result",
                  "rules": {"main": {"desc", "ident", "value", "position": {...}}}},
        "rule_detail", "config_warnings", "config_legacy"}}}}}

    {"can_override", "error", "policies": [{"allowed_failure", "error", "policy", "result", "trace"}],
     "result"}

The exact types of ``errors``, ``rule_detail`` and ``config_legacy`` are not documented precisely, so
the readers accept strings, lists and objects there. Values are plain JSON in these shapes: the
writers turn ``undefined`` and functions into ``null``, as nothing else fits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from .model import (
    AssertionResult,
    CaseResult,
    EnforcementLevel,
    EngineInfo,
    Outcome,
    PolicyResult,
    Position,
    RuleResult,
    RunKind,
    RunOutcome,
    RunResult,
    outcome_from_cases,
)
from .values import format_value, plain_json_value
from .violations import find_violations

__all__ = [
    "SentinelOutputError",
    "from_sentinel_apply",
    "from_sentinel_test",
    "to_sentinel_apply",
    "to_sentinel_apply_json",
    "to_sentinel_test",
    "to_sentinel_test_json",
]

_STATUS = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.ERROR: "ERROR", Outcome.SKIPPED: "?"}
_OUTCOME = {status: outcome for outcome, status in _STATUS.items()}


class SentinelOutputError(ValueError):
    """Output that does not have the documented ``sentinel`` JSON shape."""


# --- writers -----------------------------------------------------------------------------------------


def _position(position: Position | None) -> dict[str, Any] | None:
    if position is None:
        return None
    return {
        "filename": position.filename,
        "offset": position.offset,
        "line": position.line,
        "column": position.column,
    }


def _print_text(prints: list[str]) -> str:
    return "".join(f"{entry}\n" for entry in prints)


def _trace(
    *, description: str, error: str | None, prints: list[str], result: Any, rules: dict[str, RuleResult]
) -> dict[str, Any]:
    return {
        "description": description,
        "error": error,
        "print": _print_text(prints),
        "result": result is True,
        "rules": {
            name: {
                "desc": rule.description,
                "ident": name,
                "value": plain_json_value(rule.value),
                "position": _position(rule.position),
            }
            for name, rule in rules.items()
        },
    }


def _errors(error: str | None) -> list[str] | None:
    return [error] if error else None


def _case(case: CaseResult) -> dict[str, Any]:
    failed = [a for a in case.assertions if not a.passed]
    return {
        "path": case.path,
        "status": _STATUS[case.outcome],
        "errors": _errors(case.error),
        "trace": _trace(
            description=case.description,
            error=case.error,
            prints=case.prints,
            result=case.result,
            rules=case.rules,
        ),
        "rule_detail": {
            a.rule: {
                "expected": plain_json_value(a.expected),
                "actual": plain_json_value(a.actual),
                "message": a.text,
            }
            for a in failed
        }
        or None,
        "config_warnings": list(case.warnings) or None,
        "config_legacy": case.legacy,
    }


def to_sentinel_test(run: RunResult) -> dict[str, Any]:
    """``sentinel test -json`` data for a ``test`` run (policies and cases keyed by display path)."""
    return {
        "policies": {
            policy.path: {
                "path": policy.path,
                "status": _STATUS[policy.outcome],
                "errors": _errors(policy.error),
                "cases": {case.path: _case(case) for case in policy.cases},
            }
            for policy in run.policies
        }
    }


def to_sentinel_test_json(run: RunResult, indent: int | None = 2) -> str:
    return json.dumps(to_sentinel_test(run), indent=indent, ensure_ascii=False) + "\n"


def to_sentinel_apply(run: RunResult) -> dict[str, Any]:
    """``sentinel apply -json`` data for an ``apply`` run; ``result`` is false when something blocks."""
    return {
        "can_override": run.can_override,
        "error": run.error,
        "policies": [
            {
                "allowed_failure": not policy.blocks(run.override),
                "error": policy.error,
                "policy": policy.path,
                "result": policy.outcome is Outcome.PASS,
                "trace": _trace(
                    description=policy.description,
                    error=policy.error,
                    prints=policy.prints,
                    result=policy.result,
                    rules=policy.rules,
                ),
            }
            for policy in run.policies
        ],
        "result": run.outcome in (RunOutcome.PASS, RunOutcome.WARN),
    }


def to_sentinel_apply_json(run: RunResult, indent: int | None = 2) -> str:
    return json.dumps(to_sentinel_apply(run), indent=indent, ensure_ascii=False) + "\n"


# --- readers -----------------------------------------------------------------------------------------


def _load(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise SentinelOutputError(f"sentinel output is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SentinelOutputError("sentinel JSON output is not an object")
    return data


def _text_of(errors: Any) -> str | None:
    """``errors``/``error`` fields: null, a string, a list of strings or objects with a message."""
    if errors in (None, "", [], {}):
        return None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, Mapping):
        for key in ("message", "Message", "error", "Err", "summary"):
            if isinstance(errors.get(key), str):
                return errors[key]
        return json.dumps(errors, sort_keys=True)
    if isinstance(errors, list):
        parts = [_text_of(item) for item in errors]
        return "\n".join(part for part in parts if part) or None
    return str(errors)


def _read_position(data: Any) -> Position | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return Position(
            str(data.get("filename", "")),
            int(data.get("offset", 0)),
            int(data.get("line", 1)),
            int(data.get("column", 1)),
        )
    except (TypeError, ValueError):
        return None


def _read_trace(trace: Any) -> tuple[str, Any, dict[str, RuleResult], list[str], str | None]:
    """(description, result, rules, prints, error) from a trace object (or nothing)."""
    if not isinstance(trace, Mapping):
        return "", None, {}, [], None
    rules: dict[str, RuleResult] = {}
    for name, rule in (trace.get("rules") or {}).items():
        if not isinstance(rule, Mapping):
            continue
        ident = str(rule.get("ident") or name)
        rules[ident] = RuleResult(
            name=ident,
            value=rule.get("value"),
            position=_read_position(rule.get("position")),
            description=str(rule.get("desc") or ""),
        )
    printed = trace.get("print") or ""
    prints = printed.splitlines() if isinstance(printed, str) else [str(p) for p in printed]
    error = _text_of(trace.get("error"))
    # without a traced main: the boolean verdict, unless the evaluation stopped with an error
    fallback = None if error else trace.get("result")
    result = rules["main"].value if "main" in rules else fallback
    return str(trace.get("description") or ""), result, rules, prints, error


def _read_rule_detail(detail: Any) -> list[AssertionResult]:
    if not isinstance(detail, Mapping):
        return []
    assertions = []
    for rule, info in detail.items():
        if isinstance(info, Mapping):
            expected = info.get("expected", info.get("Expected"))
            actual = info.get("actual", info.get("got", info.get("Got", info.get("Actual"))))
            message = _text_of(info.get("message") or info.get("Message")) or ""
        else:
            expected = actual = None
            message = _text_of(info) or ""
        if not message:
            message = f'expected "{rule}" to be {format_value(expected)}, got: {format_value(actual)}'
        assertions.append(AssertionResult(str(rule), expected, actual, passed=False, message=message))
    return assertions


def _status(value: Any, where: str) -> Outcome:
    try:
        return _OUTCOME[str(value).upper()]
    except KeyError:
        raise SentinelOutputError(f"{where}: unknown status {value!r}") from None


def from_sentinel_test(
    data: str | bytes | Mapping[str, Any], *, engine: EngineInfo | None = None
) -> RunResult:
    """A ``test`` run from ``sentinel test -json`` output (times are left to the caller)."""
    document = _load(data)
    policies_data = document.get("policies")
    if not isinstance(policies_data, Mapping):
        raise SentinelOutputError('sentinel test -json output has no "policies" object')
    policies: list[PolicyResult] = []
    for key, entry in policies_data.items():
        if not isinstance(entry, Mapping):
            raise SentinelOutputError(f"policy {key!r}: expected an object")
        path = str(entry.get("path") or key)
        cases: list[CaseResult] = []
        for case_key, case_data in (entry.get("cases") or {}).items():
            if not isinstance(case_data, Mapping):
                raise SentinelOutputError(f"case {case_key!r}: expected an object")
            description, result, rules, prints, trace_error = _read_trace(case_data.get("trace"))
            warnings = case_data.get("config_warnings") or []
            cases.append(
                CaseResult(
                    path=str(case_data.get("path") or case_key),
                    outcome=_status(case_data.get("status"), f"case {case_key!r}"),
                    assertions=_read_rule_detail(case_data.get("rule_detail")),
                    result=result,
                    rules=rules,
                    prints=prints,
                    error=_text_of(case_data.get("errors")) or trace_error,
                    description=description,
                    warnings=[warnings] if isinstance(warnings, str) else [str(w) for w in warnings],
                    legacy=bool(case_data.get("config_legacy")),
                )
            )
        error = _text_of(entry.get("errors"))
        status = entry.get("status")
        outcome = (
            _status(status, f"policy {key!r}") if status is not None else outcome_from_cases(cases, error)
        )
        policies.append(
            PolicyResult(
                name=PurePosixPath(path).stem,
                path=path,
                outcome=outcome,
                error=error,
                cases=cases,
            )
        )
    return RunResult(kind=RunKind.TEST, policies=policies, engine=engine or EngineInfo("sentinel", ""))


def _policy_key(text: str) -> list[str]:
    """Names a ``policy`` entry may be known by: as written, file name, and file name without extension."""
    path = PurePosixPath(text.replace("\\", "/"))
    return [text, path.name, path.stem]


def from_sentinel_apply(
    data: str | bytes | Mapping[str, Any],
    *,
    levels: Mapping[str, EnforcementLevel] | None = None,
    names: Mapping[str, str] | None = None,
    engine: EngineInfo | None = None,
    override: bool = False,
) -> RunResult:
    """An ``apply`` run from ``sentinel apply -json`` output.

    The CLI reports pass/fail per policy but not our enforcement levels; ``levels`` maps a policy name
    (label, file name or file name without ``.sentinel``) to its level, and ``names`` maps the same
    keys to the display name. Unknown policies are advisory when the CLI says ``allowed_failure``,
    hard-mandatory otherwise.
    """
    document = _load(data)
    entries = document.get("policies")
    if entries is None:
        entries = []
    if isinstance(entries, Mapping):  # tolerate a map keyed by policy
        entries = [{"policy": key, **value} for key, value in entries.items() if isinstance(value, Mapping)]
    if not isinstance(entries, list):
        raise SentinelOutputError('sentinel apply -json output has no "policies" list')
    levels = levels or {}
    names = names or {}
    policies: list[PolicyResult] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise SentinelOutputError(f"policies[{index}]: expected an object")
        path = str(entry.get("policy") or f"policy-{index + 1}")
        keys = _policy_key(path)
        level = next((levels[k] for k in keys if k in levels), None)
        if level is None:
            level = (
                EnforcementLevel.ADVISORY if entry.get("allowed_failure") else EnforcementLevel.HARD_MANDATORY
            )
        name = next((names[k] for k in keys if k in names), PurePosixPath(path).stem)
        description, result, rules, prints, trace_error = _read_trace(entry.get("trace"))
        error = _text_of(entry.get("error")) or trace_error
        if error:
            outcome = Outcome.ERROR
        else:
            passed = entry.get("result")
            if passed is None:
                passed = result is True
            outcome = Outcome.PASS if passed is True else Outcome.FAIL
        policy = PolicyResult(
            name=name,
            path=path,
            outcome=outcome,
            enforcement_level=level,
            result=result,
            rules=rules,
            prints=prints,
            error=error,
            description=description,
        )
        if policy.outcome is Outcome.FAIL:
            policy.violations = find_violations(policy.prints, policy.rules, policy.result)
        policies.append(policy)
    return RunResult(
        kind=RunKind.APPLY,
        policies=policies,
        engine=engine or EngineInfo("sentinel", ""),
        override=override,
        error=_text_of(document.get("error")),
    )
