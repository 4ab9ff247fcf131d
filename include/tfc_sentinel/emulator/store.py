"""In-memory Terraform Cloud state: who may see what, runs and plans, and the plan-export state machine.

One re-entrant lock guards everything. Request handlers run in a thread pool, and export transitions
happen lazily on reads (the clock decides the state; nothing runs in the background), so every public
method takes the lock.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tfc_sentinel.emulator.clock import Clock, isoformat
from tfc_sentinel.emulator.config import EmulatorConfig
from tfc_sentinel.emulator.errors import BadSeed, Conflict, EmulatorError, Invalid, NotFound, Unauthorized
from tfc_sentinel.emulator.fixtures import parse_document
from tfc_sentinel.emulator.models import (
    FINAL_TASK_STATUSES,
    LIVE_EXPORT_STATUSES,
    BlobGrant,
    Comment,
    Organization,
    Plan,
    PlanExport,
    Run,
    TaskResult,
    User,
    Workspace,
    new_id,
)

if TYPE_CHECKING:
    from tfc_sentinel.emulator.notifications import Delivery, NotificationConfiguration
    from tfc_sentinel.emulator.runtasks import RunTask, WorkspaceTask

# (outcome, error message) for a plan's next export; None means "finish normally".
OutcomeLookup = Callable[[str], tuple[str, str | None] | None]
ArchiveBuilder = Callable[[Mapping[str, Any], Mapping[str, Any] | None], bytes]
# Checks a callback body and returns the attributes to change (status, and message, url, outcomes if sent).
TaskResultParser = Callable[[Any], dict[str, Any]]

DUPLICATE_EXPORT = "a plan export of this data-type is already pending or downloadable"
DEFAULT_ERROR_MESSAGE = "the sentinel mock bundle could not be generated (emulated failure)"


def _default_archive_builder(plan: Mapping[str, Any], run: Mapping[str, Any] | None) -> bytes:
    # Imported late: the bundle writer is only needed once an export finishes.
    from tfc_sentinel.bundle import build_bundle_archive

    return build_bundle_archive(plan, run)


class Store:
    """Users, organizations, workspaces, runs, plans, exports, comments, blob grants and task results."""

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Clock,
        outcome_for: OutcomeLookup | None = None,
        archive_builder: ArchiveBuilder | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.outcome_for: OutcomeLookup = outcome_for or (lambda plan_id: None)
        self.build_archive: ArchiveBuilder = archive_builder or _default_archive_builder
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.organizations: dict[str, Organization] = {}
            self.users: dict[str, User] = {}
            self.tokens: dict[str, str] = {}  # token -> user id
            self.workspaces: dict[str, Workspace] = {}
            self.runs: dict[str, Run] = {}
            self.plans: dict[str, Plan] = {}
            self.exports: dict[str, PlanExport] = {}
            self.comments: dict[str, Comment] = {}
            self.blobs: dict[str, BlobGrant] = {}
            self.deleted_exports = 0
            self.task_results: dict[str, TaskResult] = {}
            self.task_tokens: dict[str, str] = {}  # access token -> task result id
            # Outbound webhooks (emulator/notifications.py, emulator/runtasks.py): what is subscribed,
            # and every delivery made since the last reset.
            self.notification_configs: dict[str, NotificationConfiguration] = {}
            self.run_tasks: dict[str, RunTask] = {}
            self.workspace_tasks: dict[str, WorkspaceTask] = {}
            self.deliveries: list[Delivery] = []
            # Every blob secret ever handed out since the last reset (grants are dropped on delete and
            # expiry): what a leak scan looks for in logs, XCom and reports.
            self.granted_blob_secrets: list[str] = []

    # -- seeding ---------------------------------------------------------------------------------------

    def load(self, document: Mapping[str, Any]) -> dict[str, list[str]]:
        """Add the records of a fixture or seed document; return the IDs (and names) it created.

        Everything is checked before anything is added, so a bad document leaves the store unchanged.
        """
        with self.lock:
            parsed = parse_document(document, self)
            for org in parsed.organizations:
                self.organizations[org.name] = org
            for user, tokens in parsed.users:
                self.users[user.id] = user
                self.tokens.update(dict.fromkeys(tokens, user.id))
            for ws in parsed.workspaces:
                self.workspaces[ws.id] = ws
            for run, plan in parsed.runs:
                self.runs[run.id] = run
                self.plans[plan.id] = plan
            return parsed.summary()

    def add_token(self, token: str, username: str) -> None:
        """Accept ``token`` for ``username``; an empty name means the first seeded user (CLI ``--token``)."""
        with self.lock:
            users = list(self.users.values())
            user = next((u for u in users if username in (u.username, u.id)), None)
            if not username and users:
                user = users[0]
            if user is None:
                raise BadSeed(f"token for unknown user {username!r}; known: {sorted(self.usernames())}")
            self.tokens[token] = user.id

    def usernames(self) -> list[str]:
        return [u.username for u in self.users.values()]

    # -- authentication and visibility ----------------------------------------------------------------

    def user_for_token(self, token: str | None) -> User | None:
        with self.lock:
            user_id = self.tokens.get(token) if token else None
            return self.users.get(user_id) if user_id else None

    def revoke_token(self, token: str) -> bool:
        """Stop accepting ``token`` (a user revoked it mid-run); True if it was valid. ``reset`` restores it."""
        with self.lock:
            return self.tokens.pop(token, None) is not None

    def tokens_of(self, user_id: str) -> list[str]:
        with self.lock:
            return [token for token, owner in self.tokens.items() if owner == user_id]

    def organization(self, user: User, name: str) -> Organization:
        with self.lock:
            org = self.organizations.get(name)
            if org is None or name not in user.organizations:
                raise NotFound(f"organization {name!r} not found")
            return org

    def visible_organizations(self, user: User) -> list[Organization]:
        with self.lock:
            return [self.organizations[name] for name in user.organizations if name in self.organizations]

    def workspace(self, user: User, workspace_id: str) -> Workspace:
        with self.lock:
            ws = self.workspaces.get(workspace_id)
            if ws is None or ws.organization not in user.organizations:
                raise NotFound(f"workspace {workspace_id!r} not found")
            return ws

    def workspace_by_name(self, user: User, org_name: str, name: str) -> Workspace:
        with self.lock:
            self.organization(user, org_name)
            for ws in self.workspaces.values():
                if ws.organization == org_name and ws.name == name:
                    return ws
            raise NotFound(f"workspace {name!r} not found in organization {org_name!r}")

    def workspaces_of(self, user: User, org_name: str) -> list[Workspace]:
        with self.lock:
            self.organization(user, org_name)
            return sorted(
                (ws for ws in self.workspaces.values() if ws.organization == org_name), key=lambda w: w.name
            )

    def run(self, user: User, run_id: str) -> Run:
        with self.lock:
            run = self.runs.get(run_id)
            if run is None or self.workspaces[run.workspace_id].organization not in user.organizations:
                raise NotFound(f"run {run_id!r} not found")
            return run

    def runs_of_workspace(self, user: User, workspace_id: str) -> list[Run]:
        with self.lock:
            self.workspace(user, workspace_id)
            return self._newest_first(r for r in self.runs.values() if r.workspace_id == workspace_id)

    def runs_of_organization(self, user: User, org_name: str) -> list[Run]:
        with self.lock:
            self.organization(user, org_name)
            return self._newest_first(
                r for r in self.runs.values() if self.workspaces[r.workspace_id].organization == org_name
            )

    @staticmethod
    def _newest_first(runs: Iterable[Run]) -> list[Run]:
        return sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)

    def plan(self, user: User, plan_id: str) -> Plan:
        with self.lock:
            plan = self.plans.get(plan_id)
            if plan is None:
                raise NotFound(f"plan {plan_id!r} not found")
            self.run(user, plan.run_id)  # visibility follows the run's workspace
            return plan

    def workspace_of_plan(self, plan: Plan) -> Workspace:
        with self.lock:
            return self.workspaces[self.runs[plan.run_id].workspace_id]

    def can_export(self, plan: Plan) -> bool:
        return self.workspace_of_plan(plan).can("can-download-sentinel-mocks")

    # -- plan exports ----------------------------------------------------------------------------------

    def export(self, user: User, export_id: str) -> PlanExport:
        with self.lock:
            export = self.exports.get(export_id)
            if export is None:
                raise NotFound(f"plan export {export_id!r} not found")
            self.plan(user, export.plan_id)
            return export

    def create_export(self, user: User, plan_id: str, data_type: str) -> PlanExport:
        """Start an export, with the checks of tfc-api.md section 5 in Terraform Cloud's order."""
        with self.lock:
            plan = self.plan(user, plan_id)
            if not self.can_export(plan):
                # Missing "download Sentinel mocks" permission: forbidden, which Terraform Cloud hides as 404.
                raise NotFound(f"plan {plan_id!r} not found")
            if not plan.is_exportable:
                raise Invalid(
                    f"plan {plan_id!r} is not exportable (status {plan.status!r}); "
                    "only finished plans can be exported",
                    pointer="/data/relationships/plan/data/id",
                )
            if any(
                self.export_status(self.exports[eid]) in LIVE_EXPORT_STATUSES
                for eid in plan.exports
                if self.exports[eid].data_type == data_type
            ):
                raise Invalid(DUPLICATE_EXPORT, pointer="/data/attributes/data-type")
            outcome, message = self.outcome_for(plan_id) or (None, None)
            export = PlanExport(
                id=new_id("pe"),
                plan_id=plan_id,
                data_type=data_type,
                created_at=self.clock.now(),
                delay=self.config.export_delay,
                pending=self.config.pending_state,
                outcome=outcome,
                error_message=message,
            )
            self.exports[export.id] = export
            plan.exports.append(export.id)
            return export

    def delete_export(self, user: User, export_id: str) -> None:
        with self.lock:
            export = self.export(user, export_id)
            del self.exports[export_id]
            self.plans[export.plan_id].exports.remove(export_id)
            self.blobs = {s: g for s, g in self.blobs.items() if g.export_id != export_id}
            self.deleted_exports += 1

    def export_status(self, export: PlanExport) -> str:
        """The export's status now, settling any transition the clock has passed."""
        with self.lock:
            now = self.clock.now()
            self._settle(export, now)
            if export.outcome in ("errored", "canceled") and export.ended_at is not None:
                return export.outcome
            if export.expired_at is not None:
                return "expired" if now >= export.expired_at else "finished"
            if export.pending and now < export.created_at + export.delay / 2:
                return "pending"
            return "queued"

    def _settle(self, export: PlanExport, now: float) -> None:
        """Record the end of an export once its delay has passed: finish (building the archive) or fail.

        Expiry is fixed here, from the expiry configured when the export finishes (not when it was
        created), as Terraform Cloud sets ``expired-at`` at finish time.
        """
        end = export.created_at + export.delay
        if export.ended_at is not None or export.outcome == "stuck" or now < end:
            return
        export.ended_at = end
        if export.outcome == "errored":
            export.error_message = export.error_message or DEFAULT_ERROR_MESSAGE
            return
        if export.outcome == "canceled":
            return
        try:
            export.archive = self.build_archive(*self._bundle_inputs(export))
        except Exception as exc:  # a plan the writer rejects errors the export, as Terraform Cloud would
            export.outcome = "errored"
            export.error_message = f"building the mock bundle failed: {exc}"
            return
        export.expired_at = end + self.config.export_expiry

    def _bundle_inputs(self, export: PlanExport) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        plan = self.plans[export.plan_id]
        run = self.runs[plan.run_id]
        ws = self.workspaces[run.workspace_id]
        assert plan.plan_json is not None  # only exportable plans get exports
        run_meta = {
            "id": run.id,
            "created_at": isoformat(run.created_at),
            "message": run.message,
            "commit_sha": run.commit_sha,
            "speculative": run.plan_only,
            "is_destroy": run.is_destroy,
            "refresh_only": run.refresh_only,
            "target_addrs": list(run.target_addrs) or None,
            "variables": _tfrun_variables(plan.plan_json, run),
            "organization": {"name": ws.organization},
            "workspace": {
                "id": ws.id,
                "name": ws.name,
                "created_at": isoformat(ws.created_at),
                "description": ws.description,
                "execution_mode": ws.execution_mode,
                "auto_apply": ws.auto_apply,
                "tags": list(ws.tags),
                "working_directory": ws.working_directory,
                "vcs_repo": ws.vcs_repo,
            },
            "cost_estimate": run.cost_estimate,
        }
        return plan.plan_json, run_meta

    def export_timestamps(self, export: PlanExport) -> dict[str, str]:
        """``status-timestamps`` with only the moments already reached (section 5)."""
        with self.lock:
            status = self.export_status(export)
            stamps: dict[str, float] = {}
            if export.pending:
                stamps["pending-at"] = export.created_at
                if status != "pending":
                    stamps["queued-at"] = export.created_at + export.delay / 2
            else:
                stamps["queued-at"] = export.created_at
            if export.ended_at is not None:
                end_name = {"errored": "errored-at", "canceled": "canceled-at"}.get(export.outcome or "")
                stamps[end_name or "finished-at"] = export.ended_at
            if export.expired_at is not None:
                stamps["expired-at"] = export.expired_at
            return {name: isoformat(moment) for name, moment in stamps.items()}

    def grant_blob(self, user: User, export_id: str) -> str:
        """A fresh blob secret for a finished export (``/download``); NotFound in any other state."""
        with self.lock:
            export = self.export(user, export_id)
            status = self.export_status(export)
            if status != "finished" or export.archive is None:
                raise NotFound(f"plan export {export_id!r} has nothing to download (status {status})")
            secret = secrets.token_urlsafe(32)
            self.granted_blob_secrets.append(secret)
            self.blobs[secret] = BlobGrant(
                export.id, export.archive, self.clock.now() + self.config.blob_url_ttl
            )
            return secret

    def blob(self, secret: str) -> bytes | None:
        with self.lock:
            grant = self.blobs.get(secret)
            if grant is None or self.clock.now() >= grant.expires_at:
                self.blobs.pop(secret, None)
                return None
            return grant.data

    def export_counts(self) -> dict[str, Any]:
        """Counters for the admin state page: live exports (not deleted, not expired) and a status tally."""
        with self.lock:
            by_status: dict[str, int] = {}
            for export in self.exports.values():
                status = self.export_status(export)
                by_status[status] = by_status.get(status, 0) + 1
            live = sum(n for status, n in by_status.items() if status != "expired")
            return {
                "live_exports": live,
                "exports_by_status": by_status,
                "deleted_exports": self.deleted_exports,
            }

    def export_summaries(self) -> list[dict[str, str]]:
        with self.lock:
            return [
                {"id": e.id, "plan": e.plan_id, "status": self.export_status(e)}
                for e in self.exports.values()
            ]

    # -- comments --------------------------------------------------------------------------------------

    def add_comment(self, user: User, run_id: str, body: str) -> Comment:
        with self.lock:
            run = self.run(user, run_id)
            if not self.workspaces[run.workspace_id].can("can-comment"):
                raise NotFound(f"run {run_id!r} not found")
            comment = Comment(new_id("wsc"), run.id, new_id("re"), body, self.clock.now(), user.id)
            self.comments[comment.id] = comment
            return comment

    def comments_of(self, user: User, run_id: str) -> list[Comment]:
        with self.lock:
            self.run(user, run_id)
            return sorted(
                (c for c in self.comments.values() if c.run_id == run_id), key=lambda c: c.created_at
            )

    def comment(self, user: User, comment_id: str) -> Comment:
        with self.lock:
            comment = self.comments.get(comment_id)
            if comment is None:
                raise NotFound(f"comment {comment_id!r} not found")
            self.run(user, comment.run_id)
            return comment

    # -- run-task results ------------------------------------------------------------------------------

    def create_task_result(
        self, run_id: str, stage: str, enforcement_level: str = "mandatory", require_code: bool = False
    ) -> TaskResult:
        """A result waiting for its callback, as Terraform Cloud makes one when it sends a run-task request."""
        with self.lock:
            if run_id not in self.runs:
                raise NotFound(f"run {run_id!r} not found")
            now = self.clock.now()
            result = TaskResult(
                id=new_id("taskrs"),
                run_id=run_id,
                stage=stage,
                access_token=secrets.token_urlsafe(32),
                callback_secret=secrets.token_urlsafe(24),
                created_at=now,
                updated_at=now,
                enforcement_level=enforcement_level,
                require_code=require_code,
            )
            self.task_results[result.id] = result
            self.task_tokens[result.access_token] = result.id
            return result

    def task_result_for_token(self, token: str | None) -> TaskResult | None:
        """The result whose access token this is (user API tokens never match)."""
        with self.lock:
            result_id = self.task_tokens.get(token) if token else None
            return self.task_results.get(result_id) if result_id else None

    def task_result(self, task_result_id: str) -> TaskResult:
        with self.lock:
            result = self.task_results.get(task_result_id)
            if result is None:
                raise NotFound(f"task result {task_result_id!r} not found")
            return result

    def task_result_for_callback(self, task_result_id: str, token: str, code: str | None) -> TaskResult:
        """The result a callback addresses: 404 if unknown (or its URL code is wrong), 401 for a token
        that belongs to another result. The caller has already checked the token is some result's."""
        with self.lock:
            result = self.task_result(task_result_id)
            if result.require_code and not (code and hmac.compare_digest(code, result.callback_secret)):
                raise NotFound(f"task result {task_result_id!r} not found")
            if not hmac.compare_digest(token, result.access_token):
                raise Unauthorized()
            return result

    def task_result_status(self, result: TaskResult) -> str:
        """The status now: an unfinished result turns ``errored`` once its 10-minute deadline passes."""
        with self.lock:
            if result.status not in FINAL_TASK_STATUSES and self.clock.now() >= result.deadline_at:
                result.status = "errored"
                result.updated_at = result.deadline_at
                result.status_timestamps.setdefault("errored-at", result.deadline_at)
            return result.status

    def update_task_result(self, result: TaskResult, body: Any, parse: TaskResultParser) -> TaskResult:
        """Apply one callback: 409 once final (checked before the body), then ``parse`` (422), then the
        change. Every attempt lands in ``result.patches`` with the status code it got."""
        with self.lock:
            now = self.clock.now()
            answer = 200
            try:
                status = self.task_result_status(result)
                if status in FINAL_TASK_STATUSES:
                    raise Conflict(f"task result {result.id} is already final (status {status!r})")
                changes = parse(body)
            except EmulatorError as exc:
                answer = exc.status
                raise
            finally:
                result.patches.append(
                    {"received_at": isoformat(now), "response_status": answer, "body": body}
                )
            for name, value in changes.items():  # only what was sent; outcomes replace the previous set
                setattr(result, name, value)
            result.updated_at = now
            result.status_timestamps.setdefault(f"{result.status}-at", now)
            return result

    def describe_task_result(self, task_result_id: str) -> dict[str, Any]:
        """The admin view of a result: everything but its access token and callback code."""
        with self.lock:
            result = self.task_result(task_result_id)
            return {
                "id": result.id,
                "run_id": result.run_id,
                "stage": result.stage,
                "enforcement_level": result.enforcement_level,
                "status": self.task_result_status(result),
                "message": result.message,
                "url": result.url,
                "outcomes": [dict(outcome) for outcome in result.outcomes],
                "created_at": isoformat(result.created_at),
                "updated_at": isoformat(result.updated_at),
                "deadline_at": isoformat(result.deadline_at),
                "status_timestamps": {k: isoformat(v) for k, v in result.status_timestamps.items()},
                "patch_count": len(result.patches),
                "patches": [dict(patch) for patch in result.patches],
            }


def _tfrun_variables(plan_json: Mapping[str, Any], run: Run) -> dict[str, dict[str, Any]]:
    """tfrun's ``variables``: every variable the plan saw, with its category and sensitivity (no values)."""
    sensitive = {
        name
        for name, var in plan_json.get("configuration", {})
        .get("root_module", {})
        .get("variables", {})
        .items()
        if var.get("sensitive")
    }
    names = list(plan_json.get("variables", {})) + [v["key"] for v in run.variables]
    return {name: {"category": "terraform", "sensitive": name in sensitive} for name in dict.fromkeys(names)}
