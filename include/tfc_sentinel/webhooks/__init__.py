"""Terraform Cloud calls Airflow: notification and run-task receivers that trigger ``tfc_policy_check``.

A small FastAPI app (:mod:`~tfc_sentinel.webhooks.app`) that the Airflow api-server mounts under
:data:`URL_PREFIX` (registered by :mod:`tfc_sentinel.webhooks.plugin`). Terraform Cloud cannot log in to
Airflow, so the routes carry no Airflow authentication: every request is authenticated by its HMAC
signature instead, checked on the exact bytes received before anything is parsed.

- ``POST /tfc-sentinel-hooks/notifications``: a workspace notification (``generic`` destination).
  Signature ``X-TFE-Notification-Signature``. The triggers that mean "a plan exists"
  (``run:needs_attention``, ``run:applying``, ``run:completed``) trigger the check of that run with DAG run
  ID ``tfc-<run-id>``; the verification request and every other trigger are answered 200 and ignored.
- ``POST /tfc-sentinel-hooks/run-tasks``: a run task's request. Signature ``X-TFC-Task-Signature``.
  Answered 200 as soon as the DAG run exists; the DAG reports the verdict back to the callback URL.
  The task's access token is sealed with Airflow's Fernet key before it goes into the DAG run's conf.

Modules: :mod:`~tfc_sentinel.webhooks.signatures` (HMAC), :mod:`~tfc_sentinel.webhooks.settings` (the
``tfc_webhooks`` connection), :mod:`~tfc_sentinel.webhooks.payloads` (what Terraform Cloud sends),
:mod:`~tfc_sentinel.webhooks.dagruns` (the one place that creates DAG runs through Airflow internals),
:mod:`~tfc_sentinel.webhooks.app` (routes), :mod:`~tfc_sentinel.webhooks.plugin` (the ``AirflowPlugin``).

Importing this package is cheap: every Airflow component that loads plugins imports the plugin module,
and only the api-server builds the app.
"""

from __future__ import annotations

from typing import Final

URL_PREFIX: Final = "/tfc-sentinel-hooks"
"""Where the api-server mounts the receivers (``<airflow>/tfc-sentinel-hooks/...``)."""

NOTIFICATIONS_PATH: Final = "/notifications"
RUN_TASKS_PATH: Final = "/run-tasks"

CONN_ID: Final = "tfc_webhooks"
"""The Airflow connection holding the HMAC keys (password: notifications; extra: run tasks)."""

NOTIFICATION_SIGNATURE_HEADER: Final = "X-TFE-Notification-Signature"
RUN_TASK_SIGNATURE_HEADER: Final = "X-TFC-Task-Signature"

__all__ = [
    "CONN_ID",
    "NOTIFICATIONS_PATH",
    "NOTIFICATION_SIGNATURE_HEADER",
    "RUN_TASKS_PATH",
    "RUN_TASK_SIGNATURE_HEADER",
    "URL_PREFIX",
]
