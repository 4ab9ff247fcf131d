"""The Airflow plugin that mounts the Terraform Cloud receivers on the api-server at ``/tfc-sentinel-hooks``.

A plugin of its own (``tfc_sentinel_webhooks``) rather than a second app inside the "Policy results"
plugin: the receivers have nothing in common with the pages (no Airflow login, HMAC instead), and a
separate prefix lets a reverse proxy expose only ``/tfc-sentinel-hooks/`` to Terraform Cloud while the
UI stays internal.

Like the UI plugin, the app is built on its first request: every Airflow component imports plugin
modules, only the api-server serves them. Registered by the one-line ``plugins/tfc_sentinel_plugin.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from tfc_sentinel.ui.plugin import LazyApp, Receive, Scope, Send
from tfc_sentinel.webhooks import URL_PREFIX

__all__ = ["LazyWebhooksApp", "TfcSentinelWebhooksPlugin"]


class LazyWebhooksApp(LazyApp):
    """:class:`~tfc_sentinel.ui.plugin.LazyApp` (lifespan handling, build once) for the receivers."""

    def build(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from tfc_sentinel.webhooks.app import create_app

                    self._app = create_app()
        return self._app


class TfcSentinelWebhooksPlugin(AirflowPlugin):
    """Terraform Cloud notification and run-task receivers (tfc-sentinel)."""

    name = "tfc_sentinel_webhooks"
    fastapi_apps: list[dict[str, Any]] = [  # noqa: RUF012 - AirflowPlugin declares these as class attributes
        {"app": LazyWebhooksApp(), "url_prefix": URL_PREFIX, "name": "tfc-sentinel Terraform Cloud webhooks"}
    ]
