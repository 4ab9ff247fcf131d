"""``DownloadBundleOperator`` against hostile archives and with the unpack limits set the Airflow way.

The emulator serves the archive over HTTP (``PUT /_emulator/exports/<id>/archive`` on its blob host
replaces a finished export's bundle), the operator downloads and unpacks it for real. Limits come from
the ``[tfc_sentinel]`` section (``AIRFLOW__TFC_SENTINEL__…`` environment variables here, as in a
deployment) or the operator's ``unpack_limits``; the operator's argument wins over the configuration,
which wins over the defaults.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException

from tests.airflow.conftest import CONN_ID
from tests.tfc.conftest import PLAN_PLANNED
from tfc_sentinel.airflow.operators import DownloadBundleOperator, bundle_unpack_limits
from tfc_sentinel.bundle import UnpackLimits
from tfc_sentinel.emulator import EmulatorServer

RUN_FOLDER: Final = Path("tfc_policy_check") / "manual__2024-05-02T10_16_00_00_00"


class _TaskInstance:
    """The one piece of the runtime the download touches without a re-export: XCom push."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def _context() -> dict[str, Any]:
    return {
        "ti": _TaskInstance(),
        "task_state_store": None,
        "dag": SimpleNamespace(dag_id="tfc_policy_check"),
        "run_id": "manual__2024-05-02T10:16:00+00:00",
    }


def _finished_export(emulator: EmulatorServer, archive: bytes | None = None) -> str:
    """A finished export of the planned run's plan, its archive replaced by ``archive`` when given."""
    from tfc_sentinel.tfc import TfcClient, TfcConfig

    with TfcClient(TfcConfig(host=emulator.api_url, token=emulator.token)) as client:
        export = client.create_or_reuse_plan_export(PLAN_PLANNED)
        emulator.advance_clock(5)
        assert client.get_plan_export(export.id).status == "finished"
    if archive is not None:
        url = f"{emulator.blob_url}/_emulator/exports/{export.id}/archive"
        assert requests.put(url, data=archive, timeout=30).status_code == 204
    return export.id


def _delete(emulator: EmulatorServer, export_id: str) -> None:
    from tfc_sentinel.tfc import TfcClient, TfcConfig

    with TfcClient(TfcConfig(host=emulator.api_url, token=emulator.token)) as client:
        client.delete_plan_export(export_id)


def _download(export_id: str, storage: Path, **kwargs: Any) -> str:
    op = DownloadBundleOperator(
        task_id="download_bundle", export_id=export_id, storage=str(storage), tfc_conn_id=CONN_ID, **kwargs
    )
    return op.execute(_context())  # type: ignore[arg-type]


def _traversal_archive() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("sentinel.hcl", b"mock {}\n"), ("../../../pwned.sentinel", b"main = true\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def test_a_hostile_archive_fails_the_task_and_leaves_nothing_in_storage(
    tfc: EmulatorServer, tmp_path: Path
) -> None:
    storage = tmp_path / "storage"
    export_id = _finished_export(tfc, _traversal_archive())
    with pytest.raises(AirflowFailException) as failure:
        _download(export_id, storage)
    message = str(failure.value)
    assert f"the bundle of plan export {export_id} is unusable" in message
    assert "member '../../../pwned.sentinel' contains '..'" in message
    assert "export the plan again" in message
    run_folder = storage / RUN_FOLDER
    assert list(run_folder.iterdir()) == []  # neither the archive nor a bundle nor a temporary folder
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["storage", *RUN_FOLDER.parts])
    _delete(tfc, export_id)


def test_limits_from_the_airflow_configuration(
    tfc: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator's genuine bundle has more than two files: a configured limit of two refuses it."""
    export_id = _finished_export(tfc)
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__MAX_BUNDLE_FILES", "2")
    with pytest.raises(AirflowFailException) as failure:
        _download(export_id, tmp_path)
    message = str(failure.value)
    assert "more than 2 members" in message
    assert "[tfc_sentinel] options max_bundle_bytes, max_bundle_files, max_member_bytes, max_ratio" in message
    # The operator's own limits win over the configuration.
    location = _download(export_id, tmp_path, unpack_limits={"max_members": 64})
    assert (Path(location.removeprefix("file://")) / "sentinel.hcl").is_file()
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__MAX_BUNDLE_BYTES", "1_000")
    with pytest.raises(AirflowFailException, match="add up to more than the 1000 bytes allowed"):
        _download(export_id, tmp_path, unpack_limits={"max_members": 64})
    _delete(tfc, export_id)


def test_bundle_unpack_limits_reads_every_option(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bundle_unpack_limits() == UnpackLimits()
    settings = {
        "MAX_BUNDLE_BYTES": "3_000_000",
        "MAX_BUNDLE_FILES": "9",
        "MAX_MEMBER_BYTES": "1000",
        "MAX_RATIO": "0",
    }
    for option, value in settings.items():
        monkeypatch.setenv(f"AIRFLOW__TFC_SENTINEL__{option}", value)
    assert bundle_unpack_limits() == UnpackLimits(
        max_total_bytes=3_000_000, max_members=9, max_member_bytes=1000, max_ratio=0
    )
    assert bundle_unpack_limits({"max_members": 10}).max_members == 10
    given = UnpackLimits(max_depth=1)
    assert bundle_unpack_limits(given) is given


@pytest.mark.parametrize(
    "option, value, says",
    [
        ("MAX_BUNDLE_FILES", "many", "[tfc_sentinel] max_bundle_files = 'many' is not a whole number"),
        ("MAX_BUNDLE_BYTES", "2GB", "[tfc_sentinel] max_bundle_bytes = '2GB' is not a whole number"),
        ("MAX_MEMBER_BYTES", "0", "UnpackLimits.max_member_bytes must be a whole number of at least 1"),
    ],
)
def test_a_bad_configured_limit_fails_with_its_name(
    monkeypatch: pytest.MonkeyPatch, option: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"AIRFLOW__TFC_SENTINEL__{option}", value)
    with pytest.raises(AirflowFailException) as failure:
        bundle_unpack_limits()
    assert says in str(failure.value)
