"""The operators against the emulator, one task at a time.

``TaskInstanceStub`` and ``StateStore`` stand in for the two pieces of the Airflow runtime an operator
touches here (XCom push/pull, ``task_state_store``); the DAG tests run the same operators on a real
metadata DB. Nothing of ours is replaced.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import pytest
from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from tests.airflow.conftest import CONN_ID, ORG
from tests.tfc.conftest import PLAN_PLANNED, RUN_ERRORED, RUN_PLANNED
from tfc_sentinel.airflow.links import TerraformRunLink
from tfc_sentinel.airflow.operators import (
    CreatePlanExportOperator,
    DeletePlanExportOperator,
    DownloadBundleOperator,
    bundle_storage_root,
)
from tfc_sentinel.emulator import EmulatorServer

RUN_PLANNING: Final = "run-HOtaVxCrDqXMyFK3"
RUN_NO_EXPORT_PERMISSION: Final = "run-bXnUHH1c013VUMiM"
POSTS: Final = "POST /api/v2/plan-exports"


class StateStore:
    """``context["task_state_store"]``: per task instance, kept across tries."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.values[key] = value


class TaskInstanceStub:
    """XCom of one DAG run, shared by the stubs of its task instances."""

    def __init__(self, task_id: str, xcom: dict[tuple[str, str], Any]) -> None:
        self.task_id = task_id
        self.xcom = xcom

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[(self.task_id, key)] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.xcom.get((task_ids, key))


@pytest.fixture
def xcom() -> dict[tuple[str, str], Any]:
    return {}


@pytest.fixture
def context(xcom: dict[tuple[str, str], Any]) -> Callable[..., dict[str, Any]]:
    def make(task_id: str, store: StateStore | None = None) -> dict[str, Any]:
        return {
            "ti": TaskInstanceStub(task_id, xcom),
            "task_state_store": store if store is not None else StateStore(),
            "dag": SimpleNamespace(dag_id="tfc_policy_check"),
            "run_id": "manual__2024-05-02T10:16:00+00:00",
        }

    return make


def create_op(run_id: str = RUN_PLANNED) -> CreatePlanExportOperator:
    return CreatePlanExportOperator(task_id="create_export", run_id=run_id, tfc_conn_id=CONN_ID)


def delete_op(**kwargs: Any) -> DeletePlanExportOperator:
    kwargs.setdefault("source_task_ids", ["create_export", "download_bundle"])
    return DeletePlanExportOperator(task_id="delete_export", tfc_conn_id=CONN_ID, **kwargs)


def download_op(export_id: str, storage: Any, **kwargs: Any) -> DownloadBundleOperator:
    return DownloadBundleOperator(
        task_id="download_bundle",
        export_id=export_id,
        storage=storage,
        tfc_conn_id=CONN_ID,
        poll_interval=0.05,
        **kwargs,
    )


def posts(emulator: EmulatorServer) -> int:
    return emulator.snapshot()["requests"].get(POSTS, 0)


# -- create -------------------------------------------------------------------------------------------------


def test_create_records_everything_before_waiting(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], xcom: dict[tuple[str, str], Any]
) -> None:
    store = StateStore()
    export_id = create_op().execute(context("create_export", store))
    assert export_id.startswith("pe-")
    assert xcom[("create_export", "export_id")] == export_id
    assert xcom[("create_export", "plan_id")] == PLAN_PLANNED
    assert xcom[("create_export", "run_url")] == f"{tfc.api_url}/app/{ORG}/net-prod/runs/{RUN_PLANNED}"
    assert store.values == {"export_id": export_id}
    assert delete_op().execute(context("delete_export")) == [export_id]


def test_a_retry_reuses_the_export_of_the_earlier_try(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]]
) -> None:
    store = StateStore()
    first = create_op().execute(context("create_export", store))
    second = create_op().execute(context("create_export", store))
    assert second == first and posts(tfc) == 1
    delete_op().execute(context("delete_export"))


def test_a_retry_replaces_a_failed_export_of_the_earlier_try(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], make_client: Callable[[], Any]
) -> None:
    tfc.add_faults(export_outcomes={PLAN_PLANNED: "errored"})
    store = StateStore()
    first = create_op().execute(context("create_export", store))
    tfc.advance_clock(5)
    assert make_client().get_plan_export(first).status == "errored"
    tfc.add_faults(export_outcomes={PLAN_PLANNED: None})
    second = create_op().execute(context("create_export", store))
    assert second != first and store.values["export_id"] == second
    assert [e["id"] for e in tfc.snapshot()["exports"]] == [second]  # the errored one was deleted
    delete_op().execute(context("delete_export"))


def test_a_lost_create_reply_is_recovered_without_a_second_export(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]]
) -> None:
    tfc.add_faults({"method": "POST", "path": "/api/v2/plan-exports", "sequence": ["lost"]})
    export_id = create_op().execute(context("create_export"))
    assert len(tfc.snapshot()["exports"]) == 1 and tfc.snapshot()["exports"][0]["id"] == export_id
    delete_op().execute(context("delete_export"))


@pytest.mark.parametrize("run_id", ["nope", "run-../x", "", None, "ws-PlZmrJO86f9L7M1O"])
def test_bad_run_id(tfc: EmulatorServer, context: Callable[..., dict[str, Any]], run_id: Any) -> None:
    with pytest.raises(AirflowFailException, match="is not a Terraform run ID"):
        create_op(run_id).execute(context("create_export"))
    assert tfc.snapshot()["requests"] == {}


def test_unknown_run(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], xcom: dict[tuple[str, str], Any]
) -> None:
    with pytest.raises(AirflowFailException) as failure:
        create_op("run-doesNotExist42").execute(context("create_export"))
    assert "Terraform run run-doesNotExist42 does not exist or the token" in str(failure.value)
    assert xcom == {} and posts(tfc) == 0
    assert delete_op().execute(context("delete_export")) == []


@pytest.mark.parametrize(
    ("run_id", "retryable", "says"),
    [
        (RUN_ERRORED, False, "ended with status 'errored'"),
        (RUN_NO_EXPORT_PERMISSION, False, "Download Sentinel mocks"),
        (RUN_PLANNING, True, "wait until the plan has finished"),
    ],
)
def test_run_that_cannot_be_exported(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], run_id: str, retryable: bool, says: str
) -> None:
    with pytest.raises(AirflowException) as failure:
        create_op(run_id).execute(context("create_export"))
    assert isinstance(failure.value, AirflowFailException) is not retryable
    assert run_id in str(failure.value) and says in str(failure.value)
    assert posts(tfc) == 0


# -- download -----------------------------------------------------------------------------------------------


def finished_export(context: Callable[..., dict[str, Any]], emulator: EmulatorServer) -> str:
    export_id = create_op().execute(context("create_export"))
    emulator.advance_clock(5)
    return export_id


def test_download_to_a_local_folder(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    export_id = finished_export(context, tfc)
    location = download_op(export_id, str(tmp_path)).execute(context("download_bundle"))
    run_dir = tmp_path / "tfc_policy_check" / "manual__2024-05-02T10_16_00_00_00"
    assert location == f"file://{run_dir}/bundle"
    assert (run_dir / "bundle" / "sentinel.hcl").is_file()
    assert tarfile.is_tarfile(run_dir / "bundle.tar.gz")
    # A retry of the task replaces the earlier copy instead of failing on it.
    assert download_op(export_id, str(tmp_path)).execute(context("download_bundle")) == location
    assert tfc.snapshot()["blob_auth_leaks"] == 0
    delete_op().execute(context("delete_export"))


def test_download_to_remote_storage(tfc: EmulatorServer, context: Callable[..., dict[str, Any]]) -> None:
    """Any non-local store goes through the upload path; fsspec's in-memory one stands in for s3://."""
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())
    export_id = finished_export(context, tfc)
    root = ObjectStoragePath("memory://tfc-bundles/test-remote")
    location = download_op(export_id, root).execute(context("download_bundle"))
    bundle = ObjectStoragePath(location)
    assert location.startswith("memory://") and (bundle / "sentinel.hcl").read_text().startswith("mock")
    assert (bundle.parent / "bundle.tar.gz").exists()
    names = {p.name for p in bundle.iterdir()}
    assert {"sentinel.hcl", "mock-tfplan-v2.sentinel", "mock-tfrun.sentinel"} <= names
    root.fs.rm(root.path, recursive=True)
    delete_op().execute(context("delete_export"))


def test_download_reexports_an_expired_export_once(
    tfc: EmulatorServer,
    context: Callable[..., dict[str, Any]],
    xcom: dict[tuple[str, str], Any],
    tmp_path: Path,
) -> None:
    export_id = finished_export(context, tfc)
    tfc.advance_clock(3700)
    store = StateStore()
    location = download_op(export_id, str(tmp_path)).execute(context("download_bundle", store))
    assert location.endswith("/bundle") and posts(tfc) == 2
    replacement = xcom[("download_bundle", "export_id")]
    assert replacement != export_id and store.values == {"reexport_id": replacement}
    # A retry of the download reuses its replacement instead of exporting a third time, and records it
    # again for the teardown (Airflow clears a task's XCom when a new try starts).
    del xcom[("download_bundle", "export_id")]
    assert download_op(export_id, str(tmp_path)).execute(context("download_bundle", store)) == location
    assert posts(tfc) == 2 and xcom[("download_bundle", "export_id")] == replacement
    deleted = delete_op().execute(context("delete_export"))
    assert replacement in deleted


def test_download_of_an_errored_export_fails_with_its_message(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    tfc.add_faults(export_outcomes={"*": {"outcome": "errored", "error_message": "no mocks today"}})
    export_id = finished_export(context, tfc)
    with pytest.raises(AirflowFailException, match="no mocks today"):
        download_op(export_id, str(tmp_path)).execute(context("download_bundle"))
    delete_op().execute(context("delete_export"))


def test_download_before_the_export_finished_is_retryable(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    export_id = create_op().execute(context("create_export"))
    with pytest.raises(AirflowException, match="still 'queued'") as failure:
        download_op(export_id, str(tmp_path)).execute(context("download_bundle"))
    assert not isinstance(failure.value, AirflowFailException)
    delete_op().execute(context("delete_export"))


def test_default_storage_is_under_airflow_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert str(bundle_storage_root()) == f"file://{tmp_path}/tfc-sentinel/bundles"
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__BUNDLE_STORAGE", "memory://elsewhere")
    assert str(bundle_storage_root()) == "memory://elsewhere"
    assert str(bundle_storage_root("s3://bucket/x")) == "s3://bucket/x"


# -- delete -------------------------------------------------------------------------------------------------


def test_delete_already_gone_is_success(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]], make_client: Callable[[], Any]
) -> None:
    export_id = create_op().execute(context("create_export"))
    make_client().delete_plan_export(export_id)
    assert delete_op().execute(context("delete_export")) == []


def test_delete_finds_the_export_through_the_plan_when_none_was_recorded(
    tfc: EmulatorServer,
    context: Callable[..., dict[str, Any]],
    xcom: dict[tuple[str, str], Any],
    make_client: Callable[[], Any],
) -> None:
    # The create task died after POST and before recording the ID: only plan_id is in XCom.
    export_id = make_client().create_plan_export(PLAN_PLANNED).id
    xcom[("create_export", "plan_id")] = PLAN_PLANNED
    assert delete_op().execute(context("delete_export")) == [export_id]


def test_delete_with_a_bad_token_fails_loudly(
    tfc: EmulatorServer, context: Callable[..., dict[str, Any]]
) -> None:
    export_id = create_op().execute(context("create_export"))
    bad = DeletePlanExportOperator(task_id="delete_export", export_id=export_id, tfc_conn_id="tfc_bad_token")
    with pytest.raises(AirflowFailException, match="401"):
        bad.execute(context("delete_export"))
    delete_op(export_id="None").execute(context("delete_export"))  # a rendered empty XCom is ignored


# -- link ---------------------------------------------------------------------------------------------------


def test_link_is_empty_rather_than_an_error() -> None:
    key = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, try_number=1)
    assert TerraformRunLink().get_link(create_op(), ti_key=key) == ""  # type: ignore[arg-type]
