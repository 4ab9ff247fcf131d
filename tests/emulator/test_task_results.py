"""Run-task result callbacks (tfc-api.md section 12): the task's access token, the body rules, final states."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests

from tests.emulator.conftest import JSONAPI, RUN_PLANNED, Admin
from tfc_sentinel.emulator import EmulatorServer

CALLBACK_TEMPLATE = "/api/v2/task-results/{task_result_id}/callback"
OUTCOME = {
    "type": "task-result-outcomes",
    "attributes": {
        "outcome-id": "require-tags",
        "description": "aws_s3_bucket.logs lacks tag 'owner'",
        "body": "## Details\nadd `owner`",
        "url": "https://airflow.example/policies/require-tags",
        "tags": {"Status": [{"label": "Failed", "level": "error"}], "Severity": [{"label": "High"}]},
    },
}


def body(status: str = "passed", outcomes: list[Any] | None = None, **attributes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "task-results", "attributes": {"status": status, **attributes}}
    if outcomes is not None:
        data["relationships"] = {"outcomes": {"data": outcomes}}
    return {"data": data}


def patch(url: str, token: str | None, payload: Any, content_type: str | None = JSONAPI) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return requests.patch(url, data=data, headers=headers, timeout=30)


def error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSONAPI
    [err] = response.json()["errors"]
    assert err["status"] == str(status)
    return err


@pytest.fixture
def task(admin: Admin) -> dict[str, Any]:
    """A pending post-plan result for the planned run: id, callback_url, access_token, status."""
    return admin.send("POST", "/task-results", {"run_id": RUN_PLANNED, "stage": "post_plan"}, expect=201)


def test_create_hands_out_an_absolute_callback_url_and_a_token(
    task: dict[str, Any], admin: Admin, reset: EmulatorServer
) -> None:
    assert set(task) == {"id", "callback_url", "access_token", "status"}
    assert task["id"].startswith("taskrs-") and len(task["id"]) == len("taskrs-") + 16
    assert task["id"][7:].isalnum()
    assert task["callback_url"] == f"{reset.api_url}/api/v2/task-results/{task['id']}/callback"
    assert task["status"] == "pending" and len(task["access_token"]) >= 32
    shown = admin.get(f"/task-results/{task['id']}")
    assert (shown["status"], shown["run_id"], shown["stage"], shown["patch_count"]) == (
        "pending",
        RUN_PLANNED,
        "post_plan",
        0,
    )
    assert task["access_token"] not in json.dumps(shown)  # shown once, at creation only
    assert admin.state()["task_results"] == 1
    other = admin.send("POST", "/task-results", {"run_id": RUN_PLANNED}, expect=201)
    assert other["access_token"] != task["access_token"]
    assert admin.state()["task_results"] == 2


def test_running_repeats_then_passed(task: dict[str, Any], admin: Admin) -> None:
    url, token = task["callback_url"], task["access_token"]
    first = patch(url, token, body("running", message="3 of 12 policies checked"))
    assert first.status_code == 200, first.text
    assert first.headers["Content-Type"] == JSONAPI
    data = first.json()["data"]
    assert (data["id"], data["type"], data["attributes"]["status"]) == (task["id"], "task-results", "running")
    assert data["links"]["self"] == f"/api/v2/task-results/{task['id']}"
    assert patch(url, token, body("running", message="9 of 12 policies checked")).status_code == 200
    done = patch(url, token, body("passed", message="12 passed", url="https://airflow.example/run/1"))
    assert done.status_code == 200, done.text
    attributes = done.json()["data"]["attributes"]
    assert (attributes["status"], attributes["message"]) == ("passed", "12 passed")
    assert set(attributes["status-timestamps"]) == {"running-at", "passed-at"}

    shown = admin.get(f"/task-results/{task['id']}")
    assert (shown["status"], shown["message"], shown["url"]) == (
        "passed",
        "12 passed",
        "https://airflow.example/run/1",
    )
    assert shown["patch_count"] == 3 and [p["response_status"] for p in shown["patches"]] == [200] * 3
    assert shown["patches"][1]["body"] == body("running", message="9 of 12 policies checked")


def test_failed_with_outcomes_stores_them(task: dict[str, Any], admin: Admin) -> None:
    second = copy.deepcopy(OUTCOME)
    second["attributes"] = {"outcome-id": "no-public-buckets", "description": "all buckets private"}
    sent = body("failed", [OUTCOME, second], message="1 passed, 1 failed")
    response = patch(task["callback_url"], task["access_token"], sent)
    assert response.status_code == 200, response.text
    shown = admin.get(f"/task-results/{task['id']}")
    assert shown["status"] == "failed" and shown["message"] == "1 passed, 1 failed"
    assert shown["outcomes"] == [OUTCOME["attributes"], second["attributes"]]


@pytest.mark.parametrize("who", ["none", "user token", "wrong token", "another result's token"])
def test_only_this_results_access_token_is_accepted(
    who: str, task: dict[str, Any], admin: Admin, reset: EmulatorServer
) -> None:
    other = admin.send("POST", "/task-results", {"run_id": RUN_PLANNED}, expect=201)
    token = {
        "none": None,
        "user token": reset.token,  # the organization's API token is no good here
        "wrong token": task["access_token"][:-2] + "xx",
        "another result's token": other["access_token"],
    }[who]
    response = patch(task["callback_url"], token, body("passed", message="ok"))
    assert error(response, 401) == {"status": "401", "title": "unauthorized"}
    shown = admin.get(f"/task-results/{task['id']}")
    assert (shown["status"], shown["patch_count"]) == ("pending", 0)


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_json_api_content_type_is_required(
    content_type: str | None, task: dict[str, Any], admin: Admin
) -> None:
    response = patch(task["callback_url"], task["access_token"], body("passed"), content_type=content_type)
    assert error(response, 415)["title"] == "unsupported media type"
    assert admin.get(f"/task-results/{task['id']}")["status"] == "pending"


def outcome(**attributes: Any) -> dict[str, Any]:
    row = copy.deepcopy(OUTCOME)
    row["attributes"].update(attributes)
    row["attributes"] = {k: v for k, v in row["attributes"].items() if v is not None}
    return row


OUTCOMES = "/data/relationships/outcomes/data"
INVALID: list[tuple[str, Any, str]] = [
    ("not JSON", b"{", "/data"),
    ("no data", {"status": "passed"}, "/data"),
    ("wrong type", {"data": {"type": "runs", "attributes": {"status": "passed"}}}, "/data/type"),
    ("no status", {"data": {"type": "task-results", "attributes": {}}}, "/data/attributes/status"),
    ("unknown status", body("done"), "/data/attributes/status"),
    ("status pending", body("pending"), "/data/attributes/status"),
    ("status errored", body("errored"), "/data/attributes/status"),
    ("empty message", body(message=""), "/data/attributes/message"),
    ("long message", body(message="m" * 1001), "/data/attributes/message"),
    ("message not a string", body(message=12), "/data/attributes/message"),
    ("long url", body(url="https://x.example/" + "u" * 483), "/data/attributes/url"),
    ("251 outcomes", body(outcomes=[outcome(**{"outcome-id": f"p{i}"}) for i in range(251)]), OUTCOMES),
    ("outcomes not a list", body(outcomes={"outcome-id": "x"}), OUTCOMES),
    ("outcome type", body(outcomes=[{**outcome(), "type": "outcomes"}]), f"{OUTCOMES}/0/type"),
    (
        "no outcome-id",
        body(outcomes=[outcome(), outcome(**{"outcome-id": None})]),
        f"{OUTCOMES}/1/attributes/outcome-id",
    ),
    ("no description", body(outcomes=[outcome(description=None)]), f"{OUTCOMES}/0/attributes/description"),
    (
        "tag level",
        body(outcomes=[outcome(tags={"Status": [{"label": "Failed", "level": "fatal"}]})]),
        f"{OUTCOMES}/0/attributes/tags/Status/0/level",
    ),
    (
        "tag level, escaped name",
        body(outcomes=[outcome(tags={"a/b": [{"label": "x", "level": "critical"}]})]),
        f"{OUTCOMES}/0/attributes/tags/a~1b/0/level",
    ),
    (
        "tags not lists",
        body(outcomes=[outcome(tags={"Status": {"label": "Failed"}})]),
        f"{OUTCOMES}/0/attributes/tags/Status",
    ),
    (
        "body over 5 MB",
        body(outcomes=[outcome(body="b" * (5 * 1024 * 1024 + 1))]),
        f"{OUTCOMES}/0/attributes/body",
    ),
]


@pytest.mark.parametrize(("case", "payload", "pointer"), INVALID, ids=[case for case, _, _ in INVALID])
def test_invalid_bodies_are_422_with_a_pointer(
    case: str, payload: Any, pointer: str, task: dict[str, Any], admin: Admin
) -> None:
    err = error(patch(task["callback_url"], task["access_token"], payload), 422)
    assert err["source"] == {"pointer": pointer} and err["detail"]
    shown = admin.get(f"/task-results/{task['id']}")
    assert shown["status"] == "pending" and shown["outcomes"] == []
    assert [p["response_status"] for p in shown["patches"]] == [422]


def test_limits_are_inclusive(task: dict[str, Any], admin: Admin) -> None:
    """The largest allowed values pass: 1000-character message, 500-character url, 250 outcomes, 5 MB."""
    outcomes = [outcome(**{"outcome-id": f"p{i}", "body": None}) for i in range(249)]
    outcomes.append(outcome(body="b" * (5 * 1024 * 1024)))
    sent = body("running", outcomes, message="m" * 1000, url="https://x.example/" + "u" * 482)
    assert patch(task["callback_url"], task["access_token"], sent).status_code == 200
    assert len(admin.get(f"/task-results/{task['id']}")["outcomes"]) == 250
    minimal = {"data": {"type": "task-results", "attributes": {"status": "passed"}}}
    assert patch(task["callback_url"], task["access_token"], minimal).status_code == 200
    shown = admin.get(f"/task-results/{task['id']}")
    assert shown["message"] == "m" * 1000 and len(shown["outcomes"]) == 250  # kept: not sent again


@pytest.mark.parametrize("final", ["passed", "failed"])
def test_a_patch_after_a_final_status_is_409(final: str, task: dict[str, Any], admin: Admin) -> None:
    url, token = task["callback_url"], task["access_token"]
    assert patch(url, token, body(final, message="done")).status_code == 200
    for again in ("running", "passed", "failed"):
        err = error(patch(url, token, body(again, message="again")), 409)
        assert err["title"] == "conflict" and final in err["detail"]
    assert error(patch(url, token, b"not even JSON"), 409)  # nothing can change a final result
    shown = admin.get(f"/task-results/{task['id']}")
    assert (shown["status"], shown["message"]) == (final, "done")
    assert [p["response_status"] for p in shown["patches"]] == [200, 409, 409, 409, 409]


def test_no_final_status_within_10_minutes_is_errored(
    task: dict[str, Any], admin: Admin, reset: EmulatorServer
) -> None:
    url, token = task["callback_url"], task["access_token"]
    assert patch(url, token, body("running", message="working")).status_code == 200
    admin.advance(590)
    assert admin.get(f"/task-results/{task['id']}")["status"] == "running"
    assert patch(url, token, body("running", message="still working")).status_code == 200
    admin.advance(11)
    shown = admin.get(f"/task-results/{task['id']}")
    assert shown["status"] == "errored" and "errored-at" in shown["status_timestamps"]
    assert shown["updated_at"] == shown["deadline_at"]
    err = error(patch(url, token, body("passed", message="too late")), 409)
    assert "errored" in err["detail"]
    assert reset.task_result(task["id"])["status"] == "errored"


def test_a_final_status_before_the_deadline_stays(task: dict[str, Any], admin: Admin) -> None:
    assert patch(task["callback_url"], task["access_token"], body("passed")).status_code == 200
    admin.advance(3600)
    assert admin.get(f"/task-results/{task['id']}")["status"] == "passed"


def test_unknown_result_is_404(task: dict[str, Any], reset: EmulatorServer) -> None:
    url = f"{reset.api_url}/api/v2/task-results/taskrs-AAAAAAAAAAAAAAAA/callback"
    assert error(patch(url, task["access_token"], body()), 404) == {"status": "404", "title": "not found"}


def test_a_required_code_makes_the_url_verbatim(admin: Admin, reset: EmulatorServer) -> None:
    task = admin.send(
        "POST",
        "/task-results",
        {"run_id": RUN_PLANNED, "require_code": True, "stage": "pre_apply"},
        expect=201,
    )
    url = task["callback_url"]
    assert "?code=" in url
    bare = url.partition("?")[0]
    error(patch(bare, task["access_token"], body()), 404)
    error(patch(f"{bare}?code=wrong", task["access_token"], body()), 404)
    assert patch(url, task["access_token"], body()).status_code == 200
    assert task["access_token"] not in json.dumps(admin.get(f"/task-results/{task['id']}"))
    assert url.partition("=")[2] not in json.dumps(admin.get(f"/task-results/{task['id']}"))


def test_callbacks_are_logged_faulted_and_never_show_a_user(task: dict[str, Any], admin: Admin) -> None:
    admin.faults({"path": CALLBACK_TEMPLATE, "method": "PATCH", "sequence": ["503"]})
    url, token = task["callback_url"], task["access_token"]
    assert error(patch(url, token, body("running")), 503)
    assert patch(url, token, body("running")).status_code == 200
    patch(url, None, body("running"))
    log = [e for e in admin.get("/requests")["requests"] if e["template"] == CALLBACK_TEMPLATE]
    assert [(e["status"], e["fault"], e["credential"], e["user"]) for e in log] == [
        (503, "503", "task-result", None),
        (200, None, "task-result", None),
        (401, None, None, None),
    ]
    assert token not in json.dumps(log)
    assert admin.state()["requests"][f"PATCH {CALLBACK_TEMPLATE}"] == 3


@pytest.mark.parametrize(
    ("sent", "pointer"),
    [
        ({"run_id": "run-AAAAAAAAAAAAAAAA"}, "/run_id"),
        ({}, "/run_id"),
        ({"run_id": RUN_PLANNED, "stage": "post_apply_2"}, "/stage"),
        ({"run_id": RUN_PLANNED, "enforcement_level": "soft"}, "/enforcement_level"),
        ({"run_id": RUN_PLANNED, "require_code": "yes"}, "/require_code"),
    ],
)
def test_admin_create_checks_its_input(sent: dict[str, Any], pointer: str, admin: Admin) -> None:
    err = admin.send("POST", "/task-results", sent, expect=422)["errors"][0]
    assert err["source"] == {"pointer": pointer}
    assert admin.state()["task_results"] == 0


def test_admin_show_unknown_is_404_and_reset_forgets_results(task: dict[str, Any], admin: Admin) -> None:
    response = requests.get(f"{admin.base_url}/task-results/taskrs-AAAAAAAAAAAAAAAA", timeout=10)
    assert response.status_code == 404
    admin.send("POST", "/reset")
    assert admin.state()["task_results"] == 0
    assert requests.get(f"{admin.base_url}/task-results/{task['id']}", timeout=10).status_code == 404
    assert error(patch(task["callback_url"], task["access_token"], body()), 401)


def test_same_process_shortcuts(reset: EmulatorServer) -> None:
    created = reset.create_task_result(RUN_PLANNED, "pre_plan")
    assert created["callback_url"].startswith(reset.api_url) and created["status"] == "pending"
    assert patch(created["callback_url"], created["access_token"], body("failed")).status_code == 200
    shown = reset.task_result(created["id"])
    assert (shown["stage"], shown["status"], shown["patch_count"]) == ("pre_plan", "failed", 1)
