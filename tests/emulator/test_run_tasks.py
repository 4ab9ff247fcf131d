"""The emulator as a run-task sender (tfc-api.md section 12, checklist 15), and advancing runs.

Requests go to the recording ``Sink`` of ``test_notifications.py``; the access tokens they carry are
then used on the emulator's callback endpoint, which must accept exactly them and enforce its rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any, Final

import pytest
import requests

from tests.emulator.conftest import GCP, JSONAPI, NET_PROD, RUN_PLANNED, RUN_PLANNING, Admin, Api
from tests.emulator.test_notifications import Sink
from tfc_sentinel.emulator import EmulatorServer

KEY: Final = "run-task-key-0123456789"


@pytest.fixture
def sink() -> Iterator[Sink]:
    receiver = Sink()
    yield receiver
    receiver.close()


def hmac512(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def create_task(acme: Api, url: str, *, key: str | None = KEY, enabled: bool = True) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": "sentinel", "url": url, "category": "task", "enabled": enabled}
    if key is not None:
        attributes["hmac-key"] = key
    reply = acme.post("/organizations/acme-corp/tasks", {"data": {"type": "tasks", "attributes": attributes}})
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]


def attach(acme: Api, task_id: str, workspace: str = NET_PROD, **attributes: Any) -> dict[str, Any]:
    body = {
        "data": {
            "type": "workspace-tasks",
            "attributes": {"enforcement-level": "mandatory", **attributes},
            "relationships": {"task": {"data": {"id": task_id, "type": "tasks"}}},
        }
    }
    reply = acme.post(f"/workspaces/{workspace}/tasks", body)
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]


def callback(url: str, token: str, status: str, **attributes: Any) -> requests.Response:
    body = {"data": {"type": "task-results", "attributes": {"status": status, **attributes}}}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSONAPI}
    return requests.patch(url, data=json.dumps(body), headers=headers, timeout=10)


def test_creating_a_run_task_sends_the_test_token_verification(acme: Api, sink: Sink) -> None:
    task = create_task(acme, f"{sink.url}/task")
    [verification] = sink.at("/task")
    assert verification.headers["X-TFC-Task-Signature"] == hmac512(KEY, verification.body)
    assert verification.headers["User-Agent"].startswith("TFC/1.0")
    payload = verification.json()
    assert payload["access_token"] == "test-token" and payload["payload_version"] == 1
    assert payload["task_result_id"] is None and payload["run_id"] is None
    assert task["attributes"]["hmac-key"] is None and KEY not in json.dumps(task)
    assert acme.get(f"/tasks/{task['id']}").json()["data"]["attributes"]["url"] == f"{sink.url}/task"


def test_a_task_whose_url_refuses_the_verification_is_not_created(acme: Api, sink: Sink) -> None:
    sink.status["/task"] = 401
    body = {"data": {"type": "tasks", "attributes": {"name": "sentinel", "url": f"{sink.url}/task"}}}
    reply = acme.post("/organizations/acme-corp/tasks", body)
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["source"]["pointer"] == "/data/attributes/url"
    assert acme.get("/organizations/acme-corp/tasks").json()["data"] == []


def test_advancing_to_post_plan_sends_the_run_task_request(
    acme: Api, admin: Admin, sink: Sink, reset: EmulatorServer
) -> None:
    task = create_task(acme, f"{sink.url}/task")
    attachment = attach(acme, task["id"], stage="post_plan")
    assert attachment["attributes"]["stages"] == ["post_plan"]
    sink.requests.clear()

    answer = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "post_plan_running"})
    assert answer["stage"] == "post_plan"
    [delivery] = answer["deliveries"]
    assert delivery["status"] == 200 and delivery["kind"] == "run-task"
    assert delivery["body"]["access_token"] == "<redacted>"

    [request] = sink.at("/task")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-TFC-Task-Signature"] == hmac512(KEY, request.body)
    payload = request.json()
    assert payload["stage"] == "post_plan" and payload["payload_version"] == 1
    assert payload["capabilities"] == {"outcomes": True}
    assert payload["run_id"] == RUN_PLANNED and payload["is_speculative"] is False
    assert (payload["organization_name"], payload["workspace_id"], payload["workspace_name"]) == (
        "acme-corp",
        NET_PROD,
        "net-prod",
    )
    assert payload["task_result_enforcement_level"] == "mandatory"
    assert payload["task_result_id"] == delivery["task_result_id"]
    assert payload["plan_json_api_url"] == f"{reset.api_url}/api/v2/plans/plan-74Kr1sHe4saLNKHc/json-output"
    assert payload["task_result_callback_url"] == (
        f"{reset.api_url}/api/v2/task-results/{payload['task_result_id']}/callback"
    )
    # The callback takes exactly that token, and enforces its rules.
    url, token = payload["task_result_callback_url"], payload["access_token"]
    assert callback(url, reset.token, "passed").status_code == 401  # a user token is not the task's
    assert callback(url, token, "succeeded").status_code == 422
    assert callback(url, token, "running", message="checking").status_code == 200
    assert callback(url, token, "failed", message="1 policy failed").status_code == 200
    assert callback(url, token, "passed", message="changed my mind").status_code == 409
    result = admin.get(f"/task-results/{payload['task_result_id']}")
    assert result["status"] == "failed" and result["message"] == "1 policy failed"
    assert [p["response_status"] for p in result["patches"]] == [422, 200, 200, 409]


def test_a_result_without_a_final_status_errors_after_ten_minutes(
    acme: Api, admin: Admin, sink: Sink
) -> None:
    attach(acme, create_task(acme, f"{sink.url}/task")["id"])
    [delivery] = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "post_plan_running"})[
        "deliveries"
    ]
    [request] = sink.at("/task")[-1:]
    token, url = request.json()["access_token"], request.json()["task_result_callback_url"]
    admin.advance(601)
    assert admin.get(f"/task-results/{delivery['task_result_id']}")["status"] == "errored"
    assert callback(url, token, "passed").status_code == 409


def test_without_a_key_the_signature_header_is_empty(acme: Api, admin: Admin, sink: Sink) -> None:
    attach(acme, create_task(acme, f"{sink.url}/task", key=None)["id"])
    sink.requests.clear()
    admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "post_plan_running"})
    [request] = sink.at("/task")
    assert request.headers["X-TFC-Task-Signature"] == ""


def test_a_receiver_that_does_not_take_the_request_errors_the_result(
    acme: Api, admin: Admin, sink: Sink
) -> None:
    attach(acme, create_task(acme, f"{sink.url}/task")["id"])
    sink.status["/task"] = 500
    [delivery] = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "post_plan_running"})[
        "deliveries"
    ]
    assert delivery["status"] == 500
    result = admin.get(f"/task-results/{delivery['task_result_id']}")
    assert result["status"] == "errored" and "did not accept" in result["message"]


def test_only_the_stage_the_status_opens_is_sent(acme: Api, admin: Admin, sink: Sink) -> None:
    task = create_task(acme, f"{sink.url}/task")
    attach(acme, task["id"], stages=["pre_apply"])
    disabled = create_task(acme, f"{sink.url}/disabled", enabled=False)
    attach(acme, disabled["id"], stage="post_plan")
    sink.requests.clear()
    assert (
        admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "post_plan_running"})["deliveries"]
        == []
    )
    answer = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "pre_apply_running"})
    assert [d["event"] for d in answer["deliveries"]] == ["pre_apply"]
    assert [r.json()["stage"] for r in sink.requests] == ["pre_apply"]
    assert sink.at("/disabled") == []


def test_advancing_a_planning_run_finishes_its_plan(acme: Api, admin: Admin) -> None:
    assert acme.get(f"/runs/{RUN_PLANNING}/plan").json()["data"]["attributes"]["status"] == "running"
    answer = admin.send("POST", f"/runs/{RUN_PLANNING}/advance", {"status": "post_plan_running"})
    assert answer["deliveries"] == []
    run = acme.get(f"/runs/{RUN_PLANNING}").json()["data"]["attributes"]
    assert run["status"] == "post_plan_running"
    assert "post-plan-running-at" in run["status-timestamps"]
    assert acme.get(f"/runs/{RUN_PLANNING}/plan").json()["data"]["attributes"]["status"] == "finished"


@pytest.mark.parametrize(
    ("run_id", "body"),
    [
        ("run-DoesNotExist0001", {"status": "planned"}),
        (RUN_PLANNED, {"status": ""}),
        (RUN_PLANNED, {"status": 3}),
        (RUN_PLANNED, {}),
    ],
)
def test_advance_checks_its_input(admin: Admin, run_id: str, body: dict[str, Any]) -> None:
    admin.send("POST", f"/runs/{run_id}/advance", body, expect=422)


def test_tasks_are_per_organization(acme: Api, globex: Api, sink: Sink) -> None:
    task = create_task(acme, f"{sink.url}/task")
    assert globex.get(f"/tasks/{task['id']}").status_code == 404
    body = {
        "data": {
            "type": "workspace-tasks",
            "attributes": {"enforcement-level": "advisory"},
            "relationships": {"task": {"data": {"id": task["id"], "type": "tasks"}}},
        }
    }
    assert globex.post(f"/workspaces/{GCP}/tasks", body).status_code == 422  # another org's task
    bad_level = {"data": {**body["data"], "attributes": {"enforcement-level": "strict"}}}
    assert acme.post(f"/workspaces/{NET_PROD}/tasks", bad_level).status_code == 422
    attachment = attach(acme, task["id"], **{"enforcement-level": "advisory"})
    listed = acme.get(f"/workspaces/{NET_PROD}/tasks").json()["data"]
    assert [a["id"] for a in listed] == [attachment["id"]]
    assert acme.delete(f"/workspaces/{NET_PROD}/tasks/{attachment['id']}").status_code == 204
    assert acme.delete(f"/tasks/{task['id']}").status_code == 204
    assert acme.get(f"/tasks/{task['id']}").status_code == 404
