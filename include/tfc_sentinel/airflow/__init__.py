"""Airflow integration: hook and ``terraform_cloud`` connection type, operators, sensor, trigger, link.

Import the submodules directly (``tfc_sentinel.airflow.operators`` …). This package module stays empty
so that the provider manager and DAG parsing pay nothing for it; the HTTP client (requests, aiohttp)
is imported only when a task or trigger actually runs.
"""
