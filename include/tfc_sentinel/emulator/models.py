"""The emulator's records: plain dataclasses, plus the facts Terraform Cloud derives from them."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Final

from tfc_sentinel.emulator.clock import parse_time

ID_ALPHABET: Final = string.ascii_letters + string.digits
ID_LENGTH: Final = 16

# Terraform Cloud exports only plans made after the feature shipped (tfc-api.md section 4).
EXPORTS_SINCE: Final = parse_time("2021-07-23T00:00:00+00:00")
DATA_TYPE: Final = "sentinel-mock-bundle-v0"

# Run statuses the documentation (and practice) call final; everything else is "still moving".
FINAL_RUN_STATUSES: Final = frozenset(
    {"policy_soft_failed", "planned_and_finished", "planned_and_saved", "discarded", "errored", "applied"}
    | {"canceled", "force_canceled"}
)
# Runs waiting for a human to confirm or discard (filter[status_group]=discardable).
DISCARDABLE_RUN_STATUSES: Final = frozenset(
    {"planned", "cost_estimated", "policy_checked", "policy_override", "post_plan_completed"}
)
# Every documented run status, so meta.status-counts names them all (with zeros), as Terraform Cloud does.
KNOWN_RUN_STATUSES: Final = (
    "pending",
    "fetching",
    "fetching_completed",
    "pre_plan_running",
    "pre_plan_completed",
    "queuing",
    "plan_queued",
    "planning",
    "planned",
    "cost_estimating",
    "cost_estimated",
    "policy_checking",
    "policy_override",
    "policy_soft_failed",
    "policy_checked",
    "confirmed",
    "post_plan_running",
    "post_plan_completed",
    "planned_and_finished",
    "planned_and_saved",
    "apply_queued",
    "applying",
    "applied",
    "discarded",
    "errored",
    "canceled",
    "force_canceled",
)
RUN_OPERATIONS: Final = ("plan_only", "plan_and_apply", "save_plan", "refresh_only", "destroy", "empty_apply")
LIVE_EXPORT_STATUSES: Final = frozenset({"pending", "queued", "finished"})
EXPORT_OUTCOMES: Final = ("errored", "canceled", "stuck")

# Run tasks (tfc-api.md section 12).
TASK_STAGES: Final = ("pre_plan", "post_plan", "pre_apply", "post_apply")
TASK_ENFORCEMENT_LEVELS: Final = ("mandatory", "advisory")
TASK_CALLBACK_STATUSES: Final = ("passed", "failed", "running")
"""What a callback may send; ``pending`` (before any callback) and ``errored`` are Terraform Cloud's own."""
FINAL_TASK_STATUSES: Final = frozenset({"passed", "failed", "errored"})
TASK_RESULT_DEADLINE: Final = 600.0
"""Seconds after the run-task request within which a final status must arrive, else ``errored``."""
TASK_TAG_LEVELS: Final = ("none", "info", "warning", "error")
TASK_MESSAGE_MAX: Final = 1000
TASK_URL_MAX: Final = 500
TASK_OUTCOMES_MAX: Final = 250
TASK_OUTCOME_BODY_MAX: Final = 5 * 1024 * 1024
"""Bytes (UTF-8) of one outcome ``body``; 1 MB is only Terraform Cloud's recommendation."""


def new_id(prefix: str) -> str:
    """A random ``<prefix>-<16 alphanumerics>`` ID, the shape Terraform Cloud uses."""
    return f"{prefix}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


@dataclass
class Organization:
    name: str
    email: str
    created_at: float


@dataclass
class User:
    id: str
    username: str
    organizations: list[str]


@dataclass
class Workspace:
    id: str
    organization: str
    name: str
    created_at: float
    description: str = ""
    terraform_version: str = "1.9.5"
    working_directory: str = ""
    execution_mode: str = "remote"
    auto_apply: bool = False
    tags: list[str] = field(default_factory=list)
    vcs_repo: dict[str, Any] | None = None
    permissions: dict[str, bool] = field(default_factory=dict)

    def can(self, permission: str) -> bool:
        """Workspace permissions default to allowed; fixtures switch single ones off."""
        return self.permissions.get(permission, True)


@dataclass
class Plan:
    id: str
    run_id: str
    status: str
    created_at: float
    status_timestamps: dict[str, float]
    plan_json: dict[str, Any] | None
    exports: list[str] = field(default_factory=list)
    """Export IDs in creation order; deleted exports leave, expired ones stay (section 13)."""

    @property
    def is_exportable(self) -> bool:
        return self.status == "finished" and self.plan_json is not None and self.created_at >= EXPORTS_SINCE

    def resource_counts(self) -> dict[str, int]:
        """Additions, changes, destructions and imports as Terraform Cloud counts them (replace = 1 + 1)."""
        counts = {"additions": 0, "changes": 0, "destructions": 0, "imports": 0}
        for change in (self.plan_json or {}).get("resource_changes", []):
            if change.get("mode") == "data":
                continue
            actions = change.get("change", {}).get("actions", [])
            counts["additions"] += "create" in actions
            counts["destructions"] += "delete" in actions
            counts["changes"] += actions == ["update"]
            counts["imports"] += "importing" in change.get("change", {})
        return counts

    @property
    def has_changes(self) -> bool:
        counts = self.resource_counts()
        outputs = (self.plan_json or {}).get("output_changes", {}).values()
        return any(counts.values()) or any(o.get("actions") != ["no-op"] for o in outputs)


@dataclass
class Run:
    id: str
    workspace_id: str
    plan_id: str
    status: str
    created_at: float
    message: str = ""
    source: str = "tfe-api"
    trigger_reason: str = "manual"
    plan_only: bool = False
    is_destroy: bool = False
    refresh_only: bool = False
    save_plan: bool = False
    empty_apply: bool = False
    status_timestamps: dict[str, float] = field(default_factory=dict)
    target_addrs: list[str] = field(default_factory=list)
    variables: list[dict[str, str]] = field(default_factory=list)
    commit_sha: str | None = None
    created_by: str | None = None
    cost_estimate: dict[str, Any] | None = None

    @property
    def operation(self) -> str:
        """The ``filter[operation]`` bucket this run falls into."""
        if self.plan_only:
            return "plan_only"
        if self.save_plan:
            return "save_plan"
        if self.refresh_only:
            return "refresh_only"
        if self.is_destroy:
            return "destroy"
        if self.empty_apply:
            return "empty_apply"
        return "plan_and_apply"


@dataclass
class PlanExport:
    """One export. Its status is derived from the clock (see ``Store.export_status``), never stored."""

    id: str
    plan_id: str
    data_type: str
    created_at: float
    delay: float
    pending: bool
    outcome: str | None = None
    """``None`` (finish normally), or one of EXPORT_OUTCOMES, fixed when the export is created."""
    error_message: str | None = None
    ended_at: float | None = None
    """When the export finished, errored or was canceled; set once the clock passes it."""
    expired_at: float | None = None
    archive: bytes | None = None


@dataclass
class Comment:
    id: str
    run_id: str
    run_event_id: str
    body: str
    created_at: float
    user_id: str


@dataclass
class BlobGrant:
    """A signed blob URL: the secret is the only credential, and it dies after the configured TTL."""

    export_id: str
    data: bytes
    expires_at: float


@dataclass
class TaskResult:
    """One run task's result for one run stage, as the callback side sees it.

    ``status`` is the stored one; ``Store.task_result_status`` derives the current one, turning an
    unfinished result ``errored`` once the clock passes ``deadline_at`` (nothing runs in the background).
    The sender (run-task requests, not built yet) reads ``stage``, ``enforcement_level``,
    ``access_token`` and ``callback_path`` from here to build its payload.
    """

    id: str
    run_id: str
    stage: str
    access_token: str = field(repr=False)
    """The bearer token for this result's callback only; never shown again after creation."""
    callback_secret: str = field(repr=False)
    """Random code for the callback URL's query, used when ``require_code`` is set (the URL must then
    be used verbatim, as Terraform Cloud's may carry such a code)."""
    created_at: float
    enforcement_level: str = "mandatory"
    require_code: bool = False
    status: str = "pending"
    message: str | None = None
    url: str | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    """The outcome ``attributes`` objects of the latest PATCH that sent outcomes."""
    updated_at: float = 0.0
    status_timestamps: dict[str, float] = field(default_factory=dict)
    """``running-at``, ``passed-at``, … : the first time each status was reached."""
    patches: list[dict[str, Any]] = field(default_factory=list)
    """Every PATCH made with this result's token: ``received_at``, ``response_status`` (200, 409, 422) and
    ``body`` (the parsed JSON, or the text when it was not JSON)."""

    @property
    def deadline_at(self) -> float:
        return self.created_at + TASK_RESULT_DEADLINE

    @property
    def callback_path(self) -> str:
        """The callback URL without scheme and host; absolute URLs add the API host the caller used."""
        path = f"/api/v2/task-results/{self.id}/callback"
        return f"{path}?code={self.callback_secret}" if self.require_code else path

    def handout(self, api_url: str) -> dict[str, Any]:
        """What a run-task request would carry: the absolute callback URL and the access token."""
        return {
            "id": self.id,
            "callback_url": f"{api_url.rstrip('/')}{self.callback_path}",
            "access_token": self.access_token,
            "status": self.status,
        }
