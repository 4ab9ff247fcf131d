"""Report a policy check back to the Terraform Cloud run task that asked for it (tfc-api.md section 12).

When a run task starts ``tfc_policy_check`` (through :mod:`tfc_sentinel.webhooks`), the DAG run's conf
carries ``run_task``: the task result's ID and stage, when the request arrived, and a **sealed grant**,
the task's access token and callback URL encrypted together with Airflow's Fernet key. Two tasks use it:

- :class:`ReportRunTaskResultOperator` (``report_run_task``, a teardown after ``run_policies``): sends the
  final ``passed``/``failed`` with a one-line message, a link to the run's "Policy results" tab and one
  outcome per policy (Markdown body, tags by severity). It runs whatever happened before it: a check that
  could not run is reported ``failed`` with the task that broke, so Terraform Cloud is never left
  waiting for a verdict that will not come.
- :class:`RunTaskWatchdogOperator` (``run_task_watchdog``, parallel to the pipeline, deferred to
  :class:`RunTaskWatchdogTrigger`): while the check runs longer than ``[tfc_sentinel]
  run_task_running_after`` seconds (default 60) the triggerer sends ``running`` progress; if no verdict
  went out ``[tfc_sentinel] run_task_deadline`` seconds (default 540) after the request arrived, it sends
  ``failed`` itself, because Terraform Cloud errors a result whose final status has not arrived within
  10 minutes. Waiting in the triggerer holds no worker slot. (A reschedule-mode sensor was tried first:
  with short intervals the LocalExecutor's late "success" event for one poke failed the next poke.)

Both skip at once in DAG runs not started by a run task (no ``run_task`` param).

Why the grant is sealed and not just the token:

- The access token is a credential: it must never appear in clear in the DAG run's conf, XCom, rendered
  fields, logs or the UI. Only the task that calls back decrypts it, and masks it before anything logs.
- Sealing the callback URL *with* the token means nobody who can trigger a DAG run can replay a sealed
  token against a URL of their choice: the token is only ever sent to the URL it arrived with (which the
  receiver checked against the allowed Terraform Cloud origins). The URL may carry a query code, so it
  is a secret too.
- Fernet is what Airflow already uses for connection passwords; api-server and workers share the key.

Importing this module is cheap (DAG files import it): HTTP, the report model and the crypto load when a
task runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from tfc_sentinel.airflow.hooks import DEFAULT_CONN_ID
from tfc_sentinel.airflow.policies import SECTION, XCOM_SUMMARY

if TYPE_CHECKING:
    from airflow.sdk import Context

    from tfc_sentinel.report.model import PolicyResult, RunResult
    from tfc_sentinel.tfc import TfcClient

__all__ = [
    "GRANT_VERSION",
    "XCOM_TASK_RESULT_STATUS",
    "GrantError",
    "PolicyOutcome",
    "ReportRunTaskResultOperator",
    "RunTaskGrant",
    "RunTaskInfo",
    "RunTaskWatchdogOperator",
    "RunTaskWatchdogTrigger",
    "build_outcomes",
    "open_grant",
    "parse_run_task",
    "results_url",
    "seal_grant",
    "verdict",
]

GRANT_VERSION: Final = 1
XCOM_TASK_RESULT_STATUS: Final = "task_result_status"
PIPELINE_TASK_IDS: Final = ("create_export", "wait_for_export", "download_bundle", "run_policies")
RUN_TAB_ROUTE: Final = "policy_results"
"""The "Policy results" tab's ``url_route`` (``tfc_sentinel.ui.RUN_TAB_ROUTE``; the ui layer sits below
this one, so the value is repeated here and a test keeps the two equal)."""
DEFAULT_RUNNING_AFTER: Final = 60.0
DEFAULT_DEADLINE: Final = 540.0
DEFAULT_CHECK_INTERVAL: Final = 5.0
MIN_CHECK_INTERVAL: Final = 0.5
MESSAGE_MAX: Final = 1000
DESCRIPTION_MAX: Final = 200
BODY_MAX: Final = 60_000
"""Characters of one outcome body: far under Terraform Cloud's 1 MB recommendation, enough for the
violations and output of one policy (the full report is one click away)."""
MAX_VIOLATIONS: Final = 50
MAX_OUTPUT_LINES: Final = 40
FINISHED_STATES: Final = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
_MISSING: Final = frozenset({"", "None", "none", "null"})


# -- the sealed grant --------------------------------------------------------------------------------------


class GrantError(Exception):
    """The sealed grant cannot be made or opened (no Fernet key, another key, tampered or malformed)."""


@dataclass(frozen=True)
class RunTaskGrant:
    """What a callback needs and nobody else may see: never in ``repr``, logs or XCom."""

    access_token: str = field(repr=False)
    callback_url: str = field(repr=False)
    task_result_id: str
    run_id: str


def _fernet() -> Any:
    from airflow.sdk.crypto import get_fernet

    try:
        fernet = get_fernet()
    except Exception as exc:  # a malformed key: say which setting, never the key
        raise GrantError(
            f"Airflow's Fernet key cannot be used ({type(exc).__name__}); check [core] fernet_key"
        ) from None
    if not fernet.is_encrypted:
        raise GrantError(
            "Airflow has no Fernet key ([core] fernet_key), so a run task's access token cannot be kept "
            "encrypted; set the same fernet_key on the api-server and the workers"
        )
    return fernet


def seal_grant(grant: RunTaskGrant) -> str:
    """The grant encrypted and authenticated with Airflow's Fernet key (text safe for JSON)."""
    document = {
        "v": GRANT_VERSION,
        "access_token": grant.access_token,
        "callback_url": grant.callback_url,
        "task_result_id": grant.task_result_id,
        "run_id": grant.run_id,
    }
    return _fernet().encrypt(json.dumps(document).encode("utf-8")).decode("ascii")


def open_grant(sealed: str) -> RunTaskGrant:
    """Decrypt a sealed grant; GrantError (without any secret in it) when that is impossible."""
    fernet = _fernet()
    try:
        document = json.loads(fernet.decrypt(sealed.encode("ascii")))
    except Exception:
        raise GrantError(
            "the run task's sealed grant cannot be decrypted: it was sealed with another Fernet key "
            "(api-server and workers must share [core] fernet_key) or it was altered"
        ) from None
    if not isinstance(document, dict) or document.get("v") != GRANT_VERSION:
        raise GrantError("the run task's sealed grant has an unknown format")
    try:
        return RunTaskGrant(
            access_token=str(document["access_token"]),
            callback_url=str(document["callback_url"]),
            task_result_id=str(document["task_result_id"]),
            run_id=str(document["run_id"]),
        )
    except KeyError:
        raise GrantError("the run task's sealed grant is incomplete") from None


# -- the DAG param -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunTaskInfo:
    """The ``run_task`` DAG param: nothing secret in clear, the grant sealed."""

    task_result_id: str
    sealed_grant: str = field(repr=False)
    received_at: datetime | None = None
    stage: str | None = None
    enforcement_level: str | None = None

    def to_conf(self) -> dict[str, Any]:
        return {
            "task_result_id": self.task_result_id,
            "stage": self.stage,
            "enforcement_level": self.enforcement_level,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "grant": self.sealed_grant,
        }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_run_task(value: Any) -> RunTaskInfo | None:
    """The ``run_task`` param (a dict, or its JSON text after templating); None when the DAG run was not
    started by a run task. A present but malformed value fails the task: it cannot be reported."""
    if value is None or (isinstance(value, str) and value.strip() in _MISSING):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise AirflowFailException("the run_task param is not valid JSON") from None
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise AirflowFailException("the run_task param must be an object set by the run-task receiver")
    task_result_id, sealed = value.get("task_result_id"), value.get("grant")
    if not isinstance(task_result_id, str) or not isinstance(sealed, str) or not sealed:
        raise AirflowFailException("the run_task param needs task_result_id and grant (set by the receiver)")
    return RunTaskInfo(
        task_result_id=task_result_id,
        sealed_grant=sealed,
        received_at=_parse_time(value.get("received_at")),
        stage=value.get("stage") if isinstance(value.get("stage"), str) else None,
        enforcement_level=value.get("enforcement_level")
        if isinstance(value.get("enforcement_level"), str)
        else None,
    )


# -- verdict, message, outcomes ----------------------------------------------------------------------------


def results_url(dag_id: str, dag_run_id: str) -> str | None:
    """The DAG run's "Policy results" tab in the Airflow UI, from ``[api] base_url`` (None when unset:
    Airflow cannot guess the address Terraform Cloud users reach it at)."""
    from airflow.sdk import conf

    base = (conf.get("api", "base_url", fallback="") or "").strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        return None
    return f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(dag_run_id, safe='')}/plugin/{RUN_TAB_ROUTE}"


def _one_line(text: str, limit: int = MESSAGE_MAX) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def verdict(summary: Mapping[str, Any] | None, failed_tasks: Sequence[str] = ()) -> tuple[str, str]:
    """(``passed`` | ``failed``, one-line message) from ``run_policies``' XCom summary.

    No summary means the check did not run to the end: that is ``failed``, naming the task that broke,
    never ``passed``. The verdict follows the summary's ``failed`` flag, so it agrees with ``fail_on``
    and with the ``run_policies`` task's own state.
    """
    if not isinstance(summary, Mapping):
        where = f" ({', '.join(failed_tasks)} failed)" if failed_tasks else ""
        return "failed", _one_line(
            f"Sentinel policy check could not run{where}; see the Airflow run for details"
        )
    counts = summary.get("counts") if isinstance(summary.get("counts"), Mapping) else {}
    total, passed = int(counts.get("policies", 0) or 0), int(counts.get("passed", 0) or 0)
    policies = [p for p in summary.get("policies") or [] if isinstance(p, Mapping)]
    levels = {str(p.get("name")): str(p.get("level")) for p in policies}
    failing = [str(p.get("name")) for p in policies if p.get("outcome") in ("fail", "error")]
    blocking = [str(name) for name in summary.get("blocking") or []]
    tally = f"{passed} of {total} policies passed"
    if summary.get("error"):
        return "failed", _one_line(f"Sentinel policy check could not run: {summary['error']}")
    if blocking:
        names = ", ".join(f"{name} ({levels.get(name, '?')})" for name in blocking)
        return "failed", _one_line(f"Sentinel: {tally}; failing at fail_on={summary.get('fail_on')}: {names}")
    if summary.get("failed"):
        tests = summary.get("tests") if isinstance(summary.get("tests"), Mapping) else {}
        reason = (
            f"the policy set's own tests {tests.get('outcome', 'failed')}" if tests else "the check failed"
        )
        return "failed", _one_line(f"Sentinel: {tally}; {reason}")
    others = f" (not blocking: {', '.join(failing)})" if failing else ""
    return "passed", _one_line(f"Sentinel: {tally}{others}")


@dataclass(frozen=True)
class PolicyOutcome:
    """One task-result outcome: a policy, its verdict and tags (``Status`` by severity, ``Enforcement
    level``). The same ``to_json`` shape as ``tfc_sentinel.tfc.models.TaskResultOutcome``, which carries
    one tag only; not a subclass, so this module (imported by DAG files) does not load the HTTP client."""

    outcome_id: str
    description: str
    body: str = ""
    url: str | None = None
    tags: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"outcome-id": self.outcome_id, "description": self.description}
        if self.body:
            attributes["body"] = self.body
        if self.url:
            attributes["url"] = self.url
        if self.tags:
            attributes["tags"] = self.tags
        return {"type": "task-result-outcomes", "attributes": attributes}


def _severity(outcome: str, blocking: bool) -> tuple[str, str]:
    """(label, tag level): a failure that fails the check is an error, one that does not a warning."""
    if outcome == "pass":
        return "Passed", "none"
    if outcome == "error":
        return "Error", "error"
    if outcome == "fail":
        return ("Failed", "error") if blocking else ("Failed (not blocking)", "warning")
    return outcome.capitalize() or "Unknown", "info"


def _code(text: str) -> str:
    from tfc_sentinel.report.values import printable

    text = " ".join(printable(str(text)).split()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str) -> str:
    """One line of text safe in Markdown: no HTML, no line breaks."""
    from tfc_sentinel.report.values import printable

    return " ".join(printable(str(text)).split()).replace("<", "&lt;").replace(">", "&gt;")


def _fenced(lines: list[str], limit: int) -> list[str]:
    from tfc_sentinel.report.values import printable

    shown = [printable(line) for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"… ({len(lines) - limit} more lines)")
    fence = "`" * max(3, max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0) + 1)
    return [fence, *shown, fence]


def _policy_body(
    policy: PolicyResult | None, entry: Mapping[str, Any], blocking: bool, link: str | None
) -> str:
    """The outcome's Markdown: verdict and level, then errors, violations and output of that policy."""
    from tfc_sentinel.report.values import format_value

    outcome, level = str(entry.get("outcome", "?")), str(entry.get("level", "?"))
    label, _ = _severity(outcome, blocking)
    lines = [
        f"**{label}**, enforcement level {_code(level)}" + (": fails this check" if blocking else ""),
        "",
    ]
    if policy is not None:
        if policy.description:
            lines += [_plain(policy.description), ""]
        if policy.error:
            lines += ["Error:", *_fenced(policy.error.splitlines(), MAX_OUTPUT_LINES), ""]
        if policy.violations:
            lines.append(f"Violations ({len(policy.violations)}):")
            for violation in policy.violations[:MAX_VIOLATIONS]:
                text = _plain(violation.description)[:300]
                lines.append(f"- {_code(violation.address)}" + (f": {text}" if text else ""))
            if len(policy.violations) > MAX_VIOLATIONS:
                lines.append(f"- … and {len(policy.violations) - MAX_VIOLATIONS} more")
            lines.append("")
        elif outcome == "fail":
            lines += [f"`main` = {_code(format_value(policy.result, 300))}", ""]
        output = [line for text in policy.prints for line in text.splitlines()]
        if output:
            lines += ["Output:", *_fenced(output, MAX_OUTPUT_LINES), ""]
    if link:
        lines.append(f"[All policy results in Airflow]({link})")
    body = "\n".join(lines).rstrip() + "\n"
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 80].rstrip() + "\n\n_…cut; the full report is in Airflow._\n"
    return body


def _description(policy: PolicyResult | None, outcome: str) -> str:
    if policy is not None and policy.error and outcome == "error":
        return _one_line(
            f"error: {policy.error.splitlines()[0] if policy.error.splitlines() else policy.error}",
            DESCRIPTION_MAX,
        )
    if policy is not None and policy.violations:
        first = policy.violations[0]
        more = f" (+{len(policy.violations) - 1} more)" if len(policy.violations) > 1 else ""
        text = f"{first.address}: {first.description}" if first.description else first.address
        return _one_line(text + more, DESCRIPTION_MAX)
    if policy is not None and policy.description:
        return _one_line(policy.description, DESCRIPTION_MAX)
    return {"pass": "passed", "fail": "failed", "error": "errored"}.get(outcome, outcome or "unknown")


def build_outcomes(
    summary: Mapping[str, Any], report: RunResult | None, link: str | None
) -> list[PolicyOutcome]:
    """One outcome per policy of the summary (failing ones first), with details from the full report
    when it could be read. Outcome IDs are the policy names, made unique."""
    by_name = {p.name: p for p in report.policies} if report is not None else {}
    blocking = {str(name) for name in summary.get("blocking") or []}
    entries = [p for p in summary.get("policies") or [] if isinstance(p, Mapping)]
    entries.sort(key=lambda p: (p.get("outcome") == "pass", p.get("outcome") == "skipped"))
    outcomes: list[PolicyOutcome] = []
    seen: set[str] = set()
    for entry in entries:
        name = str(entry.get("name") or "policy")
        outcome_id, n = name, 2
        while outcome_id in seen:
            outcome_id, n = f"{name}-{n}", n + 1
        seen.add(outcome_id)
        policy = by_name.get(name)
        label, level = _severity(str(entry.get("outcome")), name in blocking)
        tags = {
            "Status": [{"label": label, "level": level}],
            "Enforcement level": [{"label": str(entry.get("level", "?")), "level": "none"}],
        }
        outcomes.append(
            PolicyOutcome(
                outcome_id=outcome_id[:100],
                description=_description(policy, str(entry.get("outcome"))),
                body=_policy_body(policy, entry, name in blocking, link),
                url=link,
                tags=tags,
            )
        )
    return outcomes


def _read_report(summary: Mapping[str, Any]) -> RunResult | None:
    """The full JSON report ``run_policies`` stored next to the bundle, or None if it cannot be read."""
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

    from tfc_sentinel.report.json import ReportFormatError, from_json

    reports = summary.get("reports")
    location = reports.get("json") if isinstance(reports, Mapping) else None
    if not isinstance(location, str) or not location:
        return None
    try:
        if "://" not in location or location.startswith("file://"):
            text = Path(location.removeprefix("file://")).read_text(encoding="utf-8")
        else:
            text = ObjectStoragePath(location).read_text(encoding="utf-8")
        return from_json(text)
    except (OSError, ValueError, ReportFormatError):
        return None


# -- sending -----------------------------------------------------------------------------------------------


def _client(tfc_conn_id: str, callback_url: str) -> TfcClient:
    """A client with the Terraform Cloud connection's TLS and retry settings but **no** API token: the
    callback authenticates with the run task's own token, and the API token must never go with it.
    Without a usable connection, plain defaults for the callback's host."""
    import dataclasses

    from tfc_sentinel.airflow.hooks import TerraformCloudHook
    from tfc_sentinel.tfc import TfcClient, TfcConfig

    try:
        config = dataclasses.replace(TerraformCloudHook(tfc_conn_id).config, token="")
    except Exception:  # the callback must not depend on the export connection being healthy
        from urllib.parse import urlsplit

        parts = urlsplit(callback_url)
        config = TfcConfig(host=f"{parts.scheme}://{parts.netloc}", user_agent="tfc-sentinel-airflow")
    return TfcClient(config)


def send_task_result(
    grant: RunTaskGrant,
    status: str,
    message: str,
    *,
    url: str | None = None,
    outcomes: Sequence[PolicyOutcome] = (),
    tfc_conn_id: str = DEFAULT_CONN_ID,
) -> bool:
    """PATCH the callback; True when Terraform Cloud took it, False when the result was already final
    (409: the other task, or an earlier try of this one, already sent a final status)."""
    from tfc_sentinel.airflow.hooks import task_error
    from tfc_sentinel.tfc import ConflictError, TfcError

    with _client(tfc_conn_id, grant.callback_url) as client:
        try:
            client.update_task_result(grant.callback_url, grant.access_token, status, message, url, outcomes)
        except ConflictError:
            return False
        except TfcError as exc:
            raise task_error(exc, f"reporting {status!r} to run task result {grant.task_result_id}") from exc
    return True


def _open(info: RunTaskInfo, context: Context) -> RunTaskGrant:
    """Decrypt the grant and mask its secrets before anything can log them. The grant must be for this
    DAG run's task result and Terraform run: a sealed grant copied into another DAG run's conf (with
    another run to check) must not carry that run's verdict to the original task result."""
    from airflow.sdk.log import mask_secret

    try:
        grant = open_grant(info.sealed_grant)
    except GrantError as exc:
        raise AirflowFailException(str(exc)) from None
    mask_secret(grant.access_token)
    mask_secret(grant.callback_url)
    if grant.task_result_id != info.task_result_id:
        raise AirflowFailException("the run task's sealed grant belongs to another task result")
    params = context.get("params") or {}
    if grant.run_id != str(params.get("run_id", "")).strip():
        raise AirflowFailException(
            f"the run task's sealed grant is for Terraform run {grant.run_id}, not for this DAG run's "
            f"run_id {params.get('run_id')!r}"
        )
    return grant


def _task_states(context: Context, task_ids: Sequence[str]) -> dict[str, str | None]:
    """States of this DAG run's tasks (through the task SDK; a task cannot read the metadata DB)."""
    ti = context["ti"]
    run_id = str(context["run_id"])
    found = ti.get_task_states(dag_id=ti.dag_id, run_ids=[run_id], task_ids=list(task_ids))
    states = found.get(run_id, {}) if isinstance(found, Mapping) else {}
    return {task_id: states.get(task_id) for task_id in task_ids}


def _setting(name: str, default: float) -> float:
    from airflow.sdk import conf

    try:
        value = float(conf.get(SECTION, name, fallback=str(default)) or default)
    except ValueError:
        return default
    return value if value >= 0 else default


# -- the tasks ---------------------------------------------------------------------------------------------


class ReportRunTaskResultOperator(BaseOperator):
    """Send the check's verdict to the run task that started it (``passed``/``failed`` with outcomes).

    Use it as a teardown after the policy task, so it runs whatever happened. It skips at once when the
    DAG run was not started by a run task. A 409 (already final: the watchdog's deadline verdict, or an
    earlier try) is success. Returns and pushes as XCom ``task_result_status`` the status it sent.

    :param run_task: the ``run_task`` DAG param (``"{{ params.run_task | tojson }}"``); templated.
    :param policy_task_id: the ``RunPoliciesOperator`` task whose summary and report to send.
    :param pipeline_task_ids: the tasks before it, named in the message when the check did not finish.
    :param tfc_conn_id: the ``terraform_cloud`` connection whose TLS settings the callback uses (its API
        token is not sent).
    """

    template_fields: Sequence[str] = ("run_task",)
    ui_color = "#efe4f7"

    def __init__(
        self,
        *,
        run_task: Any = None,
        policy_task_id: str = "run_policies",
        pipeline_task_ids: Sequence[str] = PIPELINE_TASK_IDS,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_task = run_task
        self.policy_task_id = policy_task_id
        self.pipeline_task_ids = tuple(pipeline_task_ids)
        self.tfc_conn_id = tfc_conn_id

    def execute(self, context: Context) -> str:
        info = parse_run_task(self.run_task)
        if info is None:
            raise AirflowSkipException("this DAG run was not started by a run task: nothing to report")
        grant = _open(info, context)
        ti = context["ti"]
        summary = ti.xcom_pull(task_ids=self.policy_task_id, key=XCOM_SUMMARY)
        failed_tasks: list[str] = []
        if not isinstance(summary, Mapping):
            states = _task_states(context, self.pipeline_task_ids)
            failed_tasks = [t for t, s in states.items() if s in ("failed", "upstream_failed")][:1]
        status, message = verdict(summary if isinstance(summary, Mapping) else None, failed_tasks)
        link = results_url(context["dag"].dag_id, str(context["run_id"]))
        outcomes = (
            build_outcomes(summary, _read_report(summary), link) if isinstance(summary, Mapping) else []
        )
        if link is None:
            self.log.warning("[api] base_url is not set: the result carries no link to the Airflow results")
        took = send_task_result(
            grant, status, message, url=link, outcomes=outcomes, tfc_conn_id=self.tfc_conn_id
        )
        if took:
            self.log.info(
                "reported %s to run task result %s (%d outcomes): %s",
                status,
                grant.task_result_id,
                len(outcomes),
                message,
            )
        else:
            self.log.info("run task result %s was already final; nothing more to send", grant.task_result_id)
        ti.xcom_push(key=XCOM_TASK_RESULT_STATUS, value=status if took else "already-final")
        return status


class RunTaskWatchdogOperator(BaseOperator):
    """Keep Terraform Cloud informed while the check runs, and never let its 10-minute limit pass.

    Runs next to the pipeline and defers at once to :class:`RunTaskWatchdogTrigger`, so the waiting
    happens in the triggerer: no worker slot is held and no task process starts per look. The trigger
    sends ``running`` while the check takes longer than ``running_after`` seconds (again every
    ``running_after`` seconds), and ``failed`` ``deadline`` seconds after the run-task request arrived
    if no verdict went out by then. It ends as soon as the report task has finished. Skips at once in
    DAG runs not started by a run task. If the report task fails, the watchdog sends ``failed`` in its
    place and fails too: the report is a teardown, which does not decide the DAG run's state, so this is
    what makes an undelivered verdict visible there.

    ``dag.test()`` runs triggers inline, before the tasks after it: there the watchdog waits until its
    deadline (use ``mark_success_pattern`` to leave it out). A real triggerer runs it beside the pipeline.

    :param run_task: the ``run_task`` DAG param; templated.
    :param report_task_id: the :class:`ReportRunTaskResultOperator` task.
    :param running_after, deadline, check_interval: seconds; default ``[tfc_sentinel]
        run_task_running_after`` (60), ``run_task_deadline`` (540) and ``run_task_check_interval`` (5,
        how often the trigger asks whether the report task has finished).
    """

    template_fields: Sequence[str] = ("run_task",)
    ui_color = "#f7e4ef"

    def __init__(
        self,
        *,
        run_task: Any = None,
        report_task_id: str = "report_run_task",
        running_after: float | None = None,
        deadline: float | None = None,
        check_interval: float | None = None,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_task = run_task
        self.report_task_id = report_task_id
        self.running_after = running_after
        self.deadline = deadline
        self.check_interval = check_interval
        self.tfc_conn_id = tfc_conn_id

    def _limits(self) -> tuple[float, float, float]:
        running_after = (
            self.running_after
            if self.running_after is not None
            else _setting("run_task_running_after", DEFAULT_RUNNING_AFTER)
        )
        deadline = (
            self.deadline if self.deadline is not None else _setting("run_task_deadline", DEFAULT_DEADLINE)
        )
        interval = (
            self.check_interval
            if self.check_interval is not None
            else _setting("run_task_check_interval", DEFAULT_CHECK_INTERVAL)
        )
        return max(MIN_CHECK_INTERVAL, running_after), deadline, max(MIN_CHECK_INTERVAL, interval)

    def execute(self, context: Context) -> None:
        info = parse_run_task(self.run_task)
        if info is None:
            raise AirflowSkipException("this DAG run was not started by a run task: nothing to watch")
        _open(info, context)  # fail now, not minutes later in the triggerer, when the grant cannot be opened
        running_after, deadline, interval = self._limits()
        received = info.received_at or datetime.now(UTC)
        self.defer(
            trigger=RunTaskWatchdogTrigger(
                dag_id=context["dag"].dag_id,
                dag_run_id=str(context["run_id"]),
                report_task_id=self.report_task_id,
                task_result_id=info.task_result_id,
                sealed_grant=info.sealed_grant,
                received_at=received.timestamp(),
                running_after=running_after,
                deadline=deadline,
                check_interval=interval,
                link=results_url(context["dag"].dag_id, str(context["run_id"])),
                tfc_conn_id=self.tfc_conn_id,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> str:
        from airflow.sdk.exceptions import AirflowException

        if not isinstance(event, Mapping):
            raise AirflowException("the watchdog trigger ended without an event")
        outcome = str(event.get("outcome"))
        if outcome == "error":
            raise AirflowException(str(event.get("message") or "the watchdog failed"))
        if outcome == "report-failed":
            sent = "sent failed in its place" if event.get("sent") else "the result was already final"
            raise AirflowException(
                f"{self.report_task_id} ended {event.get('state')} without reporting the verdict; the watchdog {sent}"
            )
        if outcome == "deadline":
            self.log.warning(
                "the check did not finish %.0f s after the run-task request: reported failed to Terraform Cloud",
                float(event.get("elapsed") or 0),
            )
        else:
            self.log.info("watch over: %s (%s)", outcome, event.get("state"))
        return outcome


class RunTaskWatchdogTrigger(BaseTrigger):
    """Wait in the triggerer: send ``running`` while the check runs long, ``failed`` at the deadline.

    It asks Airflow (through the task SDK, as the standard provider's ``WorkflowTrigger`` does) whether
    the report task has finished, every ``check_interval`` seconds; one cheap API call, no task process.
    The sealed grant is opened only here and in the report task; the token stays in memory. A 409 from
    Terraform Cloud means the verdict is already there: the watch is over.
    """

    def __init__(
        self,
        dag_id: str,
        dag_run_id: str,
        report_task_id: str,
        task_result_id: str,
        sealed_grant: str,
        received_at: float,
        running_after: float,
        deadline: float,
        check_interval: float,
        link: str | None = None,
        tfc_conn_id: str = DEFAULT_CONN_ID,
    ) -> None:
        super().__init__()
        self.dag_id = dag_id
        self.dag_run_id = dag_run_id
        self.report_task_id = report_task_id
        self.task_result_id = task_result_id
        self.sealed_grant = sealed_grant
        self.received_at = float(received_at)
        self.running_after = float(running_after)
        self.deadline = float(deadline)
        self.check_interval = float(check_interval)
        self.link = link
        self.tfc_conn_id = tfc_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "dag_id": self.dag_id,
                "dag_run_id": self.dag_run_id,
                "report_task_id": self.report_task_id,
                "task_result_id": self.task_result_id,
                "sealed_grant": self.sealed_grant,
                "received_at": self.received_at,
                "running_after": self.running_after,
                "deadline": self.deadline,
                "check_interval": self.check_interval,
                "link": self.link,
                "tfc_conn_id": self.tfc_conn_id,
            },
        )

    def __repr__(self) -> str:  # the sealed grant is ciphertext, but it has no business in a log line
        return (
            f"{type(self).__name__}(task_result_id={self.task_result_id!r}, dag_run_id={self.dag_run_id!r})"
        )

    async def _report_state(self) -> str | None:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
        from asgiref.sync import sync_to_async

        found = await sync_to_async(RuntimeTaskInstance.get_task_states)(
            dag_id=self.dag_id, task_ids=[self.report_task_id], run_ids=[self.dag_run_id]
        )
        states = found.get(self.dag_run_id, {}) if isinstance(found, Mapping) else {}
        return states.get(self.report_task_id)

    async def _send(self, grant: RunTaskGrant, status: str, message: str) -> bool:
        """PATCH the callback from the triggerer; False on 409 (already final)."""
        import dataclasses
        from urllib.parse import urlsplit

        from tfc_sentinel.airflow.hooks import TerraformCloudHook
        from tfc_sentinel.tfc import AsyncTfcClient, ConflictError, TfcConfig

        try:
            config = dataclasses.replace(await TerraformCloudHook(self.tfc_conn_id).aget_config(), token="")
        except Exception:  # the callback must not depend on the export connection being healthy
            parts = urlsplit(grant.callback_url)
            config = TfcConfig(host=f"{parts.scheme}://{parts.netloc}", user_agent="tfc-sentinel-airflow")
        async with AsyncTfcClient(config) as client:
            try:
                await client.update_task_result(
                    grant.callback_url, grant.access_token, status, message, self.link
                )
            except ConflictError:
                return False
        return True

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            event = await self._watch()
        except Exception as exc:  # one terminal event whatever happens; CancelledError passes through
            from tfc_sentinel.tfc import TfcError

            reason = str(exc) if isinstance(exc, TfcError | GrantError) else type(exc).__name__
            event = {
                "outcome": "error",
                "message": f"watching run task result {self.task_result_id}: {reason}",
            }
        yield TriggerEvent(event)

    async def _watch(self) -> dict[str, Any]:
        import asyncio
        import time

        grant: RunTaskGrant | None = None
        next_running = self.received_at + self.running_after
        while True:
            state = await self._report_state()
            if state in ("success", "skipped"):
                return {"outcome": "reported", "state": state}
            if (
                state in FINISHED_STATES
            ):  # the report gave up: one last try, so Terraform Cloud is not left waiting
                grant = grant or await asyncio.to_thread(open_grant, self.sealed_grant)
                message = "Sentinel policy check: the verdict could not be reported from Airflow; see the Airflow run"
                took = await self._send(grant, "failed", message)
                return {"outcome": "report-failed", "state": state, "sent": took}
            now = time.time()
            elapsed = now - self.received_at
            if elapsed >= self.deadline:
                grant = grant or await asyncio.to_thread(open_grant, self.sealed_grant)
                message = (
                    f"Sentinel policy check did not finish within {self.deadline / 60:.0f} minutes of the run "
                    "task request; reported failed before Terraform Cloud's 10-minute limit. See Airflow."
                )
                took = await self._send(grant, "failed", message)
                return {"outcome": "deadline" if took else "already-final", "elapsed": elapsed}
            if now >= next_running:
                grant = grant or await asyncio.to_thread(open_grant, self.sealed_grant)
                if not await self._send(
                    grant, "running", f"Sentinel policy check running in Airflow for {elapsed:.0f} s"
                ):
                    return {"outcome": "already-final", "elapsed": elapsed}
                self.log.info("reported running to run task result %s (%.0f s)", self.task_result_id, elapsed)
                next_running = now + self.running_after
            wake = min(self.received_at + self.deadline, next_running, now + self.check_interval)
            await asyncio.sleep(max(0.05, wake - time.time()))
