"""Where the client sends requests, for Terraform Cloud and Terraform Enterprise hosts."""

from __future__ import annotations

import pytest

from tfc_sentinel.tfc import TfcConfig


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("app.terraform.io", "https://app.terraform.io"),
        ("https://tfe.example.com/", "https://tfe.example.com"),
        ("https://tfe.example.com/api/v2", "https://tfe.example.com"),
        ("http://127.0.0.1:8750", "http://127.0.0.1:8750"),
    ],
)
def test_origin(host: str, origin: str) -> None:
    config = TfcConfig(host=host)
    assert config.origin == origin
    assert config.url("/runs/run-1") == f"{origin}/api/v2/runs/run-1"
    assert config.url("/api/v2/plan-exports/pe-1/download") == f"{origin}/api/v2/plan-exports/pe-1/download"


def test_bad_host_and_timeouts_are_refused() -> None:
    with pytest.raises(ValueError, match="not a host name or an http"):
        _ = TfcConfig(host="ftp://example.com").origin
    with pytest.raises(ValueError, match="positive"):
        TfcConfig(read_timeout=0)


def test_token_stays_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFC_TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("TFC_HOST", "tfe.example.com")
    config = TfcConfig.from_env()
    assert config.token == "s3cr3t-token-value" and config.origin == "https://tfe.example.com"
    assert "s3cr3t" not in repr(config)
