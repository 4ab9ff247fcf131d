"""The Terraform Cloud objects the project reads, parsed from JSON:API documents.

Statuses stay plain strings: Terraform Cloud adds new ones without notice (python-tfe crashed on
``plan_queueable``), so code asks "is this a known final state?" instead of matching a closed enum.
Unknown attributes are ignored; the raw attributes are kept for callers that need more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Documented final run statuses, plus the ones that are final in practice.
RUN_FINAL_STATUSES = frozenset(
    {
        "policy_soft_failed",
        "planned_and_finished",
        "planned_and_saved",
        "discarded",
        "errored",
        "applied",
        "canceled",
        "force_canceled",
    }
)
PLAN_FINAL_STATUSES = frozenset({"finished", "errored", "canceled", "unreachable"})
EXPORT_LIVE_STATUSES = frozenset({"pending", "queued", "finished"})
"""An export in one of these states blocks a new export of the plan (the API answers 422)."""
EXPORT_TERMINAL_STATUSES = frozenset({"finished", "errored", "canceled", "expired"})
"""Anything else, including a status we have never seen, counts as still in progress."""
EXPORT_DATA_TYPE = "sentinel-mock-bundle-v0"


class DocumentError(ValueError):
    """A JSON:API document lacks what the model needs; the client turns it into MalformedResponseError."""


def _data(doc: Any, expected_type: str) -> Mapping[str, Any]:
    data = doc.get("data") if isinstance(doc, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise DocumentError(f"expected a JSON:API document with data.id of type {expected_type!r}")
    if data.get("type") not in (expected_type, None):
        raise DocumentError(f"expected data.type {expected_type!r}, got {data.get('type')!r}")
    return data


def _attrs(data: Mapping[str, Any]) -> Mapping[str, Any]:
    attrs = data.get("attributes") or {}
    if not isinstance(attrs, Mapping):
        raise DocumentError("data.attributes is not an object")
    return attrs


def _rel_id(data: Mapping[str, Any], name: str) -> str | None:
    rel = (data.get("relationships") or {}).get(name) or {}
    target = rel.get("data") if isinstance(rel, Mapping) else None
    return target.get("id") if isinstance(target, Mapping) else None


def _rel_ids(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    rel = (data.get("relationships") or {}).get(name) or {}
    targets = rel.get("data") if isinstance(rel, Mapping) else None
    if not isinstance(targets, list):
        return ()
    return tuple(t["id"] for t in targets if isinstance(t, Mapping) and isinstance(t.get("id"), str))


@dataclass(frozen=True)
class PingInfo:
    """What ``GET /ping`` reveals about the server."""

    api_version: str | None
    tfe_version: str | None
    app_name: str | None
    rate_limit: str | None


@dataclass(frozen=True)
class Organization:
    name: str
    email: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Organization:
        attrs = _attrs(data)
        return cls(name=str(attrs.get("name") or data["id"]), email=attrs.get("email"))


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    organization: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Workspace:
        attrs = _attrs(data)
        return cls(
            id=data["id"],
            name=str(attrs.get("name") or ""),
            organization=_rel_id(data, "organization"),
            attributes=attrs,
        )

    @classmethod
    def from_document(cls, doc: Any) -> Workspace:
        return cls.from_data(_data(doc, "workspaces"))


@dataclass(frozen=True)
class Run:
    id: str
    status: str
    plan_id: str | None
    workspace_id: str | None
    message: str = ""
    created_at: str | None = None
    is_destroy: bool = False
    plan_only: bool = False
    has_changes: bool | None = None
    can_comment: bool | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_final(self) -> bool:
        """Known final; anything else (including statuses we have never seen) may still move."""
        return self.status in RUN_FINAL_STATUSES

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Run:
        attrs = _attrs(data)
        permissions = attrs.get("permissions") or {}
        return cls(
            id=data["id"],
            status=str(attrs.get("status") or ""),
            plan_id=_rel_id(data, "plan"),
            workspace_id=_rel_id(data, "workspace"),
            message=str(attrs.get("message") or ""),
            created_at=attrs.get("created-at"),
            is_destroy=bool(attrs.get("is-destroy")),
            plan_only=bool(attrs.get("plan-only")),
            has_changes=attrs.get("has-changes"),
            can_comment=permissions.get("can-comment") if isinstance(permissions, Mapping) else None,
            attributes=attrs,
        )

    @classmethod
    def from_document(cls, doc: Any) -> Run:
        return cls.from_data(_data(doc, "runs"))


@dataclass(frozen=True)
class Pagination:
    current_page: int
    next_page: int | None
    total_pages: int | None
    total_count: int | None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Pagination:
        raw = ((doc.get("meta") or {}).get("pagination")) or {}
        return cls(
            current_page=int(raw.get("current-page") or 1),
            next_page=raw.get("next-page"),
            total_pages=raw.get("total-pages"),
            total_count=raw.get("total-count"),
        )


@dataclass(frozen=True)
class RunPage:
    runs: tuple[Run, ...]
    pagination: Pagination

    @classmethod
    def from_document(cls, doc: Any) -> RunPage:
        items = doc.get("data") if isinstance(doc, Mapping) else None
        if not isinstance(items, list):
            raise DocumentError("expected a JSON:API list document with a data array")
        return cls(tuple(Run.from_data(item) for item in items), Pagination.from_document(doc))


@dataclass(frozen=True)
class Plan:
    id: str
    status: str
    is_exportable: bool
    can_export: bool
    export_ids: tuple[str, ...]
    has_changes: bool | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_final(self) -> bool:
        return self.status in PLAN_FINAL_STATUSES

    def export_blocker(self) -> str | None:
        """Why this plan cannot be exported now, in words a user can act on; None if it can."""
        if self.status != "finished":
            if self.is_final:
                return (
                    f"plan {self.id} ended with status {self.status!r}; only a finished plan can be exported"
                )
            return f"plan {self.id} is still {self.status!r}; wait until the plan has finished"
        if not self.can_export:
            return (
                f"the token may not export plan {self.id}: grant the team the workspace permission "
                "'Download Sentinel mocks'"
            )
        if not self.is_exportable:
            return f"plan {self.id} is not exportable (plans older than 2021-07-23 cannot be exported)"
        return None

    @classmethod
    def from_document(cls, doc: Any) -> Plan:
        data = _data(doc, "plans")
        attrs = _attrs(data)
        actions = attrs.get("actions") or {}
        permissions = attrs.get("permissions") or {}
        return cls(
            id=data["id"],
            status=str(attrs.get("status") or ""),
            is_exportable=bool(actions.get("is-exportable")),
            can_export=bool(permissions.get("can-export")),
            export_ids=_rel_ids(data, "exports"),
            has_changes=attrs.get("has-changes"),
            attributes=attrs,
        )


@dataclass(frozen=True)
class PlanExport:
    id: str
    status: str
    data_type: str
    plan_id: str | None
    download_path: str | None
    status_timestamps: Mapping[str, str] = field(default_factory=dict)
    error_message: str | None = None

    @property
    def is_live(self) -> bool:
        """Pending, queued or finished: it blocks a new export and may still be used."""
        return self.status in EXPORT_LIVE_STATUSES

    @property
    def is_waiting(self) -> bool:
        return self.status not in EXPORT_TERMINAL_STATUSES

    @property
    def expired_at(self) -> str | None:
        return self.status_timestamps.get("expired-at")

    @property
    def sort_key(self) -> str:
        """Newest first when sorted in reverse: the latest known timestamp."""
        return max(self.status_timestamps.values(), default="")

    @classmethod
    def from_document(cls, doc: Any) -> PlanExport:
        data = _data(doc, "plan-exports")
        attrs = _attrs(data)
        links = data.get("links") or {}
        timestamps = attrs.get("status-timestamps") or {}
        return cls(
            id=data["id"],
            status=str(attrs.get("status") or ""),
            data_type=str(attrs.get("data-type") or ""),
            plan_id=_rel_id(data, "plan"),
            download_path=links.get("download") if isinstance(links, Mapping) else None,
            status_timestamps={str(k): str(v) for k, v in timestamps.items() if v},
            error_message=attrs.get("error-message"),
        )


@dataclass(frozen=True)
class Comment:
    id: str
    body: str
    run_event_id: str | None

    @classmethod
    def from_document(cls, doc: Any) -> Comment:
        data = _data(doc, "comments")
        return cls(
            id=data["id"], body=str(_attrs(data).get("body") or ""), run_event_id=_rel_id(data, "run-event")
        )


@dataclass(frozen=True)
class TaskResultOutcome:
    """One row of a run-task result: a policy and its verdict (``level``: none/info/warning/error)."""

    outcome_id: str
    description: str
    body: str = ""
    label: str = ""
    level: str = "none"
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"outcome-id": self.outcome_id, "description": self.description}
        if self.body:
            attributes["body"] = self.body
        if self.url:
            attributes["url"] = self.url
        if self.label:
            attributes["tags"] = {"Status": [{"label": self.label, "level": self.level}]}
        return {"type": "task-result-outcomes", "attributes": attributes}
