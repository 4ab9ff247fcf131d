"""What the pages show, read from what the pipeline stored: XCom rows in the metadata DB, report files.

``RunPoliciesOperator`` pushes a small ``policy_summary`` XCom (outcome, counts, per-policy
name/level/outcome, report locations) and writes the full reports next to the bundle. The overview
needs only the summaries, so it is one indexed query on the XCom table (plus one for the Terraform run
URLs that ``create_export`` pushed as ``run_url``); a run page adds the JSON reports, read from storage
and parsed with :func:`tfc_sentinel.report.json.from_json`. Nothing is cached in the api-server:
whichever api-server worker answers sees the same rows and files.

Checks are found by their XCom key, not by DAG ID, so any DAG that uses ``RunPoliciesOperator`` (or
several such tasks, mapped or not) shows up. A summary that is not a JSON object (a custom XCom
backend storing a reference, say) is skipped rather than guessed at.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from tfc_sentinel.airflow.comments import XCOM_COMMENT_ID
from tfc_sentinel.airflow.links import XCOM_RUN_URL
from tfc_sentinel.airflow.policies import REPORT_FILES, XCOM_SUMMARY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tfc_sentinel.report.model import RunResult

__all__ = [
    "MAX_CHECKS",
    "MAX_REPORT_BYTES",
    "OUTCOMES",
    "PERIODS",
    "Check",
    "Filters",
    "PolicyRate",
    "PolicyTask",
    "ReportUnavailable",
    "RunView",
    "filter_checks",
    "load_report",
    "load_run",
    "pass_rates",
    "query_checks",
    "read_report_bytes",
    "split_run_url",
]

POLICY_OPERATOR: Final = "RunPoliciesOperator"
OUTCOMES: Final = ("pass", "warn", "soft-fail", "fail", "error")
"""Run outcomes, best to worst (``tfc_sentinel.report.model.RunOutcome``)."""
PERIODS: Final = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "all": None,
}
DEFAULT_PERIOD: Final = "30d"
MAX_CHECKS: Final = 5000
"""At most this many summaries are read for one overview (newest first); the page says when it hit it."""
MAX_REPORT_BYTES: Final = 64 * 1024 * 1024
"""A JSON report larger than this is not parsed for the page (it can still be downloaded)."""
REPORT_KINDS: Final = ("report", "tests")
"""``report``: the policies against the bundle; ``tests``: the set's own test cases (when they ran)."""

_RUN_URL = re.compile(r"/app/(?P<org>[^/]+)/(?:workspaces/)?(?P<workspace>[^/]+)/runs/(?P<run>[^/?#]+)")
_TFC_RUN_ID = re.compile(r"^run-[A-Za-z0-9]+$")


class ReportUnavailable(Exception):
    """A report file cannot be read or parsed; the message says why, for the page."""


def split_run_url(url: str | None) -> tuple[str | None, str | None, str | None]:
    """(organization, workspace, run ID) from a Terraform Cloud run URL, or Nones.

    The pipeline records the run's URL, not its workspace name; both URL shapes Terraform Cloud uses
    (``/app/<org>/<ws>/runs/<id>`` and ``/app/<org>/workspaces/<ws>/runs/<id>``) are understood.
    """
    if not url:
        return None, None, None
    match = _RUN_URL.search(urlsplit(url).path)
    if match is None:
        return None, None, None
    return match["org"], match["workspace"], match["run"]


def safe_url(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL (anything else, e.g. ``javascript:``, is not linked)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Check:
    """One ``RunPoliciesOperator`` result: its XCom summary plus where and when it ran."""

    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    checked_at: datetime
    summary: Mapping[str, Any]
    dag_run_state: str | None = None
    run_url: str | None = None
    tfc_run_id: str | None = None
    organization: str | None = None
    workspace: str | None = None

    @property
    def outcome(self) -> str:
        outcome = self.summary.get("outcome")
        return outcome if isinstance(outcome, str) and outcome else "unknown"

    @property
    def failed(self) -> bool:
        """Whether the check failed its task (at ``fail_on``, or by an error)."""
        return bool(self.summary.get("failed"))

    @property
    def policies(self) -> list[dict[str, str]]:
        """The summary's per-policy rows, keeping only well-formed ones."""
        rows = self.summary.get("policies")
        if not isinstance(rows, list):
            return []
        return [
            {key: str(row.get(key) or "") for key in ("name", "level", "outcome")}
            for row in rows
            if isinstance(row, dict) and isinstance(row.get("name"), str)
        ]

    @property
    def counts(self) -> dict[str, int]:
        counts = self.summary.get("counts")
        if not isinstance(counts, dict):
            return {}
        return {str(k): v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}

    @property
    def tests(self) -> Mapping[str, Any] | None:
        tests = self.summary.get("tests")
        return tests if isinstance(tests, dict) else None

    def report_location(self, kind: str, fmt: str) -> str | None:
        """Where the ``kind`` report (``report`` or ``tests``) in format ``fmt`` was stored, if it was."""
        holder = self.summary if kind == "report" else self.tests
        reports = holder.get("reports") if holder else None
        location = reports.get(fmt) if isinstance(reports, dict) else None
        return location if isinstance(location, str) and location else None

    @property
    def key(self) -> str:
        """Identifies the check within its DAG run (task and map index)."""
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass(frozen=True)
class PolicyTask:
    """A policy-check task instance of a run, for runs whose check has not produced a summary."""

    task_id: str
    map_index: int
    state: str | None


@dataclass
class RunView:
    """A DAG run with its checks, for the "Policy results" tab."""

    dag_id: str
    run_id: str
    state: str | None
    run_after: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    conf: Mapping[str, Any]
    checks: list[Check] = field(default_factory=list)
    tasks: list[PolicyTask] = field(default_factory=list)
    skipped_summaries: int = 0
    comments: list[str] = field(default_factory=list)
    """IDs of the Terraform run comments this DAG run posted (``PostRunCommentOperator``)."""

    @property
    def finished(self) -> bool:
        return self.state in ("success", "failed")


def _summary_value(row: Any) -> Any:
    from airflow.models.xcom import XComModel

    try:
        return XComModel.deserialize_value(row)
    except Exception:  # one unreadable row must not break a page listing hundreds
        return None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _run_urls(session: Session, dag_run_ids: Collection[int]) -> dict[int, str]:
    """The ``run_url`` XCom of each DAG run (pushed by ``create_export`` before it waited)."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    urls: dict[int, str] = {}
    ids = list(dag_run_ids)
    for start in range(0, len(ids), 500):
        stmt = select(XComModel.dag_run_id, XComModel.value).where(
            XComModel.key == XCOM_RUN_URL, XComModel.dag_run_id.in_(ids[start : start + 500])
        )
        for row in session.execute(stmt):
            url = safe_url(_summary_value(row))
            if url:
                urls.setdefault(row.dag_run_id, url)
    return urls


def query_checks(
    session: Session,
    dag_ids: Collection[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    limit: int = MAX_CHECKS,
) -> tuple[list[Check], int]:
    """Checks of the given DAGs, newest first: (checks, summaries skipped as unreadable).

    ``dag_ids`` is the permission filter and is applied in SQL, so checks of DAGs the user may not
    read are never loaded.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    if not dag_ids:
        return [], 0
    stmt = (
        select(
            XComModel.dag_run_id,
            XComModel.dag_id,
            XComModel.run_id,
            XComModel.task_id,
            XComModel.map_index,
            XComModel.value,
            XComModel.timestamp,
            DagRun.state,
            DagRun.conf,
        )
        .join(DagRun, DagRun.id == XComModel.dag_run_id)
        .where(XComModel.key == XCOM_SUMMARY, XComModel.dag_id.in_(sorted(dag_ids)))
    )
    if dag_id is not None:
        stmt = stmt.where(XComModel.dag_id == dag_id)
    if run_id is not None:
        stmt = stmt.where(XComModel.run_id == run_id)
    if since is not None:
        stmt = stmt.where(XComModel.timestamp >= since)
    if until is not None:
        stmt = stmt.where(XComModel.timestamp < until)
    stmt = stmt.order_by(XComModel.timestamp.desc(), XComModel.task_id, XComModel.map_index).limit(limit)
    rows = session.execute(stmt).all()
    urls = _run_urls(session, {row.dag_run_id for row in rows})
    checks: list[Check] = []
    skipped = 0
    for row in rows:
        summary = _summary_value(row)
        if not isinstance(summary, dict):
            skipped += 1
            continue
        url = urls.get(row.dag_run_id)
        organization, workspace, url_run_id = split_run_url(url)
        conf = row.conf if isinstance(row.conf, dict) else {}
        conf_run_id = conf.get("run_id") if isinstance(conf.get("run_id"), str) else None
        tfc_run_id = url_run_id or (conf_run_id if conf_run_id and _TFC_RUN_ID.match(conf_run_id) else None)
        checks.append(
            Check(
                dag_id=row.dag_id,
                dag_run_id=row.run_id,
                task_id=row.task_id,
                map_index=row.map_index,
                checked_at=_aware(row.timestamp) or datetime.now(UTC),
                summary=summary,
                dag_run_state=str(row.state) if row.state is not None else None,
                run_url=url,
                tfc_run_id=tfc_run_id,
                organization=_str(summary.get("organization")) or organization,
                workspace=_str(summary.get("workspace")) or workspace,
            )
        )
    return checks, skipped


def load_run(session: Session, dag_id: str, run_id: str) -> RunView | None:
    """The DAG run with its checks and policy-check task states; ``None`` when there is no such run."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    dag_run = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)).first()
    if dag_run is None:
        return None
    checks, skipped = query_checks(session, {dag_id}, dag_id=dag_id, run_id=run_id)
    checks.sort(key=lambda check: (check.task_id, check.map_index))
    tasks = session.execute(
        select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state)
        .where(
            TaskInstance.dag_id == dag_id,
            TaskInstance.run_id == run_id,
            TaskInstance.operator == POLICY_OPERATOR,
        )
        .order_by(TaskInstance.task_id, TaskInstance.map_index)
    ).all()
    comments = [
        value
        for value in (
            _summary_value(row)
            for row in session.execute(
                select(XComModel.value).where(
                    XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == XCOM_COMMENT_ID
                )
            )
        )
        if isinstance(value, str) and value
    ]
    conf = dag_run.conf if isinstance(dag_run.conf, dict) else {}
    return RunView(
        dag_id=dag_id,
        run_id=run_id,
        state=str(dag_run.state) if dag_run.state is not None else None,
        run_after=_aware(dag_run.run_after),
        start_date=_aware(dag_run.start_date),
        end_date=_aware(dag_run.end_date),
        conf=conf,
        checks=checks,
        tasks=[PolicyTask(t.task_id, t.map_index, str(t.state) if t.state else None) for t in tasks],
        skipped_summaries=skipped,
        comments=comments,
    )


# -- report files ------------------------------------------------------------------------------------------


def report_file_name(kind: str, fmt: str) -> str:
    """``report.json``, ``tests.junit.xml``, ...: the name the operator gave the file."""
    return f"{kind}{REPORT_FILES[fmt]}"


def read_report_bytes(location: str, limit: int | None = None) -> bytes:
    """The stored file's bytes (local path, ``file://`` or an ``ObjectStoragePath`` URL).

    Only locations taken from a check's XCom summary reach this function; the routes never build a
    path from request input.
    """
    try:
        if "://" not in location or location.startswith("file://"):
            path = Path(location.removeprefix("file://"))
            if limit is not None and path.stat().st_size > limit:
                raise ReportUnavailable(f"{path.name} is larger than {limit // (1024 * 1024)} MiB")
            return path.read_bytes()
        from airflow.sdk import ObjectStoragePath

        remote = ObjectStoragePath(location)
        if limit is not None and remote.stat().st_size > limit:
            raise ReportUnavailable(f"{remote.name} is larger than {limit // (1024 * 1024)} MiB")
        return remote.read_bytes()
    except ReportUnavailable:
        raise
    except FileNotFoundError:
        raise ReportUnavailable(
            "the report file is gone (storage cleaned up, or not shared with the api-server)"
        ) from None
    except Exception as exc:
        raise ReportUnavailable(f"the report file cannot be read: {type(exc).__name__}: {exc}") from None


def load_report(location: str) -> RunResult:
    """The JSON report at ``location`` as the report model (``ReportUnavailable`` says why not)."""
    from tfc_sentinel.report.json import from_json

    data = read_report_bytes(location, MAX_REPORT_BYTES)
    try:
        return from_json(data)
    except Exception as exc:
        raise ReportUnavailable(f"the JSON report cannot be read: {exc}") from None


# -- overview filters and pass rates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The overview's filters, as given in the query string (unknown values are ignored)."""

    period: str = DEFAULT_PERIOD
    workspace: str = ""
    outcome: str = ""
    policy: str = ""
    dag_id: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        period = params.get("period", DEFAULT_PERIOD)
        outcome = params.get("outcome", "")
        return cls(
            period=period if period in PERIODS else DEFAULT_PERIOD,
            workspace=params.get("workspace", "").strip(),
            outcome=outcome if outcome in OUTCOMES else "",
            policy=params.get("policy", "").strip(),
            dag_id=params.get("dag_id", "").strip(),
        )

    def since(self, now: datetime) -> datetime | None:
        span = PERIODS[self.period]
        return None if span is None else now - span

    @property
    def active(self) -> bool:
        return bool(self.workspace or self.outcome or self.policy or self.dag_id)


def filter_checks(checks: Iterable[Check], filters: Filters) -> list[Check]:
    """The checks matching the workspace, outcome, policy and DAG filters (the period is applied in SQL)."""
    kept = []
    for check in checks:
        if filters.workspace and (check.workspace or "") != filters.workspace:
            continue
        if filters.outcome and check.outcome != filters.outcome:
            continue
        if filters.dag_id and check.dag_id != filters.dag_id:
            continue
        if filters.policy and all(p["name"] != filters.policy for p in check.policies):
            continue
        kept.append(check)
    return kept


@dataclass(frozen=True)
class PolicyRate:
    """How often one policy passed over the checks shown."""

    name: str
    level: str
    evaluated: int
    passed: int
    failed: int
    errored: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.evaluated if self.evaluated else None


def pass_rates(checks: Sequence[Check], only: str = "") -> list[PolicyRate]:
    """Per policy: passes over evaluations in ``checks`` (skipped policies do not count), worst first.

    The level shown is the one of the newest check (``checks`` is newest first); levels can change.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    levels: dict[str, str] = {}
    for check in checks:
        for policy in check.policies:
            name = policy["name"]
            if only and name != only:
                continue
            levels.setdefault(name, policy["level"])
            counts[name][policy["outcome"]] += 1
    rates = []
    for name, tally in counts.items():
        evaluated = tally["pass"] + tally["fail"] + tally["error"]
        rates.append(PolicyRate(name, levels[name], evaluated, tally["pass"], tally["fail"], tally["error"]))
    return sorted(rates, key=lambda r: (r.rate if r.rate is not None else 2.0, r.name))
