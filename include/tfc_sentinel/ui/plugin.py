"""The Airflow plugin: the results app on the api-server and two views in the Airflow UI.

- ``fastapi_apps``: :func:`tfc_sentinel.ui.app.create_app`, mounted at ``/tfc-sentinel``.
- ``external_views``: a "Policy results" tab on every DAG run (``dag_run``; the UI fills in
  ``{DAG_ID}``/``{RUN_ID}``) and a "Policy results" entry in the navigation (``nav``). Both set
  ``url_route``, so the UI shows the pages inside its own frame; the ``href`` values are relative, so
  they follow the ``<base href>`` of an Airflow served under a sub-path.

Why the app is built lazily: Airflow imports plugin modules in every component that loads plugins
(scheduler, workers, triggerer, dag processor), but only the api-server mounts and serves the app. The
ASGI wrapper below costs nothing to create; FastAPI routes and Airflow's security code are imported on
the first request, in the api-server only.

Register it with the one-line module ``plugins/tfc_sentinel_plugin.py`` (library code must not live
under ``plugins/``: Airflow imports every file there as a top-level module).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from . import OVERVIEW_ROUTE, RUN_TAB_ROUTE, URL_PREFIX

__all__ = ["LazyApp", "TfcSentinelPlugin"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class LazyApp:
    """An ASGI app that builds :func:`tfc_sentinel.ui.app.create_app` on its first request."""

    def __init__(self) -> None:
        self._app: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None
        self._lock = threading.Lock()

    def build(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        """The real app (created once; later calls return the same one)."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from .app import create_app

                    self._app = create_app()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop; never build the app for this
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.build()(scope, receive, send)


class TfcSentinelPlugin(AirflowPlugin):
    """Sentinel policy results in the Airflow UI (tfc-sentinel)."""

    name = "tfc_sentinel"
    fastapi_apps = [  # noqa: RUF012 - AirflowPlugin declares these as class attributes
        {"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "tfc-sentinel policy results"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Policy results",
            "href": URL_PREFIX.lstrip("/") + "/runs/{DAG_ID}/{RUN_ID}",
            "destination": "dag_run",
            "url_route": RUN_TAB_ROUTE,
        },
        {
            "name": "Policy results",
            "href": URL_PREFIX.lstrip("/") + "/",
            "destination": "nav",
            "url_route": OVERVIEW_ROUTE,
        },
    ]
