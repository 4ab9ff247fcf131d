"""Provider metadata for Airflow, found through the ``apache_airflow_provider`` entry point.

Airflow discovers connection types only from installed distributions exposing that entry point (a
``plugins/`` file cannot register one). This module must stay import-free: the provider manager calls
it in every component (api-server, scheduler, workers, triggerer) before anything else of ours loads.
"""

from __future__ import annotations

from typing import Any

from tfc_sentinel import __version__


def get_provider_info() -> dict[str, Any]:
    """Describe the distribution; ``package-name`` must equal the distribution name."""
    return {
        "package-name": "tfc-sentinel",
        "name": "Terraform Cloud Sentinel",
        "description": "Terraform Cloud plan exports and Sentinel policy checks.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Terraform Cloud",
                "external-doc-url": "https://developer.hashicorp.com/terraform/cloud-docs/api-docs/plan-exports",
                "tags": ["software"],
            }
        ],
        "hooks": [{"integration-name": "Terraform Cloud", "python-modules": ["tfc_sentinel.airflow.hooks"]}],
        "operators": [
            {
                "integration-name": "Terraform Cloud",
                "python-modules": [
                    "tfc_sentinel.airflow.operators",
                    "tfc_sentinel.airflow.policies",
                    "tfc_sentinel.airflow.sweep",
                ],
            }
        ],
        "sensors": [
            {"integration-name": "Terraform Cloud", "python-modules": ["tfc_sentinel.airflow.sensors"]}
        ],
        "triggers": [
            {"integration-name": "Terraform Cloud", "python-modules": ["tfc_sentinel.airflow.triggers"]}
        ],
        "extra-links": ["tfc_sentinel.airflow.links.TerraformRunLink"],
        "connection-types": [
            {
                "connection-type": "terraform_cloud",
                "hook-class-name": "tfc_sentinel.airflow.hooks.TerraformCloudHook",
                "hook-name": "Terraform Cloud",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login"],
                    "relabeling": {"host": "Hostname", "password": "API token"},
                    "placeholders": {
                        "host": "app.terraform.io (or https://tfe.example.com)",
                        "port": "443",
                        "password": "user, team or organization API token",
                    },
                },
                "conn-fields": {
                    "organization": {
                        "label": "Organization",
                        "description": "The Terraform Cloud organization; the connection test checks "
                        "that the token can see it.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "verify_tls": {
                        "label": "Verify TLS certificates",
                        "schema": {"type": ["boolean", "null"], "default": True},
                    },
                    "ca_bundle": {
                        "label": "CA bundle path",
                        "description": "PEM file of the CA that signed a Terraform Enterprise certificate.",
                        "schema": {"type": ["string", "null"]},
                    },
                },
            }
        ],
    }
