"""``update_task_result`` against the emulator's run-task callback, sync and async (see conftest)."""

from __future__ import annotations

import json
from typing import Any, Final

import pytest
import requests

from tests.tfc.conftest import RUN_PLANNED
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import AuthenticationError, ConflictError, RateLimitError, ServerError
from tfc_sentinel.tfc.models import TaskResultOutcome

CALLBACK: Final = "/api/v2/task-results/{task_result_id}/callback"
REQUIRE_TAGS: Final = TaskResultOutcome(
    "require-tags",
    "aws_s3_bucket.logs lacks tag 'owner'",
    body="## aws_s3_bucket.logs\nadd an `owner` tag",
    label="Failed",
    level="error",
    url="https://airflow.example/policies/require-tags",
)
PRIVATE_BUCKETS: Final = TaskResultOutcome("no-public-buckets", "every bucket is private", label="Passed")


@pytest.fixture
def task(reset: EmulatorServer) -> dict[str, Any]:
    """A pending result: ``callback_url`` and ``access_token`` as a run-task request would carry them."""
    return reset.create_task_result(RUN_PLANNED)


def callback_log(emulator: EmulatorServer) -> list[dict[str, Any]]:
    response = requests.get(f"{emulator.api_url}/_emulator/requests", timeout=10)
    return [e for e in response.json()["requests"] if e["template"] == CALLBACK]


def test_running_then_passed(client: Any, task: dict[str, Any], reset: EmulatorServer) -> None:
    url, token = task["callback_url"], task["access_token"]
    client.update_task_result(url, token, "running", "checking 12 policies")
    assert reset.task_result(task["id"])["status"] == "running"
    client.update_task_result(url, token, "passed", "12 passed", url="https://airflow.example/run/7")
    shown = reset.task_result(task["id"])
    assert (shown["status"], shown["message"], shown["url"]) == (
        "passed",
        "12 passed",
        "https://airflow.example/run/7",
    )
    assert [p["body"]["data"]["attributes"]["status"] for p in shown["patches"]] == ["running", "passed"]
    assert shown["outcomes"] == []


def test_failed_with_outcomes_then_a_second_final_is_a_conflict(
    client: Any, task: dict[str, Any], reset: EmulatorServer
) -> None:
    url, token = task["callback_url"], task["access_token"]
    client.update_task_result(
        url, token, "failed", "1 passed, 1 failed", outcomes=[REQUIRE_TAGS, PRIVATE_BUCKETS]
    )
    shown = reset.task_result(task["id"])
    assert (shown["status"], shown["message"]) == ("failed", "1 passed, 1 failed")
    assert shown["outcomes"] == [
        {
            "outcome-id": "require-tags",
            "description": "aws_s3_bucket.logs lacks tag 'owner'",
            "body": "## aws_s3_bucket.logs\nadd an `owner` tag",
            "url": "https://airflow.example/policies/require-tags",
            "tags": {"Status": [{"label": "Failed", "level": "error"}]},
        },
        {
            "outcome-id": "no-public-buckets",
            "description": "every bucket is private",
            "tags": {"Status": [{"label": "Passed", "level": "none"}]},
        },
    ]
    with pytest.raises(ConflictError) as caught:
        client.update_task_result(url, token, "passed", "retried after a lost answer")
    assert caught.value.status == 409
    shown = reset.task_result(task["id"])
    assert shown["status"] == "failed"
    assert [p["response_status"] for p in shown["patches"]] == [200, 409]  # a 409 is not retried


def test_wrong_token_is_an_authentication_error(
    client: Any, task: dict[str, Any], reset: EmulatorServer
) -> None:
    with pytest.raises(AuthenticationError):
        client.update_task_result(task["callback_url"], "not-the-access-token", "passed", "ok")
    with pytest.raises(AuthenticationError):  # the client's own API token is no good either
        client.update_task_result(task["callback_url"], reset.token, "passed", "ok")
    assert reset.task_result(task["id"])["patch_count"] == 0


def test_the_clients_api_token_never_reaches_the_callback(
    client: Any, task: dict[str, Any], reset: EmulatorServer
) -> None:
    client.get_run(RUN_PLANNED)  # the client's own token is in use...
    client.update_task_result(task["callback_url"], task["access_token"], "running", "working")
    client.update_task_result(task["callback_url"], task["access_token"], "passed", "done")
    log = callback_log(reset)
    # ...but every callback carried the task result's access token and nothing that maps to a user.
    assert [(e["status"], e["credential"], e["user"]) for e in log] == [(200, "task-result", None)] * 2
    assert reset.token not in json.dumps(log) and task["access_token"] not in json.dumps(log)


def test_the_callback_url_is_used_verbatim(client: Any, reset: EmulatorServer) -> None:
    task = reset.create_task_result(RUN_PLANNED, "pre_apply", require_code=True)
    assert "?code=" in task["callback_url"]
    client.update_task_result(task["callback_url"], task["access_token"], "passed", "ok")
    assert reset.task_result(task["id"])["status"] == "passed"


def test_a_429_on_the_callback_is_waited_out(
    client: Any, task: dict[str, Any], reset: EmulatorServer
) -> None:
    reset.add_faults({"path": CALLBACK, "sequence": ["429", "429"]})
    client.update_task_result(task["callback_url"], task["access_token"], "passed", "ok")
    assert [e["status"] for e in callback_log(reset)] == [429, 429, 200]
    assert reset.task_result(task["id"])["patch_count"] == 1
    reset.add_faults({"path": CALLBACK, "fault": "429"})
    with pytest.raises(RateLimitError):
        client.update_task_result(task["callback_url"], task["access_token"], "passed", "again")


def test_a_5xx_on_the_callback_is_not_blindly_resent(
    client: Any, task: dict[str, Any], reset: EmulatorServer
) -> None:
    """tfc-api.md section 9: the PATCH is not retried on 5xx by the generic layer; the caller decides."""
    reset.add_faults({"path": CALLBACK, "sequence": ["503"]})
    with pytest.raises(ServerError):
        client.update_task_result(task["callback_url"], task["access_token"], "passed", "ok")
    assert [e["status"] for e in callback_log(reset)] == [503]
    client.update_task_result(task["callback_url"], task["access_token"], "passed", "ok")
    assert reset.task_result(task["id"])["status"] == "passed"
