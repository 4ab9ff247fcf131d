"""TerraformCloudHook: connection parsing, both clients, the connection test, the retry predicate."""

from __future__ import annotations

import asyncio
import socket

import pytest
from airflow.sdk import Connection
from airflow.sdk._shared.secrets_masker import redact

from tests.airflow.conftest import BAD_TOKEN_CONN_ID, CONN_ID, ORG, set_connection
from tfc_sentinel.airflow.hooks import TerraformCloudHook, config_from_connection, task_error
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import (
    AuthenticationError,
    NotFoundError,
    PlanExportFailedError,
    PlanExportTimeoutError,
    RateLimitError,
    ServerError,
    TfcConnectionError,
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_hook_identity_for_the_provider_manager() -> None:
    assert TerraformCloudHook.conn_type == "terraform_cloud"
    assert TerraformCloudHook.default_conn_name == "tfc_default"
    assert TerraformCloudHook.conn_name_attr == "tfc_conn_id"
    assert TerraformCloudHook.hook_name == "Terraform Cloud"


def test_constructing_the_hook_reads_no_connection() -> None:
    hook = TerraformCloudHook("no_such_connection")  # a lookup here would raise
    assert hook.tfc_conn_id == "no_such_connection"
    ok, message = hook.test_connection()
    assert not ok and "no_such_connection" in message


def test_sync_client_talks_to_the_emulator(tfc: EmulatorServer) -> None:
    hook = TerraformCloudHook()
    with hook.get_client() as client:
        assert [org.name for org in client.list_organizations()] == [ORG]
    assert hook.organization == ORG
    assert hook.config.origin == tfc.api_url
    assert redact(tfc.token) == "***"  # the token is registered with the secrets masker


def test_async_client_uses_the_async_connection_lookup(tfc: EmulatorServer) -> None:
    async def organizations() -> list[str]:
        async with await TerraformCloudHook(CONN_ID).get_async_client() as client:
            return [org.name for org in await client.list_organizations()]

    assert asyncio.run(organizations()) == [ORG]


def test_connection_test_good_token(tfc: EmulatorServer) -> None:
    ok, message = TerraformCloudHook().test_connection()
    assert ok, message
    assert ORG in message and tfc.api_url in message


def test_connection_test_bad_token(tfc: EmulatorServer) -> None:
    ok, message = TerraformCloudHook(BAD_TOKEN_CONN_ID).test_connection()
    assert not ok
    assert "rejected the API token" in message and "not-a-valid-token" not in message


def test_connection_test_unreachable_host(tfc: EmulatorServer) -> None:
    set_connection("tfc_unreachable", f"http://127.0.0.1:{closed_port()}", tfc.token)
    ok, message = TerraformCloudHook("tfc_unreachable").test_connection()
    assert not ok
    assert message.startswith("Could not reach http://127.0.0.1:") and tfc.token not in message


def test_connection_test_organization_the_token_cannot_see(tfc: EmulatorServer) -> None:
    set_connection("tfc_other_org", tfc.api_url, tfc.token, organization="globex")
    ok, message = TerraformCloudHook("tfc_other_org").test_connection()
    assert not ok
    assert "'globex' is not visible" in message and ORG in message


def test_connection_test_not_a_terraform_cloud_api(tfc: EmulatorServer) -> None:
    set_connection("tfc_blob_host", tfc.blob_url, tfc.token)  # answers, but not JSON:API
    ok, message = TerraformCloudHook("tfc_blob_host").test_connection()
    assert not ok and message


def test_connection_without_token_says_where_the_token_goes() -> None:
    conn = Connection(conn_id="t", conn_type="terraform_cloud", host="app.terraform.io")
    with pytest.raises(ValueError, match="password field"):
        config_from_connection(conn, {})


@pytest.mark.parametrize(
    ("host", "port", "origin"),
    [
        (None, None, "https://app.terraform.io"),
        ("tfe.example.com", None, "https://tfe.example.com"),
        ("tfe.example.com", 8443, "https://tfe.example.com:8443"),
        ("http://127.0.0.1", 8750, "http://127.0.0.1:8750"),
        ("http://127.0.0.1:9000", 8750, "http://127.0.0.1:9000"),
        ("https://tfe.example.com/api/v2/", None, "https://tfe.example.com"),
        ("::1", 8750, "https://[::1]:8750"),
    ],
)
def test_host_and_port(host: str | None, port: int | None, origin: str) -> None:
    conn = Connection(conn_id="t", conn_type="terraform_cloud", host=host, port=port, password="tok")
    assert config_from_connection(conn, {}).origin == origin


def test_extra_keys_plain_and_prefixed() -> None:
    conn = Connection(conn_id="t", conn_type="terraform_cloud", host="h", password="tok")
    config = config_from_connection(
        conn,
        {
            "extra__terraform_cloud__verify_tls": "false",
            "read_timeout": "12.5",
            "extra__terraform_cloud__retry_max_attempts": 2,
            "connect_timeout": "",  # an empty UI field counts as unset
        },
    )
    assert config.verify_tls is False
    assert config.read_timeout == 12.5 and config.connect_timeout == 10.0
    assert config.retry.max_attempts == 2
    assert "tok" not in repr(config)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"verify_tls": "maybe"}, "must be true or false"),
        ({"read_timeout": "soon"}, "must be a number"),
        ({"retry_max_attempts": 0}, "greater than 0"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "does not exist"),
    ],
)
def test_bad_extra_is_named(extra: dict[str, object], problem: str) -> None:
    conn = Connection(conn_id="t", conn_type="terraform_cloud", host="h", password="tok")
    with pytest.raises(ValueError, match=problem):
        config_from_connection(conn, extra)


def test_retry_predicate() -> None:
    retryable = [
        RateLimitError("GET", "/x", 429),
        ServerError("GET", "/x", 503),
        TfcConnectionError("GET", "/x", "reset"),
        PlanExportTimeoutError("pe-1", "queued", 10),
    ]
    final = [
        AuthenticationError("GET", "/x", 401),
        NotFoundError("GET", "/runs/run-1", 404),
        PlanExportFailedError("pe-1", "errored"),
        ValueError("bad id"),
    ]
    assert all(TerraformCloudHook.is_retryable(exc) for exc in retryable)
    assert not any(TerraformCloudHook.is_retryable(exc) for exc in final)
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    assert type(task_error(retryable[1], "doing")) is AirflowException
    assert isinstance(task_error(final[0], "doing"), AirflowFailException)
    assert str(task_error(final[1], "reading run")).startswith("reading run: GET /runs/run-1")
