"""Error bodies as Terraform Cloud and the proxies in front of it send them."""

from __future__ import annotations

import json

import pytest

from tfc_sentinel.tfc.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TfcApiError,
    UnprocessableError,
    describe_resource,
    error_for_status,
    parse_error_body,
)


def test_jsonapi_422_keeps_title_detail_and_pointer() -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "status": "422",
                    "title": "invalid attribute",
                    "detail": "Data type is not included in the list",
                    "source": {"pointer": "/data/attributes/data-type"},
                }
            ]
        }
    ).encode()
    err = error_for_status("POST", "/plan-exports", 422, body, "application/vnd.api+json")
    assert isinstance(err, UnprocessableError)
    assert (err.status, err.title, err.pointer) == (422, "invalid attribute", "/data/attributes/data-type")
    assert err.detail == "Data type is not included in the list"
    assert "POST /plan-exports failed with HTTP 422" in str(err)
    assert "(at /data/attributes/data-type)" in str(err)


def test_integer_status_and_bare_string_errors() -> None:
    errors, excerpt = parse_error_body(
        b'{"errors": [{"status": 429, "title": "Too many requests"}, "plain"]}'
    )
    assert errors[0].status == 429 and errors[0].title == "Too many requests"
    assert errors[1].detail == "plain" and errors[1].status is None
    assert excerpt == ""


def test_html_502_from_a_proxy_is_summarised_not_dumped() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body>"
    )
    err = error_for_status("GET", "/api/v2/runs/run-abc", 502, page, "text/html")
    assert isinstance(err, ServerError)
    assert "502 Bad Gateway" in str(err) and "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" not in str(err)


def test_404_names_the_resource_and_says_404_may_mean_forbidden() -> None:
    err = error_for_status(
        "GET", "/api/v2/plan-exports/pe-123", 404, b'{"errors":[{"status":"404","title":"not found"}]}'
    )
    assert isinstance(err, NotFoundError)
    assert "plan export pe-123" in str(err) and "cannot see it" in str(err)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (429, RateLimitError), (503, ServerError), (418, TfcApiError)],
)
def test_status_classes(status: int, cls: type[TfcApiError]) -> None:
    err = error_for_status("GET", "/ping", status, b"")
    assert type(err) is cls and err.status == status


def test_describe_resource() -> None:
    assert describe_resource("/api/v2/runs/run-1/plan") == "run run-1"
    assert describe_resource("/plan-exports/pe-9/download") == "plan export pe-9"
    assert describe_resource("/ping") == "/ping"
