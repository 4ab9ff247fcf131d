"""The receivers' FastAPI app (mounted by the api-server at ``/tfc-sentinel-hooks``).

Every request goes through the same gate, in this order, and stops at the first failure:

1. **Size** (413): the ``Content-Length`` is checked before any byte is read, and the stream is cut off
   at the limit for bodies without one, so an oversized body never sits in memory.
2. **Key configured** (403): without an HMAC key the receiver cannot tell Terraform Cloud from anyone
   else; it refuses and logs which setting is missing.
3. **Signature** (401): HMAC-SHA512 of the exact bytes, constant-time compare, missing = wrong.
4. **Body** (400 malformed JSON, 422 a payload that is not Terraform Cloud's): only after the signature
   matched, so unauthenticated input is never parsed.
5. **Action**: trigger ``tfc_policy_check`` (503 when the DAG is not parsed yet or the DB fails, so
   Terraform Cloud retries); an existing DAG run for the same delivery is success.

Nothing from a request body or header is ever logged except IDs that passed validation (run, task
result, notification configuration) and trigger names; never a token, a key or a callback URL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tfc_sentinel.webhooks import (
    CONN_ID,
    NOTIFICATION_SIGNATURE_HEADER,
    NOTIFICATIONS_PATH,
    RUN_TASK_SIGNATURE_HEADER,
    RUN_TASKS_PATH,
)
from tfc_sentinel.webhooks.payloads import PayloadError, parse_json, parse_notification, parse_run_task
from tfc_sentinel.webhooks.settings import WebhookSettings, load_settings, normalize_origin
from tfc_sentinel.webhooks.signatures import verify

__all__ = ["create_app", "dag_run_id_for"]

log = logging.getLogger("tfc_sentinel.webhooks")

APP_TITLE: Final = "tfc-sentinel webhooks"


class Refusal(Exception):
    """A request the receiver turns down: the HTTP status, what the caller is told, what the log says."""

    def __init__(self, status: int, detail: str, log_message: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.log_message = log_message or detail


def dag_run_id_for(run_id: str, task_result_id: str | None = None) -> str:
    """``tfc-<run-id>``: one check per Terraform run. A run task whose run already has a check it did
    not start gets ``tfc-<run-id>-<task-result-id>``, so its verdict still has a DAG run to come from."""
    return f"tfc-{run_id}" if task_result_id is None else f"tfc-{run_id}-{task_result_id}"


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or Refusal(413) as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise Refusal(400, "Content-Length is not a number") from None
        if length > limit:
            raise Refusal(413, f"the body may be at most {limit} bytes", f"refused a body of {length} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal(413, f"the body may be at most {limit} bytes", "refused a body over the size limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_signature(key: str | None, body: bytes, signature: str | None) -> None:
    if not signature:
        raise Refusal(401, "signature missing", "refused a request without a signature")
    if not verify(key or "", body, signature):
        raise Refusal(401, "signature does not match", "refused a request whose signature does not match")


def _parse(body: bytes, parser: Any) -> Any:
    try:
        document = parse_json(body)
    except PayloadError as exc:
        raise Refusal(400, str(exc)) from None
    try:
        return parser(document)
    except PayloadError as exc:
        raise Refusal(422, str(exc)) from None


async def _trigger(dag_id: str, dag_run_id: str, conf: dict[str, Any], note: str) -> bool:
    """Create the DAG run in a worker thread; True if new, False if it existed. Refusal(503) otherwise."""
    from tfc_sentinel.webhooks.dagruns import DagNotReady, trigger

    try:
        outcome = await run_in_threadpool(trigger, dag_id, dag_run_id, conf, note)
    except DagNotReady as exc:
        raise Refusal(503, str(exc)) from None
    except ValueError as exc:  # the DAG's Params refused the conf: a DAG that does not fit this receiver
        raise Refusal(422, f"DAG {dag_id!r} refused the run's conf: {exc}") from None
    except Exception as exc:
        log.exception("creating DAG run %s of %s failed", dag_run_id, dag_id)
        raise Refusal(
            503, "the DAG run could not be created; try again", f"trigger failed: {type(exc).__name__}"
        ) from None
    return outcome.created


async def _settings() -> WebhookSettings:
    try:
        return await run_in_threadpool(load_settings, CONN_ID)
    except Exception as exc:  # the secrets backend or DB is down: Terraform Cloud should retry
        log.exception("reading the %s connection failed", CONN_ID)
        raise Refusal(
            503, "the receiver cannot read its settings; try again", f"settings: {type(exc).__name__}"
        ) from None


def _refused(kind: str, refusal: Refusal) -> Response:
    level = logging.ERROR if refusal.status in (403, 503) else logging.WARNING
    log.log(level, "%s: %s (HTTP %d)", kind, refusal.log_message, refusal.status)
    return JSONResponse({"status": "refused", "detail": refusal.detail}, status_code=refusal.status)


# -- notifications -----------------------------------------------------------------------------------------


async def receive_notification(request: Request) -> Response:
    """A ``generic`` notification: verify, then trigger the check for the triggers that mean a plan."""
    try:
        return await _notification(request)
    except Refusal as refusal:
        return _refused("notification", refusal)


async def _notification(request: Request) -> Response:
    settings = await _settings()
    body = await read_body(request, settings.max_body_bytes)
    if not settings.notification_key:
        reason = settings.problem or f"the connection {CONN_ID!r} has no password (the notification HMAC key)"
        raise Refusal(403, "this receiver has no notification HMAC key configured", f"refused: {reason}")
    _check_signature(settings.notification_key, body, request.headers.get(NOTIFICATION_SIGNATURE_HEADER))
    notification = _parse(body, parse_notification)
    config = notification.configuration_id or "?"
    if notification.is_verification:
        log.info("notification configuration %s verified", config)
        return JSONResponse({"status": "verified"})
    if not notification.plan_triggers:
        log.info(
            "notification %s for run %s ignored: trigger(s) %s do not mean a finished plan",
            config,
            notification.run_id,
            ", ".join(notification.triggers),
        )
        return JSONResponse({"status": "ignored", "triggers": list(notification.triggers)})
    run_id = notification.run_id
    assert run_id is not None  # parse_notification requires it for plan triggers
    dag_run_id = dag_run_id_for(run_id)
    trigger_names = ", ".join(notification.plan_triggers)
    created = await _trigger(
        settings.dag_id,
        dag_run_id,
        {"run_id": run_id},
        f"Triggered by Terraform Cloud notification {config} ({trigger_names})",
    )
    log.info(
        "notification %s (%s): %s %s of %s",
        config,
        trigger_names,
        "triggered" if created else "already have",
        dag_run_id,
        settings.dag_id,
    )
    return JSONResponse(
        {
            "status": "triggered" if created else "already-triggered",
            "dag_id": settings.dag_id,
            "dag_run_id": dag_run_id,
        }
    )


# -- run tasks ---------------------------------------------------------------------------------------------


async def receive_run_task(request: Request) -> Response:
    """A run task's request: verify, seal the token, trigger the check; answered 200 at once."""
    try:
        return await _run_task(request)
    except Refusal as refusal:
        return _refused("run task", refusal)


def _check_run_task_signature(settings: WebhookSettings, body: bytes, signature: str) -> None:
    if settings.run_task_key:
        _check_signature(settings.run_task_key, body, signature)
        return
    if not settings.allow_unsigned_run_tasks:
        reason = settings.problem or (
            f"the connection {CONN_ID!r} has no extra run_task_hmac_secret (and allow_unsigned_run_tasks is off)"
        )
        raise Refusal(403, "this receiver has no run-task HMAC key configured", f"refused: {reason}")
    if signature:
        log.warning(
            "run task: a signed request, but no run_task_hmac_secret is set to check it: accepted unsigned"
        )


async def _run_task(request: Request) -> Response:
    from tfc_sentinel.airflow.runtasks import GrantError, RunTaskGrant, RunTaskInfo, seal_grant

    settings = await _settings()
    body = await read_body(request, settings.max_body_bytes)
    _check_run_task_signature(settings, body, request.headers.get(RUN_TASK_SIGNATURE_HEADER, ""))
    task = _parse(body, parse_run_task)
    if task.is_verification:
        log.info("run task verification request answered")
        return JSONResponse({"status": "verified"})
    assert task.run_id and task.task_result_id and task.callback_url  # parse_run_task checked them
    if not settings.callback_allowed(task.callback_url):
        origin = normalize_origin(task.callback_url) or "an invalid origin"
        raise Refusal(
            422,
            "task_result_callback_url does not point at an allowed Terraform Cloud host",
            f"refused run task result {task.task_result_id}: its callback goes to {origin}, which is neither "
            f"the {settings.tfc_conn_id!r} connection's host nor in {CONN_ID}'s extra callback_origins",
        )
    grant = RunTaskGrant(task.access_token, task.callback_url, task.task_result_id, task.run_id)
    try:
        sealed = await run_in_threadpool(seal_grant, grant)
    except GrantError as exc:
        raise Refusal(503, "the receiver cannot keep the access token encrypted", f"refused: {exc}") from None
    info = RunTaskInfo(
        task_result_id=task.task_result_id,
        sealed_grant=sealed,
        received_at=datetime.now(UTC),
        stage=task.stage,
        enforcement_level=task.enforcement_level,
    )
    conf = {"run_id": task.run_id, "run_task": info.to_conf()}
    note = f"Triggered by Terraform Cloud run task result {task.task_result_id} ({task.stage or 'stage ?'})"
    dag_run_id = dag_run_id_for(task.run_id)
    created = await _trigger(settings.dag_id, dag_run_id, conf, note)
    if not created:
        from tfc_sentinel.webhooks.dagruns import existing_conf

        earlier = await run_in_threadpool(existing_conf, settings.dag_id, dag_run_id)
        earlier_task = (earlier or {}).get("run_task") or {}
        if not (isinstance(earlier_task, dict) and earlier_task.get("task_result_id") == task.task_result_id):
            # The run's check was started by something else (sweep, notification, another run task):
            # this task result needs a DAG run of its own to get a verdict from.
            dag_run_id = dag_run_id_for(task.run_id, task.task_result_id)
            created = await _trigger(settings.dag_id, dag_run_id, conf, note)
    log.info(
        "run task result %s (%s) for run %s: %s %s of %s",
        task.task_result_id,
        task.stage,
        task.run_id,
        "triggered" if created else "already have",
        dag_run_id,
        settings.dag_id,
    )
    return JSONResponse(
        {
            "status": "triggered" if created else "already-triggered",
            "dag_id": settings.dag_id,
            "dag_run_id": dag_run_id,
        }
    )


def create_app() -> FastAPI:
    """The receivers. No Airflow login: Terraform Cloud authenticates with the HMAC signatures."""
    app = FastAPI(title=APP_TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_api_route(NOTIFICATIONS_PATH, receive_notification, methods=["POST"])
    app.add_api_route(RUN_TASKS_PATH, receive_run_task, methods=["POST"])
    return app
