"""Airflow provider metadata, found through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """Describe the distribution to Airflow's provider manager."""
    return {
        "package-name": "tfc-sentinel",
        "name": "Terraform Cloud Sentinel",
        "description": "Terraform Cloud plan exports and Sentinel policy checks.",
    }
