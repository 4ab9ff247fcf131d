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
