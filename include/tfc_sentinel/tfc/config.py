"""Where and how to reach Terraform Cloud or Terraform Enterprise: host, token, TLS, timeouts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tfc_sentinel.tfc.retry import RetryPolicy

DEFAULT_HOST = "app.terraform.io"
API_PREFIX = "/api/v2"


@dataclass(frozen=True)
class TfcConfig:
    """Connection settings shared by the sync and the async client.

    ``host`` takes ``app.terraform.io``, ``https://tfe.example.com`` or ``http://127.0.0.1:8750``
    (an ``/api/v2`` suffix is tolerated). The token is excluded from ``repr`` so that it never lands
    in a log line or a traceback by accident.
    """

    host: str = DEFAULT_HOST
    token: str = field(default="", repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "tfc-sentinel"

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("connect_timeout and read_timeout must be positive numbers of seconds")
        if self.ca_bundle and not os.path.exists(self.ca_bundle):
            raise ValueError(f"CA bundle {self.ca_bundle!r} does not exist; give the path to a PEM file")

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the API, without a trailing slash."""
        raw = self.host.strip().rstrip("/")
        if "://" not in raw:
            raw = f"https://{raw}"
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"Terraform Cloud host {self.host!r} is not a host name or an http(s) URL")
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/runs/x``) or of a server-given link (``/api/v2/...``)."""
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith(API_PREFIX):
            path = API_PREFIX + path
        return self.origin + path

    @classmethod
    def from_env(cls, **overrides: object) -> TfcConfig:
        """Read ``TFC_HOST``/``TFE_HOSTNAME``, ``TFC_TOKEN``/``TFE_TOKEN`` and ``TFC_CA_BUNDLE``."""
        values: dict[str, object] = {
            "host": os.environ.get("TFC_HOST") or os.environ.get("TFE_HOSTNAME") or DEFAULT_HOST,
            "token": os.environ.get("TFC_TOKEN") or os.environ.get("TFE_TOKEN") or "",
            "ca_bundle": os.environ.get("TFC_CA_BUNDLE") or None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
