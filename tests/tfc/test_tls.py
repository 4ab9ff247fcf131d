"""Terraform Enterprise setups: HTTPS with a private CA, verification on, off, or with a CA bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.tfc.conftest import FAST_RETRY, PLAN_PLANNED, BlockingAsyncClient
from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer
from tfc_sentinel.tfc import TfcClient, TfcConfig, TfcConnectionError


@pytest.fixture(scope="module")
def ca_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, EmulatorServer]]:
    """An emulator serving both hosts over HTTPS with a certificate from a private CA."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    with EmulatorServer(EmulatorConfig(export_delay=0.1), tls=(str(cert_pem), str(key_pem))) as server:
        yield ca_pem, server


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest, ca_and_server: tuple[Path, EmulatorServer]) -> Iterator[Any]:
    made: list[Any] = []
    _, server = ca_and_server

    def factory(**overrides: Any) -> Any:
        config = TfcConfig(host=server.api_url, token=server.token, retry=FAST_RETRY, **overrides)
        client = TfcClient(config) if request.param == "sync" else BlockingAsyncClient(config)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def test_https_with_the_ca_bundle_exports_and_downloads(
    connect: Any, ca_and_server: tuple[Path, EmulatorServer], tmp_path: Path
) -> None:
    ca_pem, server = ca_and_server
    assert server.api_url.startswith("https://") and server.blob_url.startswith("https://")
    client = connect(ca_bundle=str(ca_pem))
    export = client.create_or_reuse_plan_export(PLAN_PLANNED)
    client.wait_for_plan_export(export.id, timeout=10, poll_interval=0.05)
    archive = client.download_plan_export(export.id, tmp_path / "bundle.tar.gz")  # blob host over HTTPS
    assert archive.stat().st_size > 0
    assert client.delete_plan_export(export.id)


def test_unknown_ca_is_refused_with_a_certificate_error(connect: Any) -> None:
    with pytest.raises(TfcConnectionError, match=r"(?i)certificate"):
        connect().ping()


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_verification_can_be_switched_off(connect: Any) -> None:
    assert connect(verify_tls=False).ping().api_version


def test_missing_ca_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"CA bundle .* does not exist"):
        TfcConfig(ca_bundle=str(tmp_path / "nope.pem"))
