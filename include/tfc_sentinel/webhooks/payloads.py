"""What Terraform Cloud sends, checked: notification payloads (section 11) and run-task requests (12).

Parsing happens only after the signature matched, so these checks are about correctness, not trust:
a body that is signed but not what Terraform Cloud sends (an old payload version, a run ID that is not
a run ID) is refused with a message naming the field, rather than half-handled.

Unknown keys are ignored and ``notifications[]`` is iterated (it holds one event today, maybe more
later), as tfc-api.md asks of receivers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "PLAN_TRIGGERS",
    "VERIFICATION_TOKEN",
    "Notification",
    "PayloadError",
    "RunTaskRequest",
    "parse_json",
    "parse_notification",
    "parse_run_task",
]

PLAN_TRIGGERS: Final = frozenset({"run:needs_attention", "run:applying", "run:completed"})
"""Notification triggers that mean the run's plan finished (tfc-api.md section 11: "for plan finished,
subscribe to run:needs_attention, run:applying, run:completed")."""
VERIFICATION_TRIGGER: Final = "verification"
VERIFICATION_TOKEN: Final = "test-token"
"""The access token of a run task's creation-time verification request: answer 200, call nothing back."""
RUN_ID: Final = re.compile(r"^run-[A-Za-z0-9]+$")
TASK_RESULT_ID: Final = re.compile(r"^taskrs-[A-Za-z0-9]+$")
MAX_FIELD: Final = 2048


class PayloadError(ValueError):
    """A signed body that is not a payload this receiver understands; ``field`` names the culprit."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or PayloadError (malformed JSON, or JSON that is not an object)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise PayloadError("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise PayloadError("the body must be a JSON object")
    return document


def _version(document: dict[str, Any]) -> None:
    version = document.get("payload_version")
    if version != 1 or isinstance(version, bool):
        raise PayloadError(f"payload_version must be 1, got {version!r}", "payload_version")


def _text(document: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = document.get(name)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{name} is required", name)
        return None
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise PayloadError(f"{name} must be a string of at most {MAX_FIELD} characters", name)
    return value


@dataclass(frozen=True)
class Notification:
    """One notification delivery: the run it is about and the triggers it carries."""

    configuration_id: str | None
    run_id: str | None
    workspace_name: str | None
    organization_name: str | None
    triggers: tuple[str, ...]

    @property
    def is_verification(self) -> bool:
        return VERIFICATION_TRIGGER in self.triggers

    @property
    def plan_triggers(self) -> tuple[str, ...]:
        """The triggers among this delivery's that mean a plan exists."""
        return tuple(t for t in self.triggers if t in PLAN_TRIGGERS)


def parse_notification(document: dict[str, Any]) -> Notification:
    """A ``generic`` notification payload (version 1); the run ID is required only for plan triggers."""
    _version(document)
    events = document.get("notifications")
    if not isinstance(events, list) or not events:
        raise PayloadError("notifications must be a non-empty list", "notifications")
    triggers = []
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("trigger"), str):
            raise PayloadError("each notification needs a string trigger", f"notifications[{index}].trigger")
        triggers.append(event["trigger"][:100])
    notification = Notification(
        configuration_id=_text(document, "notification_configuration_id"),
        run_id=_text(document, "run_id"),
        workspace_name=_text(document, "workspace_name"),
        organization_name=_text(document, "organization_name"),
        triggers=tuple(triggers),
    )
    if notification.plan_triggers and not (notification.run_id and RUN_ID.match(notification.run_id)):
        raise PayloadError(f"run_id must be a run ID (run-…), got {notification.run_id!r}", "run_id")
    return notification


@dataclass(frozen=True)
class RunTaskRequest:
    """A run task's request; the access token never appears in ``repr``."""

    access_token: str = field(repr=False)
    callback_url: str | None = field(repr=False)
    """May carry a code in its query: treated as a secret too, and used verbatim."""
    task_result_id: str | None
    run_id: str | None
    stage: str | None
    enforcement_level: str | None
    organization_name: str | None
    workspace_name: str | None
    is_speculative: bool

    @property
    def is_verification(self) -> bool:
        return self.access_token == VERIFICATION_TOKEN


def parse_run_task(document: dict[str, Any]) -> RunTaskRequest:
    """A run-task request (version 1). A verification request needs nothing but its ``test-token``;
    a real one needs the run, the task result and an absolute callback URL."""
    _version(document)
    token = _text(document, "access_token", required=True)
    assert token is not None
    request = RunTaskRequest(
        access_token=token,
        callback_url=_text(document, "task_result_callback_url"),
        task_result_id=_text(document, "task_result_id"),
        run_id=_text(document, "run_id"),
        stage=_text(document, "stage"),
        enforcement_level=_text(document, "task_result_enforcement_level"),
        organization_name=_text(document, "organization_name"),
        workspace_name=_text(document, "workspace_name"),
        is_speculative=document.get("is_speculative") is True,
    )
    if request.is_verification:
        return request
    if not (request.run_id and RUN_ID.match(request.run_id)):
        raise PayloadError(f"run_id must be a run ID (run-…), got {request.run_id!r}", "run_id")
    if not (request.task_result_id and TASK_RESULT_ID.match(request.task_result_id)):
        raise PayloadError("task_result_id must be a task result ID (taskrs-…)", "task_result_id")
    if not request.callback_url or not request.callback_url.startswith(("https://", "http://")):
        raise PayloadError(
            "task_result_callback_url must be an absolute http(s) URL", "task_result_callback_url"
        )
    return request
