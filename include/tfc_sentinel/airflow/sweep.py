"""Find Terraform runs that need a policy check and hand each to ``tfc_policy_check`` exactly once.

The sweep (``dags/tfc_policy_sweep.py``) runs three tasks:

1. ``find_runs`` (:class:`FindRunsToCheckOperator`): picks the workspaces (names, tags, or every
   workspace of the organization), lists each one's runs newest first since its watermark, and returns
   the IDs of the runs whose plan is finished and exportable and that have no ``tfc_policy_check`` DAG
   run yet;
2. ``trigger_check`` (:class:`TriggerPolicyCheckOperator`, mapped over those IDs): one DAG run
   ``tfc-<run-id>`` with conf ``{"run_id": "<run-id>"}`` each;
3. ``save_watermark`` (:class:`SaveSweepStateOperator`): stores the new watermarks, only when no
   trigger failed, so a failed sweep is simply repeated.

Why it is built like this:

- **One check per run, by construction.** The DAG run ID is ``tfc-<run-id>``; the metadata DB refuses a
  second run with the same ID. ``find_runs`` leaves out runs whose DAG run exists (asked through the
  task SDK, ``ti.get_dr_count``), and the trigger skips on "already exists" (``skip_when_already_exists``)
  for the race where a webhook or a person triggered the same run in between. An existing DAG run
  means "already checked", whatever its state: a failed check is re-run by clearing it, not by a
  second DAG run.
- **Watermarks from Terraform Cloud's own clock.** Each workspace's watermark is the newest
  ``created-at`` the sweep has seen there (a Variable, ``tfc_sentinel_sweep_watermarks``), so clock skew
  between Airflow and Terraform Cloud cannot lose runs. Paging stops at the first run older than the
  watermark. The run at the watermark itself is listed again next time and dropped by the dedup.
- **Runs still planning are remembered, not waited for.** A run whose plan has not finished yet is kept
  in the workspace's ``pending`` list and looked at again (``GET /runs/:id``, not a run-list call) on the
  next sweeps, so the watermark can move on. So are runs beyond ``max_checks`` per sweep.
- **Triggering the Airflow 3 way, without the parse cost.** A task cannot touch the metadata DB in
  Airflow 3; it asks the task runner to create a DAG run by raising the task SDK's
  ``DagRunTriggerException``, which the runner sends to the execution API (``TriggerDagRun``; a 409
  there becomes a skip with ``skip_when_already_exists``). That is all ``TriggerDagRunOperator`` does
  on Airflow 3, but its module imports Airflow's ORM models and SQLAlchemy for its Airflow 2 path,
  adding ~0.7 s to every parse of the DAG file. ``TriggerPolicyCheckOperator`` raises the same
  exception from a module that costs nothing to import, and works under ``dag.test()`` (the in-process
  execution API creates the DAG run in the same metadata DB).
- **Within the run-list rate limit.** Terraform Cloud allows 30 run-list requests per minute per user.
  The sweep asks for 100 runs a page and paces its own run-list calls with a sliding one-minute
  window; a 429 from other users of the same token is still ridden out by the client's retry policy.

Importing this module is cheap (the DAG file imports it): the HTTP client loads when a task runs.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from tfc_sentinel.airflow.hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from tfc_sentinel.tfc import Run, TfcClient, Workspace

CHECK_DAG_ID: Final = "tfc_policy_check"
CONFIG_VARIABLE: Final = "tfc_sentinel_sweep"
WATERMARK_VARIABLE: Final = "tfc_sentinel_sweep_watermarks"
XCOM_STATE: Final = "sweep_state"
XCOM_SUMMARY: Final = "sweep_summary"
PAGE_SIZE: Final = 100
RUN_LIST_LIMIT_PER_MINUTE: Final = 30
DEFAULT_MAX_CHECKS: Final = 50
DEFAULT_LOOKBACK: Final = timedelta(hours=24)
SUMMARY_SKIPPED: Final = 100
# Runs in these states have not planned yet: no need to read their plan to know it is not finished.
PRE_PLAN_STATUSES: Final = frozenset(
    {
        "pending",
        "fetching",
        "fetching_completed",
        "pre_plan_running",
        "pre_plan_completed",
        "queuing",
        "plan_queued",
        "planning",
    }
)
# Every filter[operation] value: asking for all of them brings speculative (plan-only) runs into the
# list, which Terraform Cloud leaves out by default. Their plans get policy checks in Terraform Cloud too.
RUN_OPERATIONS: Final = ("plan_only", "plan_and_apply", "save_plan", "refresh_only", "destroy", "empty_apply")
_MISSING: Final = frozenset({"", "None", "none", "null"})


def check_dag_run_id(run_id: str) -> str:
    """The ``tfc_policy_check`` DAG run ID of a Terraform run: one DAG run per Terraform run."""
    return f"tfc-{run_id}"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (``Z`` accepted); None for None or empty."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RequestPacer:
    """At most ``limit`` calls in any ``window`` seconds: ``wait()`` before each call sleeps as needed.

    A sliding window rather than a fixed rate, so a small sweep runs at full speed and only a sweep that
    would exceed the limit slows down. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        limit: int = RUN_LIST_LIMIT_PER_MINUTE,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("the request limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self.slept = 0.0

    def wait(self) -> None:
        now = self._clock()
        while self._calls and now - self._calls[0] >= self.window:
            self._calls.popleft()
        if len(self._calls) >= self.limit:
            delay = self._calls[0] + self.window - now
            if delay > 0:
                self._sleep(delay)
                self.slept += delay
            now = self._clock()
            self._calls.popleft()
        self._calls.append(now)


@dataclass(frozen=True)
class SweepScope:
    """Which workspaces to sweep: the named ones, else those carrying every tag, else all of the org."""

    organization: str | None = None
    workspaces: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def resolve(cls, *sources: Mapping[str, Any] | None) -> SweepScope:
        """The first non-empty value of each key across ``sources`` (Params, then the Variable)."""
        values: dict[str, Any] = {}
        for source in sources:
            for key in ("organization", "workspaces", "tags"):
                if key not in values and source and not _empty(source.get(key)):
                    values[key] = source[key]
        return cls(
            organization=str(values["organization"]).strip() if "organization" in values else None,
            workspaces=_names(values.get("workspaces"), "workspaces"),
            tags=_names(values.get("tags"), "tags"),
        )

    def describe(self) -> str:
        if self.workspaces:
            return f"workspaces {', '.join(self.workspaces)} of {self.organization}"
        if self.tags:
            return f"workspaces of {self.organization} tagged {', '.join(self.tags)}"
        return f"every workspace of {self.organization}"


def _empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and value.strip() in _MISSING)


def _names(value: Any, what: str) -> tuple[str, ...]:
    """A list of names from a list, or a JSON list, or a comma-separated string."""
    if _empty(value):
        return ()
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise AirflowFailException(f"{what} must be a list of names, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


@dataclass
class WorkspaceState:
    """What the sweep remembers per workspace: the watermark and runs still waiting for their plan."""

    since: str | None = None
    pending: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, value: Any) -> WorkspaceState:
        if isinstance(value, str):  # an older, simpler shape: just the watermark
            return cls(since=value)
        if not isinstance(value, Mapping):
            return cls()
        pending = value.get("pending") or []
        return cls(since=value.get("since"), pending=[p for p in pending if isinstance(p, str)])

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "pending": list(self.pending)}


@dataclass
class SweepResult:
    """What one sweep found: runs to check (oldest first), the new per-workspace state, and why others
    were left out (run ID -> reason)."""

    to_check: list[dict[str, str]] = field(default_factory=list)
    state: dict[str, WorkspaceState] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    workspaces: list[str] = field(default_factory=list)
    run_list_requests: int = 0
    paced_seconds: float = 0.0
    seen: set[str] = field(default_factory=set, repr=False)

    @property
    def run_ids(self) -> list[str]:
        return [item["run_id"] for item in self.to_check]


def select_workspaces(client: TfcClient, scope: SweepScope) -> list[Workspace]:
    """The scope's workspaces. Unknown names are reported, not fatal: one deleted workspace must not stop
    the sweep of the others (the summary lists them)."""
    assert scope.organization is not None
    every = client.list_workspaces(scope.organization)
    if scope.workspaces:
        by_name = {ws.name: ws for ws in every}
        return [by_name[name] for name in scope.workspaces if name in by_name]
    if scope.tags:
        wanted = set(scope.tags)
        return [ws for ws in every if wanted <= set(ws.attributes.get("tag-names") or ())]
    return every


class RunSweeper:
    """Lists and classifies runs; knows nothing of Airflow (``already_checked`` is given)."""

    def __init__(
        self,
        client: TfcClient,
        *,
        already_checked: Callable[[str], bool],
        pacer: RequestPacer | None = None,
        page_size: int = PAGE_SIZE,
        max_checks: int = DEFAULT_MAX_CHECKS,
        include_speculative: bool = True,
        log: Any = None,
    ) -> None:
        self.client = client
        self.operations = RUN_OPERATIONS if include_speculative else ()
        self.already_checked = already_checked
        self.pacer = pacer or RequestPacer()
        self.page_size = page_size
        self.max_checks = max_checks
        self.log = log

    def _info(self, message: str, *args: Any) -> None:
        if self.log is not None:
            self.log.info(message, *args)

    def sweep(
        self,
        workspaces: Sequence[Workspace],
        state: Mapping[str, WorkspaceState],
        *,
        default_since: datetime,
        since_override: datetime | None = None,
    ) -> SweepResult:
        result = SweepResult(workspaces=[ws.name for ws in workspaces])
        found: list[tuple[str, Run, Workspace]] = []
        for ws in workspaces:
            previous = state.get(ws.id, WorkspaceState())
            since = since_override or parse_time(previous.since) or default_since
            new_state = WorkspaceState(since=previous.since or format_time(since))
            self._recheck_pending(ws, previous.pending, result, new_state, found)
            self._list_new(ws, since, result, new_state, found)
            result.state[ws.id] = new_state
        oldest = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda item: (parse_time(item[0]) or oldest, item[1].id))
        for index, (created, run, ws) in enumerate(found):
            if index < self.max_checks:
                result.to_check.append({"run_id": run.id, "workspace": ws.name, "created_at": created})
            else:  # over the per-sweep cap: next sweep
                result.state[ws.id].pending.append(run.id)
                result.skipped[run.id] = f"over max_checks={self.max_checks}; kept for the next sweep"
        for ws_state in result.state.values():
            ws_state.pending = sorted(set(ws_state.pending))
        result.paced_seconds = self.pacer.slept
        return result

    def _recheck_pending(
        self,
        ws: Workspace,
        pending: Iterable[str],
        result: SweepResult,
        new_state: WorkspaceState,
        found: list[tuple[str, Run, Workspace]],
    ) -> None:
        from tfc_sentinel.tfc import NotFoundError

        for run_id in pending:
            try:
                run = self.client.get_run(run_id)
            except NotFoundError:
                result.skipped[run_id] = "run no longer exists"
                continue
            self._classify(ws, run, result, new_state, found)

    def _list_new(
        self,
        ws: Workspace,
        since: datetime,
        result: SweepResult,
        new_state: WorkspaceState,
        found: list[tuple[str, Run, Workspace]],
    ) -> None:
        newest = parse_time(new_state.since)
        requests_before = result.run_list_requests
        page: int | None = 1
        while page:
            self.pacer.wait()
            listing = self.client.list_runs(
                ws.id, page=page, page_size=self.page_size, operations=self.operations
            )
            result.run_list_requests += 1
            older_reached = False
            for run in listing.runs:
                created = parse_time(run.created_at)
                if created is not None and created < since:
                    older_reached = True  # newest first: everything after this is older too
                    break
                if created is not None and (newest is None or created > newest):
                    newest = created
                self._classify(ws, run, result, new_state, found)
            page = None if older_reached else listing.pagination.next_page
        self._info(
            "workspace %s: runs since %s listed in %d request(s)",
            ws.name,
            format_time(since),
            result.run_list_requests - requests_before,
        )
        if newest is not None:
            new_state.since = format_time(newest)

    def _classify(
        self,
        ws: Workspace,
        run: Run,
        result: SweepResult,
        new_state: WorkspaceState,
        found: list[tuple[str, Run, Workspace]],
    ) -> None:
        """Checked already, to check, still planning (pending), or never exportable (skipped)."""
        from tfc_sentinel.tfc import NotFoundError

        if run.id in result.seen:  # a pending run listed again, or a page that shifted
            return
        result.seen.add(run.id)
        if self.already_checked(run.id):
            result.skipped[run.id] = "already checked"
            return
        if not run.plan_id or run.status in PRE_PLAN_STATUSES:
            new_state.pending.append(run.id)
            return
        try:
            plan = self.client.get_plan(run.plan_id)
        except NotFoundError:
            result.skipped[run.id] = f"plan {run.plan_id} not visible"
            return
        blocker = plan.export_blocker()
        if blocker is None:
            found.append((run.created_at or "", run, ws))
        elif plan.status != "finished" and not plan.is_final:
            new_state.pending.append(run.id)
        else:
            result.skipped[run.id] = blocker


def load_state(raw: Any) -> dict[str, WorkspaceState]:
    """The watermark Variable's JSON as per-workspace state; anything unreadable counts as empty."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, Mapping):
        return {}
    workspaces = raw.get("workspaces", raw)
    if not isinstance(workspaces, Mapping):
        return {}
    return {str(ws_id): WorkspaceState.from_json(value) for ws_id, value in workspaces.items()}


def dump_state(state: Mapping[str, WorkspaceState]) -> dict[str, Any]:
    return {"workspaces": {ws_id: value.to_json() for ws_id, value in sorted(state.items())}}


class FindRunsToCheckOperator(BaseOperator):
    """List the runs that need a policy check; return their IDs (oldest first) to map the trigger over.

    Scope: the ``organization``/``workspaces``/``tags`` arguments (DAG Params), else the keys of the
    Variable ``tfc_sentinel_sweep`` (JSON), else the connection's organization and all its workspaces.
    The watermark comes from the Variable ``tfc_sentinel_sweep_watermarks`` unless ``since`` overrides
    it; a workspace swept for the first time starts ``initial_lookback`` ago.

    Pushes XCom ``sweep_state`` (the new watermarks, for ``SaveSweepStateOperator``) and
    ``sweep_summary`` (counts, and why runs were left out).

    :param organization: Terraform Cloud organization; templated.
    :param workspaces: workspace names; templated (a list, a JSON list or a comma-separated string).
    :param tags: workspace tags (a workspace needs all of them); templated.
    :param since: ISO 8601 timestamp overriding every watermark (re-sweep a period); templated.
    :param check_dag_id: the DAG to trigger per run (its DAG runs are the dedup record).
    :param run_list_limit_per_minute: pace for run-list requests (Terraform Cloud's limit is 30).
    :param max_checks: most runs handed on per sweep; the rest wait for the next sweep.
    :param include_speculative: also check speculative (plan-only) runs, which run lists leave out
        unless asked for.
    """

    template_fields: Sequence[str] = ("organization", "workspaces", "tags", "since")
    ui_color = "#e9e4f7"

    def __init__(
        self,
        *,
        organization: str | None = None,
        workspaces: Sequence[str] | str | None = None,
        tags: Sequence[str] | str | None = None,
        since: str | None = None,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        check_dag_id: str = CHECK_DAG_ID,
        page_size: int = PAGE_SIZE,
        run_list_limit_per_minute: int = RUN_LIST_LIMIT_PER_MINUTE,
        max_checks: int = DEFAULT_MAX_CHECKS,
        initial_lookback: timedelta = DEFAULT_LOOKBACK,
        include_speculative: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.organization = organization
        self.workspaces = workspaces
        self.tags = tags
        self.since = since
        self.tfc_conn_id = tfc_conn_id
        self.check_dag_id = check_dag_id
        self.page_size = page_size
        self.run_list_limit_per_minute = run_list_limit_per_minute
        self.max_checks = max_checks
        self.initial_lookback = initial_lookback
        self.include_speculative = include_speculative

    def execute(self, context: Context) -> list[str]:
        from airflow.sdk import Variable

        from tfc_sentinel.airflow.hooks import TerraformCloudHook, task_error
        from tfc_sentinel.tfc import TfcError

        config = Variable.get(CONFIG_VARIABLE, default=None, deserialize_json=True)
        hook = TerraformCloudHook(self.tfc_conn_id)
        scope = SweepScope.resolve(
            {"organization": self.organization, "workspaces": self.workspaces, "tags": self.tags},
            config if isinstance(config, Mapping) else None,
            {"organization": hook.organization},
        )
        if not scope.organization:
            raise AirflowFailException(
                "no organization to sweep: set the DAG param organization, the key organization of the "
                f"Variable {CONFIG_VARIABLE}, or the organization of connection {self.tfc_conn_id!r}"
            )
        since_override = self._since_override()
        state = load_state(Variable.get(WATERMARK_VARIABLE, default=None, deserialize_json=True))
        ti = context["ti"]

        def already_checked(run_id: str) -> bool:
            return ti.get_dr_count(dag_id=self.check_dag_id, run_ids=[check_dag_run_id(run_id)]) > 0

        self.log.info("sweeping %s", scope.describe())
        with hook.get_client() as client:
            try:
                workspaces = select_workspaces(client, scope)
                missing = sorted(set(scope.workspaces) - {ws.name for ws in workspaces})
                if missing:
                    self.log.warning("workspaces not found in %s: %s", scope.organization, ", ".join(missing))
                sweeper = RunSweeper(
                    client,
                    already_checked=already_checked,
                    pacer=RequestPacer(self.run_list_limit_per_minute),
                    page_size=self.page_size,
                    max_checks=self.max_checks,
                    include_speculative=self.include_speculative,
                    log=self.log,
                )
                result = sweeper.sweep(
                    workspaces,
                    state,
                    default_since=datetime.now(UTC) - self.initial_lookback,
                    since_override=since_override,
                )
            except TfcError as exc:
                raise task_error(exc, f"sweeping {scope.describe()}") from exc
        merged = {**state, **result.state}
        ti.xcom_push(key=XCOM_STATE, value=dump_state(merged))
        summary = {
            "scope": scope.describe(),
            "workspaces": result.workspaces,
            "missing_workspaces": missing,
            "to_check": result.run_ids,
            # At most SUMMARY_SKIPPED reasons: XCom stays small however busy the workspaces are.
            "skipped": dict(list(result.skipped.items())[:SUMMARY_SKIPPED]),
            "skipped_count": len(result.skipped),
            "pending": sorted(run for ws in result.state.values() for run in ws.pending),
            "run_list_requests": result.run_list_requests,
            "paced_seconds": round(result.paced_seconds, 3),
        }
        ti.xcom_push(key=XCOM_SUMMARY, value=summary)
        self.log.info(
            "%d run(s) to check: %s; %d left out; %d still planning; %d run-list request(s)",
            len(result.to_check),
            ", ".join(summary["to_check"]) or "none",
            len(result.skipped),
            len(summary["pending"]),
            result.run_list_requests,
        )
        return result.run_ids

    def _since_override(self) -> datetime | None:
        if _empty(self.since):
            return None
        try:
            return parse_time(str(self.since).strip())
        except ValueError:
            raise AirflowFailException(
                f"since {self.since!r} is not an ISO 8601 timestamp (e.g. 2025-01-31T00:00:00Z)"
            ) from None


class TriggerPolicyCheckOperator(BaseOperator):
    """Trigger ``check_dag_id`` for one Terraform run: DAG run ID ``tfc-<run-id>``, conf ``{"run_id": …}``.

    Skipped (not failed) when that DAG run exists already: the run is checked, or being checked. Map it
    over ``FindRunsToCheckOperator``'s output (``.partial(...).expand(tfc_run_id=find.output)``).

    :param tfc_run_id: the Terraform run (``run-…``); templated.
    :param check_dag_id: the per-run DAG.
    """

    template_fields: Sequence[str] = ("tfc_run_id",)
    ui_color = "#ffefeb"

    def __init__(self, *, tfc_run_id: str, check_dag_id: str = CHECK_DAG_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tfc_run_id = tfc_run_id
        self.check_dag_id = check_dag_id

    def execute(self, context: Context) -> None:
        import inspect

        from airflow.sdk.exceptions import DagRunTriggerException

        from tfc_sentinel.airflow.operators import check_run_id

        run_id = check_run_id(self.tfc_run_id)
        dag_run_id = check_dag_run_id(run_id)
        self.log.info("triggering %s with DAG run ID %s", self.check_dag_id, dag_run_id)
        arguments: dict[str, Any] = {
            "trigger_dag_id": self.check_dag_id,
            "dag_run_id": dag_run_id,
            "conf": {"run_id": run_id},
            "logical_date": None,  # identified by the run ID alone, like a manual run
            "reset_dag_run": False,  # never re-run an existing check from here
            "skip_when_already_exists": True,
            "wait_for_completion": False,
            "allowed_states": ["success"],
            "failed_states": ["failed"],
            "poke_interval": 60,
            "deferrable": False,
        }
        accepted = inspect.signature(DagRunTriggerException.__init__).parameters
        raise DagRunTriggerException(**{k: v for k, v in arguments.items() if k in accepted})


class SaveSweepStateOperator(BaseOperator):
    """Store the watermarks ``find_task_id`` computed; run with ``trigger_rule="none_failed"``.

    Writing last, and only when no trigger failed, makes "since the last successful sweep" literal: a
    sweep that failed halfway leaves the old watermarks, and the next sweep finds the same runs again
    (those already triggered are then skipped as checked).
    """

    def __init__(self, *, find_task_id: str = "find_runs", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.find_task_id = find_task_id

    def execute(self, context: Context) -> dict[str, Any] | None:
        from airflow.sdk import Variable

        state = context["ti"].xcom_pull(task_ids=self.find_task_id, key=XCOM_STATE)
        if not isinstance(state, Mapping):
            self.log.warning("no sweep state from %s: watermarks left as they were", self.find_task_id)
            return None
        Variable.set(WATERMARK_VARIABLE, dict(state), serialize_json=True)
        self.log.info("watermarks saved for %d workspace(s)", len(state.get("workspaces", {})))
        return dict(state)
