"""Run comments: create, list, show; permission and body checks."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import RUN_GLOBEX, RUN_NO_EXPORT_PERMISSION, RUN_PLANNED, Api


def comment_body(text: object) -> dict:
    return {"data": {"type": "comments", "attributes": {"body": text}}}


def test_create_list_and_show(acme: Api) -> None:
    created = acme.post(f"/runs/{RUN_PLANNED}/comments", comment_body("Sentinel: 12 passed, 1 failed"))
    assert created.status_code == 201
    comment = created.json()["data"]
    assert comment["id"].startswith("wsc-") and len(comment["id"]) == 20
    assert comment["type"] == "comments"
    assert comment["attributes"]["body"] == "Sentinel: 12 passed, 1 failed"
    event = comment["relationships"]["run-event"]["data"]
    assert event["type"] == "run-events" and event["id"].startswith("re-")
    assert comment["links"]["self"] == f"/api/v2/comments/{comment['id']}"
    acme.post(f"/runs/{RUN_PLANNED}/comments", comment_body("second"))
    listed = acme.get(f"/runs/{RUN_PLANNED}/comments").json()
    assert [c["attributes"]["body"] for c in listed["data"]] == ["Sentinel: 12 passed, 1 failed", "second"]
    assert listed["meta"]["pagination"]["total-count"] == 2
    assert acme.get(comment["links"]["self"].removeprefix("/api/v2")).json()["data"] == comment


def test_comments_respect_visibility_and_permission(acme: Api, globex: Api) -> None:
    assert acme.post(f"/runs/{RUN_GLOBEX}/comments", comment_body("hi")).status_code == 404
    assert acme.get(f"/runs/{RUN_GLOBEX}/comments").status_code == 404
    created = acme.post(f"/runs/{RUN_PLANNED}/comments", comment_body("hi")).json()["data"]
    assert globex.get(f"/comments/{created['id']}").status_code == 404
    # legacy-readonly's run has permissions.can-comment false.
    assert acme.post(f"/runs/{RUN_NO_EXPORT_PERMISSION}/comments", comment_body("hi")).status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (comment_body(""), "/data/attributes/body"),
        (comment_body(42), "/data/attributes/body"),
        ({"data": {"type": "runs", "attributes": {"body": "x"}}}, "/data/type"),
        ({"comment": "x"}, "/data"),
    ],
)
def test_bad_comment_bodies_are_422(acme: Api, body: dict, pointer: str) -> None:
    response = acme.post(f"/runs/{RUN_PLANNED}/comments", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == {"pointer": pointer}
