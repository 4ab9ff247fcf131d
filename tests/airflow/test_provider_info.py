"""Provider metadata: valid for Airflow, found through the installed distribution's entry point, cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema
import pytest

from tfc_sentinel.airflow.provider_info import get_provider_info

SCHEMA = Path(airflow.__file__).parent / "provider_info.schema.json"
FIELD_SCHEMA = Path(airflow.__file__).parent / "customized_form_field_behaviours.schema.json"


def test_provider_info_matches_airflow_schema() -> None:
    info = get_provider_info()
    jsonschema.validate(info, json.loads(SCHEMA.read_text()))
    behaviour = info["connection-types"][0]["ui-field-behaviour"]
    jsonschema.validate(
        {
            "hidden_fields": behaviour["hidden-fields"],
            "relabeling": behaviour["relabeling"],
            "placeholders": behaviour["placeholders"],
        },
        json.loads(FIELD_SCHEMA.read_text()),
    )


def test_entry_point_of_the_installed_distribution() -> None:
    (ours,) = [ep for ep in entry_points(group="apache_airflow_provider") if ep.dist.name == "tfc-sentinel"]
    assert ours.value == "tfc_sentinel.airflow.provider_info:get_provider_info"
    assert ours.load()()["package-name"] == ours.dist.name


def test_classes_named_in_provider_info_import() -> None:
    from airflow.sdk._shared.module_loading import import_string

    info = get_provider_info()
    for conn in info["connection-types"]:
        hook = import_string(conn["hook-class-name"])
        assert hook.conn_type == conn["connection-type"] and hook.hook_name == conn["hook-name"]
    for link in info["extra-links"]:
        assert import_string(link)().name
    for group in ("hooks", "operators", "sensors", "triggers"):
        for module in info[group][0]["python-modules"]:
            __import__(module)


@pytest.fixture(scope="module")
def providers() -> object:
    from airflow.providers_manager import ProvidersManager

    return ProvidersManager()


def test_providers_manager_lists_the_connection_type(providers: object) -> None:
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    assert "tfc-sentinel" in providers.providers  # type: ignore[attr-defined]
    hook = ProvidersManagerTaskRuntime().hooks["terraform_cloud"]  # what workers use to build hooks
    assert hook is not None
    assert hook.hook_class_name == "tfc_sentinel.airflow.hooks.TerraformCloudHook"
    assert hook.connection_id_attribute_name == "tfc_conn_id"
    assert hook.hook_name == "Terraform Cloud"


def test_providers_manager_reads_the_form_metadata(providers: object) -> None:
    manager = providers
    behaviour = manager.field_behaviours["terraform_cloud"]  # type: ignore[attr-defined]
    assert behaviour["relabeling"]["password"] == "API token"
    assert "login" in behaviour["hidden_fields"]
    widgets = manager.connection_form_widgets  # type: ignore[attr-defined]
    for name in ("organization", "verify_tls", "ca_bundle"):
        assert f"extra__terraform_cloud__{name}" in widgets
    assert "tfc_sentinel.airflow.links.TerraformRunLink" in manager.extra_links_class_names  # type: ignore[attr-defined]
    triggers = {t.package_name for t in manager.trigger}  # type: ignore[attr-defined]
    assert "tfc-sentinel" in triggers


def test_importing_provider_info_is_cheap() -> None:
    code = (
        "import sys, tfc_sentinel.airflow.provider_info as p; p.get_provider_info(); "
        "print(sorted(m for m in ('airflow', 'requests', 'aiohttp', 'tfc_sentinel.tfc') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
