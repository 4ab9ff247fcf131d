"""The ``terraform_cloud`` connection type and its hook.

The hook owns everything about reaching Terraform Cloud from Airflow: reading the connection (host,
API token in the password, TLS and timeout settings in ``extra``), building the sync client for workers
and the async client for the triggerer, and deciding which failures a task retry can fix.

Connection ``extra`` keys (each also read as ``extra__terraform_cloud__<key>``, the form older UIs write):

- ``organization``: the organization this connection is for; ``test_connection`` checks the token sees it.
- ``verify_tls`` (default true) and ``ca_bundle`` (path to a PEM file): for Terraform Enterprise with a
  private CA.
- ``connect_timeout``, ``read_timeout`` (seconds); ``retry_max_attempts``, ``retry_max_total_wait``,
  ``retry_backoff_base``, ``retry_backoff_cap``: the client's retry policy for 5xx, 429 and dropped
  connections (see ``tfc_sentinel.tfc.retry``).

Nothing here touches the network or the connection in ``__init__``: hooks are built in DAG files, in the
scheduler and in the api-server, where a lookup would be slow or impossible.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from tfc_sentinel.tfc import AsyncTfcClient, TfcClient, TfcConfig

CONN_TYPE = "terraform_cloud"
DEFAULT_CONN_ID = "tfc_default"
_EXTRA_PREFIX = f"extra__{CONN_TYPE}__"
_FLOAT_EXTRAS = {"connect_timeout": "connect_timeout", "read_timeout": "read_timeout"}
_RETRY_EXTRAS = {
    "retry_max_attempts": ("max_attempts", int),
    "retry_max_total_wait": ("max_total_wait", float),
    "retry_backoff_base": ("backoff_base", float),
    "retry_backoff_cap": ("backoff_cap", float),
}
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def extra_value(extra: dict[str, Any], name: str) -> Any:
    """``extra[name]``, else ``extra["extra__terraform_cloud__<name>"]``; empty strings count as unset."""
    for key in (name, f"{_EXTRA_PREFIX}{name}"):
        value = extra.get(key)
        if value is not None and value != "":
            return value
    return None


def _as_bool(value: Any, name: str, conn_id: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"connection {conn_id!r}: extra {name!r} must be true or false, not {value!r}")


def _as_number(value: Any, name: str, conn_id: str, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"connection {conn_id!r}: extra {name!r} must be a number, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"connection {conn_id!r}: extra {name!r} must be greater than 0")
    return number


def _host(conn: Connection) -> str:
    """The API host from the connection: a bare name, ``host:port`` or a URL; ``port`` fills a gap."""
    from tfc_sentinel.tfc.config import DEFAULT_HOST

    host = (conn.host or "").strip().rstrip("/") or DEFAULT_HOST
    scheme, sep, rest = host.rpartition("://")
    if rest.count(":") > 1 and not rest.startswith("["):  # a bare IPv6 address
        host = f"{scheme}{sep}[{rest}]"
    if not conn.port:
        return host
    parts = urlsplit(host if "://" in host else f"//{host}")
    if parts.port is not None or not parts.hostname:
        return host
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    rebuilt = urlunsplit((parts.scheme, f"{name}:{conn.port}", parts.path, "", ""))
    return rebuilt.removeprefix("//")


def config_from_connection(conn: Connection, extra: dict[str, Any]) -> TfcConfig:
    """A client configuration from an Airflow connection; ValueError names the field that is wrong."""
    from tfc_sentinel.tfc import RetryPolicy, TfcConfig

    conn_id = conn.conn_id or "?"
    token = conn.password or ""
    if not token:
        raise ValueError(
            f"connection {conn_id!r} has no API token: put a Terraform Cloud user, team or organization "
            "token in the connection's password field"
        )
    settings: dict[str, Any] = {"host": _host(conn), "token": token, "user_agent": "tfc-sentinel-airflow"}
    if (verify := extra_value(extra, "verify_tls")) is not None:
        settings["verify_tls"] = _as_bool(verify, "verify_tls", conn_id)
    if ca_bundle := extra_value(extra, "ca_bundle"):
        settings["ca_bundle"] = str(ca_bundle)
    for name, field in _FLOAT_EXTRAS.items():
        if (value := extra_value(extra, name)) is not None:
            settings[field] = _as_number(value, name, conn_id, float)
    retry: dict[str, Any] = {}
    for name, (field, kind) in _RETRY_EXTRAS.items():
        if (value := extra_value(extra, name)) is not None:
            retry[field] = _as_number(value, name, conn_id, kind)
    if retry:
        settings["retry"] = RetryPolicy(**retry)
    config = TfcConfig(**settings)
    config.origin  # noqa: B018 - fail here, naming the connection, on a host that is not a host
    return config


class TerraformCloudHook(BaseHook):
    """Reach Terraform Cloud / Terraform Enterprise through an Airflow connection.

    ``get_client()`` gives the sync client (workers); ``await get_async_client()`` the async one
    (triggerer, which must never use the sync connection lookup). Use either as a context manager.
    """

    conn_name_attr = "tfc_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Terraform Cloud"

    def __init__(self, tfc_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tfc_conn_id = tfc_conn_id

    # -- connection and configuration (lazy) -----------------------------------------------------------

    @cached_property
    def connection(self) -> Connection:
        return self.get_connection(self.tfc_conn_id)

    @cached_property
    def config(self) -> TfcConfig:
        """The client configuration, read from the connection on first use (sync lookup: workers only)."""
        from airflow.sdk.log import mask_secret

        conn = self.connection
        config = config_from_connection(conn, conn.extra_dejson)
        mask_secret(config.token)
        return config

    @property
    def organization(self) -> str | None:
        value = extra_value(self.connection.extra_dejson, "organization")
        return str(value) if value else None

    async def aget_config(self) -> TfcConfig:
        """The configuration through the async connection lookup: what triggers must use."""
        from airflow.sdk.log import amask_secret

        conn = await self.aget_connection(self.tfc_conn_id)
        config = config_from_connection(conn, await conn.aextra_dejson())
        await amask_secret(config.token)
        return config

    # -- clients -----------------------------------------------------------------------------------------

    def get_conn(self) -> TfcClient:
        return self.get_client()

    def get_client(self) -> TfcClient:
        """A new sync client; close it (``with hook.get_client() as tfc: ...``)."""
        from tfc_sentinel.tfc import TfcClient

        return TfcClient(self.config)

    async def get_async_client(self) -> AsyncTfcClient:
        """A new async client; close it (``async with await hook.get_async_client() as tfc: ...``)."""
        from tfc_sentinel.tfc import AsyncTfcClient

        return AsyncTfcClient(await self.aget_config())

    def run_url(self, organization: str, workspace: str, run_id: str) -> str:
        """The run's page in the Terraform Cloud UI (``https://<host>/app/<org>/<workspace>/runs/<id>``)."""
        return f"{self.config.origin}/app/{organization}/{workspace}/runs/{run_id}"

    # -- what a task retry can fix -------------------------------------------------------------------------

    @staticmethod
    def is_retryable(exc: BaseException) -> bool:
        """True when the same request may succeed later (the client already retried it a few times).

        Overload, 5xx, dropped connections and slow exports are worth another task try; a rejected token,
        an unknown or invisible resource, a refused request or a failed export are not.
        """
        from tfc_sentinel.tfc import (
            PlanExportTimeoutError,
            RateLimitError,
            ServerError,
            TfcConnectionError,
        )

        return isinstance(exc, RateLimitError | ServerError | TfcConnectionError | PlanExportTimeoutError)

    # -- connection test (UI "Test" button, ``airflow connections test``) ------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """Call the API with the connection's token and say what is wrong, if anything.

        Uses a short retry budget so the UI answers within seconds even when the host is unreachable.
        """
        from tfc_sentinel.tfc import (
            AuthenticationError,
            RetryPolicy,
            TfcClient,
            TfcConnectionError,
            TfcError,
        )

        try:
            config = self.config
            organization = self.organization
        except Exception as exc:  # unknown connection, bad extra, no token
            return False, str(exc)
        quick = dataclasses.replace(
            config,
            connect_timeout=min(config.connect_timeout, 10.0),
            read_timeout=min(config.read_timeout, 20.0),
            retry=RetryPolicy(max_attempts=2, rate_limit_attempts=3, max_total_wait=10.0),
        )
        try:
            with TfcClient(quick) as client:
                organizations = sorted(org.name for org in client.list_organizations())
        except AuthenticationError:
            return False, (
                f"{config.origin} rejected the API token (HTTP 401): it is missing, mistyped, expired or "
                "revoked. Paste a valid user, team or organization token into the password field."
            )
        except TfcConnectionError as exc:
            return (
                False,
                f"Could not reach {config.origin}: {exc.reason}. Check the host, port, proxy and TLS.",
            )
        except TfcError as exc:
            return False, str(exc)
        seen = ", ".join(organizations) or "none"
        if organization and organization not in organizations:
            return False, (
                f"Connected to {config.origin}, but organization {organization!r} is not visible to this "
                f"token (it sees: {seen}). Fix the organization or use a token of that organization."
            )
        return True, f"Connected to {config.origin}; the token sees organization(s): {seen}."


def task_error(exc: BaseException, doing: str) -> Exception:
    """The Airflow exception for a failure while ``doing`` something: ``AirflowException`` when a task
    retry may help (``TerraformCloudHook.is_retryable``), else ``AirflowFailException`` (no retries)."""
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    cls = AirflowException if TerraformCloudHook.is_retryable(exc) else AirflowFailException
    return cls(f"{doing}: {exc}")
