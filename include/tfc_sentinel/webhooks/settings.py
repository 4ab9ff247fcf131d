"""The receivers' settings, read from the Airflow connection ``tfc_webhooks``.

Why a connection: it is the one Airflow object made for secrets. Its password is stored encrypted with
the Fernet key, hidden in the UI and in logs, and can come from any secrets backend (Vault, AWS Secrets
Manager, an ``AIRFLOW_CONN_TFC_WEBHOOKS`` variable) without code changes. Fields:

- **password**: the notification HMAC key (the ``token`` of the notification configuration).
- extra ``run_task_hmac_secret``: the run task's HMAC key. Named ``…secret`` so Airflow masks it.
- extra ``allow_unsigned_run_tasks`` (default false): accept run-task requests with an empty signature
  when no run-task key is set. Terraform Cloud sends an empty ``X-TFC-Task-Signature`` for a run task
  without an HMAC key; anyone who can reach the URL could then start checks, so it is off unless asked.
- extra ``callback_origins``: origins (``https://tfe.example.com``) besides the ``tfc_default``
  connection's own host that run-task callback URLs may point at. Callbacks carry the task's access
  token, so they only go to a Terraform Cloud this Airflow is configured for.
- extra ``dag_id`` (default ``tfc_policy_check``), ``tfc_conn_id`` (default ``tfc_default``) and
  ``max_body_bytes`` (default 65536; Terraform Cloud's bodies are a few kB).

Settings are read per request and kept for :data:`CACHE_SECONDS`, so a rotated key applies within
seconds without a restart, and a flood of forged requests costs no secrets-backend lookups. A missing
connection means "no keys": every signed request is refused with a log line saying what to set.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from tfc_sentinel.webhooks import CONN_ID

__all__ = ["CACHE_SECONDS", "DEFAULT_MAX_BODY_BYTES", "WebhookSettings", "load_settings", "normalize_origin"]

log = logging.getLogger(__name__)

CACHE_SECONDS: Final = 5.0
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
DEFAULT_DAG_ID: Final = "tfc_policy_check"
DEFAULT_TFC_CONN_ID: Final = "tfc_default"
_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off", ""})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def normalize_origin(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case with a default port left out; None for anything that is not
    an absolute http(s) URL (so a malformed allow-list entry or callback URL matches nothing)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class WebhookSettings:
    """What the receivers need; the keys never appear in ``repr``."""

    notification_key: str | None = field(default=None, repr=False)
    run_task_key: str | None = field(default=None, repr=False)
    allow_unsigned_run_tasks: bool = False
    callback_origins: frozenset[str] = frozenset()
    dag_id: str = DEFAULT_DAG_ID
    tfc_conn_id: str = DEFAULT_TFC_CONN_ID
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    problem: str | None = None
    """Why the connection could not be used, when it could not (logged with every refusal)."""

    def callback_allowed(self, url: str) -> bool:
        """Whether a run-task callback URL points at an allowed Terraform Cloud origin."""
        origin = normalize_origin(url)
        return origin is not None and origin in self.callback_origins


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"extra {name!r} must be true or false, not {value!r}")


def _origins(value: Any) -> set[str]:
    items = value if isinstance(value, list) else str(value or "").replace(",", " ").split()
    origins = set()
    for item in items:
        origin = normalize_origin(str(item))
        if origin is None:
            raise ValueError(f"extra 'callback_origins' holds {item!r}, which is not an http(s) origin")
        origins.add(origin)
    return origins


def _connection(conn_id: str) -> Any | None:
    """The connection through Airflow's secrets backends (env, configured backend, metastore); None if
    it does not exist. This is the api-server's own lookup, not a task's."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        return Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None


def _extra(conn: Any) -> dict[str, Any]:
    raw = conn.extra
    if not raw:
        return {}
    extra = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(extra, dict):
        raise ValueError("extra must be a JSON object")
    return extra


def _tfc_origin(conn_id: str) -> str | None:
    """The origin of the Terraform Cloud connection the DAG uses: its callbacks are always allowed."""
    from tfc_sentinel.airflow.hooks import config_from_connection

    conn = _connection(conn_id)
    if conn is None:
        return None
    try:
        return normalize_origin(config_from_connection(conn, _extra(conn)).origin)
    except ValueError as exc:
        log.warning(
            "connection %r cannot be read (%s); its host is not an allowed callback origin", conn_id, exc
        )
        return None


def read_settings(conn_id: str = CONN_ID) -> WebhookSettings:
    """Settings from the connection now (no cache). Never raises for a bad connection: the problem is
    recorded in ``problem`` and the receivers refuse requests, so Terraform Cloud sees an error status
    and the log says what to fix."""
    conn = _connection(conn_id)
    if conn is None:
        return WebhookSettings(problem=f"the Airflow connection {conn_id!r} does not exist")
    try:
        extra = _extra(conn)
        max_body = int(extra.get("max_body_bytes") or DEFAULT_MAX_BODY_BYTES)
        if max_body < 1024:
            raise ValueError("extra 'max_body_bytes' must be at least 1024")
        tfc_conn_id = str(extra.get("tfc_conn_id") or DEFAULT_TFC_CONN_ID)
        origins = _origins(extra.get("callback_origins"))
        tfc_origin = _tfc_origin(tfc_conn_id)
        if tfc_origin:
            origins.add(tfc_origin)
        return WebhookSettings(
            notification_key=conn.password or None,
            run_task_key=str(extra.get("run_task_hmac_secret") or "") or None,
            allow_unsigned_run_tasks=_flag(
                extra.get("allow_unsigned_run_tasks", False), "allow_unsigned_run_tasks"
            ),
            callback_origins=frozenset(origins),
            dag_id=str(extra.get("dag_id") or DEFAULT_DAG_ID),
            tfc_conn_id=tfc_conn_id,
            max_body_bytes=max_body,
        )
    except (ValueError, TypeError) as exc:
        return WebhookSettings(problem=f"the Airflow connection {conn_id!r} is invalid: {exc}")


_cache: dict[str, tuple[float, WebhookSettings]] = {}
_cache_lock = threading.Lock()


def load_settings(conn_id: str = CONN_ID, max_age: float = CACHE_SECONDS) -> WebhookSettings:
    """Settings at most ``max_age`` seconds old (0 reads the connection now)."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(conn_id)
        if cached is not None and now - cached[0] < max_age:
            return cached[1]
    settings = read_settings(conn_id)
    with _cache_lock:
        _cache[conn_id] = (time.monotonic(), settings)
    return settings


def clear_cache() -> None:
    """Forget cached settings (tests change the connection between requests)."""
    with _cache_lock:
        _cache.clear()
