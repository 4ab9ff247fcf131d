"""Policy results in the Airflow UI: a "Policy results" tab on every DAG run and an overview page.

The pages are served by a small FastAPI app that the Airflow api-server mounts under
:data:`URL_PREFIX` (registered by :mod:`tfc_sentinel.ui.plugin`); the Airflow UI shows them in an
iframe through two external views. Everything they show comes from what the pipeline stored: the
``policy_summary`` XCom of each ``RunPoliciesOperator`` task (metadata DB) and the report files that
task wrote next to the bundle (shared storage). Nothing lives in api-server memory, so any number of
api-server workers and task workers give the same pages.

Modules: :mod:`~tfc_sentinel.ui.app` (routes), :mod:`~tfc_sentinel.ui.auth` (the one place that
touches Airflow's internal security helpers), :mod:`~tfc_sentinel.ui.data` (DB queries, report
loading, filters), :mod:`~tfc_sentinel.ui.pages` (HTML), :mod:`~tfc_sentinel.ui.plugin` (the
``AirflowPlugin``).

Importing this package is cheap: every Airflow component that loads plugins (scheduler, workers,
triggerer) imports the plugin module, and only the api-server ever builds the app.
"""

from __future__ import annotations

from typing import Final

URL_PREFIX: Final = "/tfc-sentinel"
"""Where the api-server mounts the app (``<airflow>/tfc-sentinel/...``)."""

RUN_TAB_ROUTE: Final = "policy_results"
"""The DAG-run tab's ``url_route``: the Airflow UI shows it at ``/dags/<dag>/runs/<run>/plugin/policy_results``."""

OVERVIEW_ROUTE: Final = "policy-results"
"""The overview's ``url_route`` (``/plugin/policy-results`` in the Airflow UI)."""

__all__ = ["OVERVIEW_ROUTE", "RUN_TAB_ROUTE", "URL_PREFIX"]
