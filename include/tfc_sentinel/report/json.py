"""The JSON report: a stable, versioned document (``SCHEMA.md`` and ``schema-1.json`` next to this file).

Written by ``--json``/report files, read back by the Airflow UI and by anything else that wants the
results later, so :func:`to_json` and :func:`from_json` round-trip every field of the model. Derived
fields (outcome, counts, exit code, ...) are written for readers' convenience and recomputed, not
trusted, on the way back in.

Versioning: ``schema_version`` is ``"MAJOR.MINOR"``. Adding optional fields bumps MINOR and old readers
keep working (unknown keys are ignored); anything else bumps MAJOR, which :func:`from_json` refuses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Final

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
    RunResult,
    Violation,
)
from .values import from_jsonable, to_jsonable

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "ReportFormatError",
    "from_dict",
    "from_json",
    "json_schema",
    "to_dict",
    "to_json",
]

SCHEMA_NAME: Final = "tfc-sentinel/report"
SCHEMA_VERSION: Final = "1.0"
_MAJOR: Final = SCHEMA_VERSION.split(".")[0]


class ReportFormatError(ValueError):
    """A document is not a tfc-sentinel report this version can read."""


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _position(position: Position | None) -> dict[str, Any] | None:
    if position is None:
        return None
    return {
        "filename": position.filename,
        "offset": position.offset,
        "line": position.line,
        "column": position.column,
    }


def _rules(rules: dict[str, RuleResult]) -> dict[str, Any]:
    return {
        name: {
            "value": to_jsonable(rule.value),
            "position": _position(rule.position),
            "description": rule.description,
        }
        for name, rule in rules.items()
    }


def _case(case: CaseResult) -> dict[str, Any]:
    return {
        "path": case.path,
        "name": case.name,
        "outcome": case.outcome.value,
        "assertions": [
            {
                "rule": a.rule,
                "expected": to_jsonable(a.expected),
                "actual": to_jsonable(a.actual),
                "passed": a.passed,
                "message": a.text,
            }
            for a in case.assertions
        ],
        "failures": case.failures,
        "result": to_jsonable(case.result),
        "rules": _rules(case.rules),
        "prints": list(case.prints),
        "error": case.error,
        "description": case.description,
        "warnings": list(case.warnings),
        "legacy": case.legacy,
        "duration_seconds": round(case.duration, 6),
    }


def _policy(policy: PolicyResult, override: bool, kind: RunKind) -> dict[str, Any]:
    return {
        "name": policy.name,
        "path": policy.path,
        "outcome": policy.outcome.value,
        "enforcement_level": policy.enforcement_level.value,
        "blocking": kind is RunKind.APPLY and policy.blocks(override),
        "result": to_jsonable(policy.result),
        "description": policy.description,
        "rules": _rules(policy.rules),
        "prints": list(policy.prints),
        "error": policy.error,
        "duration_seconds": round(policy.duration, 6),
        "violations": [
            {"address": v.address, "description": v.description, "source": v.source}
            for v in policy.violations
        ],
        "cases": [_case(case) for case in policy.cases],
    }


def to_dict(run: RunResult) -> dict[str, Any]:
    """The report as JSON-ready data (see ``SCHEMA.md``)."""
    counts = run.counts
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "kind": run.kind.value,
        "outcome": run.outcome.value,
        "exit_code": run.exit_code,
        "override": run.override,
        "can_override": run.can_override,
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "duration_seconds": round(run.duration, 6),
        "engine": {"name": run.engine.name, "version": run.engine.version},
        "policy_set": run.policy_set,
        "bundle": run.bundle,
        "context": dict(run.context),
        "error": run.error,
        "counts": {name: getattr(counts, name) for name in counts.__dataclass_fields__},
        "policies": [_policy(policy, run.override, run.kind) for policy in run.policies],
    }


def to_json(run: RunResult, indent: int | None = 2) -> str:
    """The report as JSON text (UTF-8 safe; non-ASCII kept as is)."""
    return json.dumps(to_dict(run), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _read_position(data: Any) -> Position | None:
    if not data:
        return None
    return Position(str(data["filename"]), int(data["offset"]), int(data["line"]), int(data["column"]))


def _read_rules(data: dict[str, Any]) -> dict[str, RuleResult]:
    return {
        name: RuleResult(
            name=name,
            value=from_jsonable(rule.get("value")),
            position=_read_position(rule.get("position")),
            description=rule.get("description") or "",
        )
        for name, rule in (data or {}).items()
    }


def _read_assertion(data: dict[str, Any]) -> AssertionResult:
    assertion = AssertionResult(
        rule=data["rule"],
        expected=from_jsonable(data.get("expected")),
        actual=from_jsonable(data.get("actual")),
        passed=bool(data["passed"]),
    )
    message = data.get("message") or ""
    if message != assertion.text:  # the default wording is derived, keep only real overrides
        assertion.message = message
    return assertion


def _read_case(data: dict[str, Any]) -> CaseResult:
    return CaseResult(
        path=data["path"],
        outcome=Outcome(data["outcome"]),
        assertions=[_read_assertion(a) for a in data.get("assertions", [])],
        result=from_jsonable(data.get("result")),
        rules=_read_rules(data.get("rules", {})),
        prints=list(data.get("prints", [])),
        error=data.get("error"),
        description=data.get("description") or "",
        warnings=list(data.get("warnings", [])),
        legacy=bool(data.get("legacy", False)),
        duration=float(data.get("duration_seconds", 0.0)),
    )


def _read_policy(data: dict[str, Any]) -> PolicyResult:
    return PolicyResult(
        name=data["name"],
        path=data["path"],
        outcome=Outcome(data["outcome"]),
        enforcement_level=EnforcementLevel(data.get("enforcement_level", "advisory")),
        result=from_jsonable(data.get("result")),
        rules=_read_rules(data.get("rules", {})),
        prints=list(data.get("prints", [])),
        error=data.get("error"),
        description=data.get("description") or "",
        duration=float(data.get("duration_seconds", 0.0)),
        violations=[
            Violation(v["address"], v.get("description", ""), v.get("source", ""))
            for v in data.get("violations", [])
        ],
        cases=[_read_case(case) for case in data.get("cases", [])],
    )


def from_dict(data: Any) -> RunResult:
    """Read a report produced by :func:`to_dict` (any ``1.x`` version)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
        raise ReportFormatError(f'not a tfc-sentinel report (expected "schema": {SCHEMA_NAME!r})')
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != _MAJOR:
        raise ReportFormatError(
            f"report schema version {version!r} is not supported (this tfc-sentinel reads {_MAJOR}.x); "
            "upgrade tfc-sentinel or re-create the report"
        )
    try:
        engine = data.get("engine") or {}
        return RunResult(
            kind=RunKind(data["kind"]),
            policies=[_read_policy(policy) for policy in data.get("policies", [])],
            started_at=_parse_time(data["started_at"]),
            finished_at=_parse_time(data["finished_at"]),
            engine=EngineInfo(engine.get("name", "unknown"), engine.get("version", "")),
            override=bool(data.get("override", False)),
            error=data.get("error"),
            policy_set=data.get("policy_set"),
            bundle=data.get("bundle"),
            context={str(k): str(v) for k, v in (data.get("context") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportFormatError(f"malformed tfc-sentinel report: {exc!r}") from exc


def from_json(text: str | bytes) -> RunResult:
    """Read a JSON report; :class:`ReportFormatError` for anything else."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportFormatError(f"report is not JSON: {exc}") from exc
    return from_dict(data)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the current major version, shipped as ``schema-1.json``."""
    text = resources.files(__package__).joinpath(f"schema-{_MAJOR}.json").read_text(encoding="utf-8")
    return json.loads(text)
