"""Notification configurations and the emulator as a webhook sender (tfc-api.md section 11, checklist 14).

Routes (``/api/v2``, user token, JSON:API content type as everywhere):

- ``POST /workspaces/:ws_id/notification-configurations``: ``destination-type`` ``generic`` (the only
  one the emulator delivers; ``email``, ``slack`` and ``microsoft-teams`` are refused with 422),
  ``enabled``, ``name``, ``url``, ``token`` (the write-only HMAC key), ``triggers``. At most 20 per
  workspace. When created enabled, the verification request goes out first; a non-2xx answer fails the
  creation with **400**, as Terraform Cloud does.
- ``GET /workspaces/:ws_id/notification-configurations``, ``GET|DELETE /notification-configurations/:id``,
  ``POST /notification-configurations/:id/actions/verify`` (sends the verification again).

Deliveries (here and from :mod:`~tfc_sentinel.emulator.runtasks`) are real HTTP POSTs made with aiohttp on
the emulator's event loop, so the API keeps answering while a receiver is slow; each has a 10-second
timeout and one attempt (section 13: redelivery is unconfirmed). Every delivery is recorded with its
answer for tests (``GET /_emulator/deliveries``), with any access token in the recorded body redacted.

Payloads: ``payload_version`` 1, run and workspace fields, ``notifications[]`` with one event; the
verification payload has every run and workspace field ``null`` and trigger ``verification``. The
``X-TFE-Notification-Signature`` header (lowercase hex HMAC-SHA512 of the exact body) is sent only when
the configuration has a token, as Terraform Cloud does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp
from fastapi import APIRouter, Request
from starlette.responses import Response

from tfc_sentinel.emulator import jsonapi
from tfc_sentinel.emulator.api import Caller, State, document, member, read_data
from tfc_sentinel.emulator.clock import isoformat
from tfc_sentinel.emulator.errors import EmulatorError, Invalid, NotFound
from tfc_sentinel.emulator.jsonapi import API, ref
from tfc_sentinel.emulator.models import Run, User, Workspace, new_id
from tfc_sentinel.emulator.store import Store

__all__ = [
    "NOTIFICATION_SIGNATURE_HEADER",
    "RUN_TRIGGERS",
    "USER_AGENT",
    "Delivery",
    "NotificationConfiguration",
    "notification_payload",
    "post_signed",
    "router",
    "sign",
    "verification_payload",
]

NOTIFICATION_SIGNATURE_HEADER: Final = "X-TFE-Notification-Signature"
USER_AGENT: Final = "TFC/1.0 (+https://app.terraform.io; TFC)"
RUN_TRIGGERS: Final = (
    "run:created",
    "run:planning",
    "run:needs_attention",
    "run:applying",
    "run:completed",
    "run:errored",
)
TRIGGER_MESSAGES: Final = {
    "run:created": "Run Created",
    "run:planning": "Run Planning",
    "run:needs_attention": "Run Needs Attention",
    "run:applying": "Run Applying",
    "run:completed": "Run Completed",
    "run:errored": "Run Errored",
}
DESTINATION_TYPES: Final = ("generic", "email", "slack", "microsoft-teams")
MAX_PER_WORKSPACE: Final = 20
DELIVERY_TIMEOUT: Final = 10.0
DELIVERY_RESPONSES_KEPT: Final = 10
RESPONSE_EXCERPT: Final = 500
REDACTED: Final = "<redacted>"


def sign(key: str, body: bytes) -> str:
    """Terraform Cloud's webhook signature: lowercase hex HMAC-SHA512 of the body."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha512).hexdigest()


def payload_time(moment: float | None) -> str | None:
    """Notification timestamps carry milliseconds and ``Z``: ``2024-05-02T10:14:51.000Z``."""
    if moment is None:
        return None
    return (
        datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(moment * 1000) % 1000:03d}Z"
    )


@dataclass
class NotificationConfiguration:
    id: str
    workspace_id: str
    name: str
    destination_type: str
    url: str
    token: str = field(repr=False)
    """The HMAC key; write-only (never shown by the API or the admin routes)."""
    triggers: list[str]
    enabled: bool
    created_at: float
    updated_at: float
    delivery_responses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Delivery:
    """One POST the emulator made: to whom, what, and what came back (or why nothing did)."""

    id: str
    kind: str
    """``notification`` or ``run-task``."""
    target_id: str
    """The notification configuration (``nc-…``) or workspace run task (``wstask-…``)."""
    url: str
    event: str
    """The trigger (``run:needs_attention``), the run-task stage, or ``verification``."""
    run_id: str | None
    task_result_id: str | None
    headers: dict[str, str]
    body: dict[str, Any]
    """The payload as sent, except ``access_token`` (redacted unless it is the ``test-token``)."""
    signature_sent: bool
    sent_at: float
    status: int | None = None
    error: str | None = None
    response_excerpt: str = ""

    @property
    def successful(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target_id": self.target_id,
            "url": self.url,
            "event": self.event,
            "run_id": self.run_id,
            "task_result_id": self.task_result_id,
            "headers": dict(self.headers),
            "body": self.body,
            "signature_sent": self.signature_sent,
            "sent_at": isoformat(self.sent_at),
            "status": self.status,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
            "successful": self.successful,
        }


def _recorded_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    body = dict(payload)
    if body.get("access_token") not in (None, "test-token"):
        body["access_token"] = REDACTED
    return body


async def post_signed(
    store: Store,
    *,
    kind: str,
    target_id: str,
    url: str,
    event: str,
    payload: Mapping[str, Any],
    signature_header: str,
    key: str,
    always_sign: bool,
    run_id: str | None = None,
    task_result_id: str | None = None,
) -> Delivery:
    """POST ``payload`` as JSON, signed over the exact bytes sent; record and return the delivery.

    ``always_sign``: run tasks send the header even without a key (empty value); notifications only
    send it when the configuration has a token.
    """
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if key or always_sign:
        headers[signature_header] = sign(key, body) if key else ""
    delivery = Delivery(
        id=new_id("dlv"),
        kind=kind,
        target_id=target_id,
        url=url,
        event=event,
        run_id=run_id,
        task_result_id=task_result_id,
        headers={k: v for k, v in headers.items() if k != signature_header},
        body=_recorded_body(payload),
        signature_sent=bool(headers.get(signature_header)),
        sent_at=store.clock.now(),
    )
    timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            delivery.status = response.status
            delivery.response_excerpt = (await response.content.read(RESPONSE_EXCERPT)).decode(
                "utf-8", errors="replace"
            )
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"[:300]
    with store.lock:
        store.deliveries.append(delivery)
    return delivery


# -- payloads ----------------------------------------------------------------------------------------------


def verification_payload(config: NotificationConfiguration) -> dict[str, Any]:
    """What "send a test" posts: every run and workspace field null, trigger ``verification``."""
    return {
        "payload_version": 1,
        "notification_configuration_id": config.id,
        "run_url": None,
        "run_id": None,
        "run_message": None,
        "run_created_at": None,
        "run_created_by": None,
        "workspace_id": None,
        "workspace_name": None,
        "organization_name": None,
        "notifications": [
            {
                "message": "Verification of test",
                "trigger": "verification",
                "run_status": None,
                "run_updated_at": None,
                "run_updated_by": None,
            }
        ],
    }


def run_app_url(base_url: str, workspace: Workspace, run: Run) -> str:
    return f"{base_url.rstrip('/')}/app/{workspace.organization}/{workspace.name}/runs/{run.id}"


def username(store: Store, user_id: str | None) -> str | None:
    user = store.users.get(user_id) if user_id else None
    return user.username if user else None


def notification_payload(
    store: Store, config: NotificationConfiguration, run: Run, trigger: str, base_url: str
) -> dict[str, Any]:
    """One run event for one configuration (section 11's shape)."""
    workspace = store.workspaces[run.workspace_id]
    created_by = username(store, run.created_by)
    return {
        "payload_version": 1,
        "notification_configuration_id": config.id,
        "run_url": run_app_url(base_url, workspace, run),
        "run_id": run.id,
        "run_message": run.message,
        "run_created_at": payload_time(run.created_at),
        "run_created_by": created_by,
        "workspace_id": workspace.id,
        "workspace_name": workspace.name,
        "organization_name": workspace.organization,
        "notifications": [
            {
                "message": TRIGGER_MESSAGES.get(trigger, trigger),
                "trigger": trigger,
                "run_status": run.status,
                "run_updated_at": payload_time(store.clock.now()),
                "run_updated_by": created_by,
            }
        ],
    }


async def send_notification(
    store: Store,
    config: NotificationConfiguration,
    payload: Mapping[str, Any],
    event: str,
    run_id: str | None = None,
) -> Delivery:
    """Deliver to one configuration and keep the answer in its ``delivery-responses``."""
    delivery = await post_signed(
        store,
        kind="notification",
        target_id=config.id,
        url=config.url,
        event=event,
        payload=payload,
        signature_header=NOTIFICATION_SIGNATURE_HEADER,
        key=config.token,
        always_sign=False,
        run_id=run_id,
    )
    with store.lock:
        config.delivery_responses.append(
            {
                "url": config.url,
                "body": delivery.response_excerpt,
                "code": str(delivery.status) if delivery.status is not None else None,
                "headers": {},
                "sent-at": isoformat(delivery.sent_at),
                "successful": "true" if delivery.successful else "false",
            }
        )
        del config.delivery_responses[:-DELIVERY_RESPONSES_KEPT]
    return delivery


def notify_targets(store: Store, run: Run, trigger: str) -> list[NotificationConfiguration]:
    """The enabled configurations of the run's workspace subscribed to ``trigger``. None for speculative
    (plan-only) runs and local-execution workspaces, which Terraform Cloud does not notify about."""
    with store.lock:
        workspace = store.workspaces[run.workspace_id]
        if run.plan_only or workspace.execution_mode == "local":
            return []
        return [
            config
            for config in store.notification_configs.values()
            if config.workspace_id == workspace.id and config.enabled and trigger in config.triggers
        ]


# -- routes ------------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v2")


def resource(config: NotificationConfiguration) -> dict[str, Any]:
    """The JSON:API object; the token is write-only and never shown."""
    return {
        "id": config.id,
        "type": "notification-configurations",
        "attributes": {
            "destination-type": config.destination_type,
            "enabled": config.enabled,
            "name": config.name,
            "url": config.url,
            "triggers": list(config.triggers),
            "created-at": isoformat(config.created_at),
            "updated-at": isoformat(config.updated_at),
            "delivery-responses": [dict(response) for response in config.delivery_responses],
        },
        "relationships": {"subscribable": {"data": ref("workspaces", config.workspace_id)}},
        "links": {"self": f"{API}/notification-configurations/{config.id}"},
    }


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


def parse_configuration(data: dict[str, Any], workspace: Workspace, now: float) -> NotificationConfiguration:
    """A new configuration from a create body, checked field by field (422 naming the field)."""
    if data.get("type") not in ("notification-configuration", "notification-configurations"):
        raise Invalid('data.type must be "notification-configuration"', pointer="/data/type")
    attributes = member(data, "attributes")
    if not isinstance(attributes, dict):
        raise Invalid("data.attributes must be an object", pointer="/data/attributes")
    destination = attributes.get("destination-type")
    if destination not in DESTINATION_TYPES:
        raise Invalid(
            f"destination-type must be one of {', '.join(DESTINATION_TYPES)}",
            pointer="/data/attributes/destination-type",
        )
    if destination != "generic":
        raise Invalid(
            f"the emulator only delivers generic notifications, not {destination}",
            pointer="/data/attributes/destination-type",
        )
    name = attributes.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name is required", pointer="/data/attributes/name")
    url = attributes.get("url")
    if not _is_http_url(url):
        raise Invalid("url must be an http(s) URL", pointer="/data/attributes/url")
    token = attributes.get("token") or ""
    if not isinstance(token, str):
        raise Invalid("token must be a string", pointer="/data/attributes/token")
    triggers = attributes.get("triggers", [])
    if not isinstance(triggers, list) or any(t not in RUN_TRIGGERS for t in triggers):
        raise Invalid(
            f"triggers must be a list of {', '.join(RUN_TRIGGERS)}", pointer="/data/attributes/triggers"
        )
    enabled = attributes.get("enabled", False)
    if not isinstance(enabled, bool):
        raise Invalid("enabled must be true or false", pointer="/data/attributes/enabled")
    return NotificationConfiguration(
        id=new_id("nc"),
        workspace_id=workspace.id,
        name=name.strip(),
        destination_type=destination,
        url=str(url),
        token=token,
        triggers=list(dict.fromkeys(triggers)),
        enabled=enabled,
        created_at=now,
        updated_at=now,
    )


def _configuration(store: Store, user: User, config_id: str) -> NotificationConfiguration:
    with store.lock:
        config = store.notification_configs.get(config_id)
        if config is None:
            raise NotFound(f"notification configuration {config_id!r} not found")
        store.workspace(user, config.workspace_id)  # visibility follows the workspace
        return config


class VerificationFailed(EmulatorError):
    """The URL did not answer the verification request with 2xx (Terraform Cloud answers 400)."""

    status = 400
    title = "bad request"


@router.post("/workspaces/{workspace_id}/notification-configurations")
async def create_configuration(workspace_id: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    workspace = store.workspace(user, workspace_id)
    config = parse_configuration(await read_data(request), workspace, store.clock.now())
    with store.lock:
        count = sum(1 for c in store.notification_configs.values() if c.workspace_id == workspace.id)
    if count >= MAX_PER_WORKSPACE:
        raise Invalid(
            f"a workspace may have at most {MAX_PER_WORKSPACE} notification configurations", pointer="/data"
        )
    if config.enabled:
        delivery = await send_notification(store, config, verification_payload(config), "verification")
        if not delivery.successful:
            answer = f"HTTP {delivery.status}" if delivery.status is not None else delivery.error
            raise VerificationFailed(f"the verification request to the url failed ({answer})")
    with store.lock:
        store.notification_configs[config.id] = config
    return document(resource(config), status_code=201)


@router.get("/workspaces/{workspace_id}/notification-configurations")
async def list_configurations(workspace_id: str, request: Request, state: State, user: Caller) -> Response:
    store = state.store
    store.workspace(user, workspace_id)
    with store.lock:
        configs: Sequence[NotificationConfiguration] = [
            c for c in store.notification_configs.values() if c.workspace_id == workspace_id
        ]
    page, links, pagination = jsonapi.paginate(request, configs)
    return document([resource(c) for c in page], links=links, meta={"pagination": pagination})


@router.get("/notification-configurations/{config_id}")
async def show_configuration(config_id: str, state: State, user: Caller) -> Response:
    return document(resource(_configuration(state.store, user, config_id)))


@router.delete("/notification-configurations/{config_id}")
async def delete_configuration(config_id: str, state: State, user: Caller) -> Response:
    store = state.store
    config = _configuration(store, user, config_id)
    with store.lock:
        store.notification_configs.pop(config.id, None)
    return Response(status_code=204)


@router.post("/notification-configurations/{config_id}/actions/verify")
async def verify_configuration(config_id: str, state: State, user: Caller) -> Response:
    """Send the verification request again; the answer lands in ``delivery-responses``."""
    store = state.store
    config = _configuration(store, user, config_id)
    await send_notification(store, config, verification_payload(config), "verification")
    return document(resource(config))
