"""The notification and run-task receivers over a real socket: what they accept, trigger and refuse.

The app runs under uvicorn in this process and creates DAG runs in the tests' sqlite metadata DB (the
DAG serialized there as a dag-processor would); nothing executes the DAG runs here, that is
``test_end_to_end.py``'s job. Every refusal is also checked to have created no DAG run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
import requests

from tests.webhooks.conftest import NOTIFICATION_KEY, RUN_TASK_KEY, DagRuns, Receiver
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.webhooks import NOTIFICATION_SIGNATURE_HEADER, RUN_TASK_SIGNATURE_HEADER
from tfc_sentinel.webhooks.signatures import sign, verify

RUN: Final = "run-WebhookReceiverT01"
OTHER_RUN: Final = "run-WebhookReceiverT02"
TASK_RESULT: Final = "taskrs-ReceiverTest0001"
ACCESS_TOKEN: Final = "at-ReceiverTest-" + "q" * 40


def notification_body(*triggers: str, run_id: str | None = RUN, version: Any = 1) -> bytes:
    events = [{"message": t, "trigger": t, "run_status": "planned"} for t in triggers]
    payload = {
        "payload_version": version,
        "notification_configuration_id": "nc-ReceiverTest0001",
        "run_id": run_id,
        "run_url": f"https://app.terraform.io/app/acme-corp/net-prod/runs/{run_id}",
        "workspace_id": "ws-PlZmrJO86f9L7M1O",
        "workspace_name": "net-prod",
        "organization_name": "acme-corp",
        "notifications": events,
    }
    return json.dumps(payload).encode()


def run_task_body(
    callback: str, *, run_id: str = RUN, task_result_id: str = TASK_RESULT, token: str = ACCESS_TOKEN
) -> bytes:
    payload = {
        "payload_version": 1,
        "stage": "post_plan",
        "access_token": token,
        "capabilities": {"outcomes": True},
        "is_speculative": False,
        "organization_name": "acme-corp",
        "run_id": run_id,
        "task_result_callback_url": callback,
        "task_result_enforcement_level": "mandatory",
        "task_result_id": task_result_id,
        "workspace_id": "ws-PlZmrJO86f9L7M1O",
        "workspace_name": "net-prod",
    }
    return json.dumps(payload).encode()


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}, timeout=30
    )


def notify(receiver: Receiver, body: bytes, key: str = NOTIFICATION_KEY) -> requests.Response:
    return post(receiver.notifications, body, {NOTIFICATION_SIGNATURE_HEADER: sign(key, body)})


def run_task(receiver: Receiver, body: bytes, key: str = RUN_TASK_KEY) -> requests.Response:
    return post(receiver.run_tasks, body, {RUN_TASK_SIGNATURE_HEADER: sign(key, body)})


@pytest.fixture
def callback(emulator: EmulatorServer) -> str:
    """A callback URL on the Terraform Cloud the ``tfc_default`` connection points at (the emulator)."""
    return f"{emulator.api_url}/api/v2/task-results/{TASK_RESULT}/callback"


@pytest.fixture
def hooks(
    receiver: Receiver, hook_keys: Callable[..., None], fernet_key: str, dag_runs: DagRuns
) -> Iterator[Any]:
    yield receiver


# -- signatures ---------------------------------------------------------------------------------------------


def test_signature_is_terraform_clouds_hmac_sha512_hex() -> None:
    body = b'{"payload_version":1}'
    expected = hmac.new(b"k", body, hashlib.sha512).hexdigest()
    assert sign("k", body) == expected
    assert verify("k", body, expected)
    assert not verify("k", body, expected.upper())
    assert not verify("k", body + b" ", expected)
    assert not verify("", body, hmac.new(b"", body, hashlib.sha512).hexdigest())  # no key: nothing verifies
    assert not verify("k", body, "é" * 128)


# -- notifications --------------------------------------------------------------------------------------------


def test_verification_is_answered_and_triggers_nothing(hooks: Receiver, dag_runs: DagRuns) -> None:
    body = json.dumps(
        {
            "payload_version": 1,
            "notification_configuration_id": "nc-ReceiverTest0001",
            "run_id": None,
            "workspace_name": None,
            "notifications": [{"message": "Verification of test", "trigger": "verification"}],
        }
    ).encode()
    reply = notify(hooks, body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "verified"
    assert dag_runs.new() == set()


@pytest.mark.parametrize("trigger", ["run:needs_attention", "run:applying", "run:completed"])
def test_a_plan_trigger_starts_one_check_per_run(hooks: Receiver, dag_runs: DagRuns, trigger: str) -> None:
    first = notify(hooks, notification_body(trigger))
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "triggered", "dag_id": "tfc_policy_check", "dag_run_id": f"tfc-{RUN}"}
    assert dag_runs.new() == {f"tfc-{RUN}"}
    assert dag_runs.conf(f"tfc-{RUN}") == {"run_id": RUN}
    again = notify(hooks, notification_body(trigger))  # redelivery, or the next trigger of the same run
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "already-triggered"
    assert dag_runs.new() == {f"tfc-{RUN}"}


@pytest.mark.parametrize("trigger", ["run:created", "run:planning", "run:errored", "workspace:unknown"])
def test_other_triggers_are_ignored_with_200(
    hooks: Receiver, dag_runs: DagRuns, trigger: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tfc_sentinel.webhooks")
    reply = notify(hooks, notification_body(trigger))
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"status": "ignored", "triggers": [trigger]}
    assert dag_runs.new() == set()
    assert f"ignored: trigger(s) {trigger}" in caplog.text


def test_every_notification_of_a_delivery_counts(hooks: Receiver, dag_runs: DagRuns) -> None:
    reply = notify(hooks, notification_body("run:planning", "run:completed"))
    assert reply.status_code == 200 and reply.json()["status"] == "triggered"
    assert dag_runs.new() == {f"tfc-{RUN}"}


def test_without_a_configured_key_everything_is_refused(
    hooks: Receiver, hook_keys: Callable[..., None], dag_runs: DagRuns, caplog: pytest.LogCaptureFixture
) -> None:
    hook_keys(notification_key=None, run_task_key=None)
    body = notification_body("run:needs_attention")
    for signature in (sign(NOTIFICATION_KEY, body), sign("", body), ""):
        reply = post(hooks.notifications, body, {NOTIFICATION_SIGNATURE_HEADER: signature})
        assert reply.status_code == 403, reply.text
    assert "has no password (the notification HMAC key)" in caplog.text
    assert dag_runs.new() == set()


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("missing signature", 401),
        ("empty signature", 401),
        ("wrong key", 401),
        ("the run task's key", 401),
        ("one byte changed", 401),
        ("upper-case signature", 401),
        ("sha256 signature", 401),
    ],
)
def test_bad_signatures_are_refused(hooks: Receiver, dag_runs: DagRuns, case: str, status: int) -> None:
    body = notification_body("run:needs_attention")
    signature: str | None = sign(NOTIFICATION_KEY, body)
    sent = body
    if case == "missing signature":
        signature = None
    elif case == "empty signature":
        signature = ""
    elif case == "wrong key":
        signature = sign("not-the-key", body)
    elif case == "the run task's key":
        signature = sign(RUN_TASK_KEY, body)
    elif case == "one byte changed":  # a replay of a signed body, with the run ID's last letter changed
        sent = body.replace(RUN.encode(), RUN[:-1].encode() + b"2")
    elif case == "upper-case signature":
        signature = signature.upper()
    elif case == "sha256 signature":
        signature = hmac.new(NOTIFICATION_KEY.encode(), body, hashlib.sha256).hexdigest()
    headers = {} if signature is None else {NOTIFICATION_SIGNATURE_HEADER: signature}
    reply = post(hooks.notifications, sent, headers)
    assert reply.status_code == status, reply.text
    assert dag_runs.new() == set()


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b'{"payload_version": 1, "notifications": [', 400, "not valid JSON"),
        (b"[1, 2, 3]", 400, "must be a JSON object"),
        (b"", 400, "not valid JSON"),
        (notification_body("run:completed", version=2), 422, "payload_version must be 1"),
        (notification_body("run:completed", run_id="ws-NotARunId"), 422, "run_id must be a run ID"),
        (notification_body("run:completed", run_id=None), 422, "run_id must be a run ID"),
        (b'{"payload_version": 1, "notifications": []}', 422, "notifications must be a non-empty list"),
    ],
)
def test_signed_but_malformed_bodies_are_refused(
    hooks: Receiver, dag_runs: DagRuns, body: bytes, status: int, detail: str
) -> None:
    reply = notify(hooks, body)
    assert reply.status_code == status, reply.text
    assert detail in reply.json()["detail"]
    assert dag_runs.new() == set()


def test_oversized_bodies_are_refused_before_they_are_read(hooks: Receiver, dag_runs: DagRuns) -> None:
    padding = " " * (64 * 1024)
    body = notification_body("run:needs_attention")[:-1] + f', "padding": "{padding}"}}'.encode()
    reply = notify(hooks, body)  # correctly signed, declared length over the limit
    assert reply.status_code == 413, reply.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is cut off at the limit
        yield body[:1000]
        for start in range(1000, len(body), 8192):
            yield body[start : start + 8192]

    streamed = requests.post(
        hooks.notifications,
        data=chunks(),
        headers={
            NOTIFICATION_SIGNATURE_HEADER: sign(NOTIFICATION_KEY, body),
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert streamed.status_code == 413, streamed.text
    assert dag_runs.new() == set()


def test_the_size_limit_follows_the_connection(
    hooks: Receiver, hook_keys: Callable[..., None], dag_runs: DagRuns
) -> None:
    hook_keys(max_body_bytes=2048)
    body = notification_body("run:needs_attention")[:-1] + b', "padding": "' + b"x" * 3000 + b'"}'
    assert notify(hooks, body).status_code == 413
    assert notify(hooks, notification_body("run:needs_attention")).status_code == 200


# -- run tasks ------------------------------------------------------------------------------------------------


def test_run_task_verification_is_answered_and_triggers_nothing(
    hooks: Receiver, dag_runs: DagRuns, callback: str
) -> None:
    body = json.dumps(
        {"payload_version": 1, "stage": "test", "access_token": "test-token", "task_result_id": None}
    ).encode()
    reply = run_task(hooks, body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "verified"
    assert dag_runs.new() == set()


def test_a_run_task_request_starts_the_check_with_the_token_sealed(
    hooks: Receiver, dag_runs: DagRuns, callback: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tfc_sentinel.airflow.runtasks import open_grant

    caplog.set_level(logging.DEBUG)
    reply = run_task(hooks, run_task_body(callback))
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"status": "triggered", "dag_id": "tfc_policy_check", "dag_run_id": f"tfc-{RUN}"}
    conf = dag_runs.conf(f"tfc-{RUN}")
    assert conf["run_id"] == RUN
    assert conf["run_task"]["task_result_id"] == TASK_RESULT
    assert conf["run_task"]["stage"] == "post_plan"
    assert conf["run_task"]["received_at"]
    # Neither the token nor the callback URL is in the conf in clear; the sealed grant holds both.
    assert ACCESS_TOKEN not in json.dumps(conf) and callback not in json.dumps(conf)
    grant = open_grant(conf["run_task"]["grant"])
    assert (grant.access_token, grant.callback_url, grant.run_id) == (ACCESS_TOKEN, callback, RUN)
    assert ACCESS_TOKEN not in caplog.text and ACCESS_TOKEN not in reply.text
    assert ACCESS_TOKEN not in repr(grant)
    # Terraform Cloud repeats a request it got no 200 for: the same task result is the same DAG run.
    again = run_task(hooks, run_task_body(callback))
    assert again.status_code == 200 and again.json()["status"] == "already-triggered"
    assert dag_runs.new() == {f"tfc-{RUN}"}


def test_a_run_task_for_a_run_already_checked_gets_a_dag_run_of_its_own(
    hooks: Receiver, dag_runs: DagRuns, callback: str
) -> None:
    assert notify(hooks, notification_body("run:needs_attention")).json()["status"] == "triggered"
    reply = run_task(hooks, run_task_body(callback))
    assert reply.status_code == 200, reply.text
    own = f"tfc-{RUN}-{TASK_RESULT}"
    assert reply.json()["dag_run_id"] == own
    assert dag_runs.new() == {f"tfc-{RUN}", own}
    assert dag_runs.conf(own)["run_task"]["task_result_id"] == TASK_RESULT
    assert "run_task" not in dag_runs.conf(f"tfc-{RUN}")
    assert run_task(hooks, run_task_body(callback)).json()["dag_run_id"] == own  # idempotent too


def test_callbacks_only_go_to_allowed_terraform_cloud_hosts(
    hooks: Receiver, hook_keys: Callable[..., None], dag_runs: DagRuns
) -> None:
    foreign = "https://attacker.example/api/v2/task-results/x/callback"
    reply = run_task(hooks, run_task_body(foreign))
    assert reply.status_code == 422, reply.text
    assert dag_runs.new() == set()
    hook_keys(callback_origins=["https://attacker.example"])  # explicitly allowed (e.g. a TFE host)
    assert run_task(hooks, run_task_body(foreign)).status_code == 200
    assert dag_runs.new() == {f"tfc-{RUN}"}


def test_without_a_fernet_key_the_token_is_not_accepted(
    receiver: Receiver,
    hook_keys: Callable[..., None],
    dag_runs: DagRuns,
    callback: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.crypto import get_fernet

    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    get_fernet.cache_clear()
    try:
        reply = run_task(receiver, run_task_body(callback))
    finally:
        get_fernet.cache_clear()
    assert reply.status_code == 503, reply.text
    assert "encrypted" in reply.json()["detail"]
    assert dag_runs.new() == set()


def test_unsigned_run_tasks_only_when_explicitly_allowed(
    hooks: Receiver, hook_keys: Callable[..., None], dag_runs: DagRuns, callback: str
) -> None:
    body = run_task_body(callback)
    unsigned = {RUN_TASK_SIGNATURE_HEADER: ""}  # what Terraform Cloud sends for a task without a key
    assert post(hooks.run_tasks, body, unsigned).status_code == 401  # a key is configured
    hook_keys(run_task_key=None)
    assert post(hooks.run_tasks, body, unsigned).status_code == 403  # no key, not allowed
    assert dag_runs.new() == set()
    hook_keys(run_task_key=None, allow_unsigned_run_tasks=True)
    assert post(hooks.run_tasks, body, unsigned).status_code == 200
    assert dag_runs.new() == {f"tfc-{RUN}"}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'"a string"', 400, "must be a JSON object"),
        (b'{"payload_version": 1}', 422, "access_token is required"),
        (b'{"payload_version": 1, "access_token": "t0k3n", "run_id": "run-abc"}', 422, "task_result_id"),
        (
            b'{"payload_version": 1, "access_token": "t0k3n", "run_id": "run-abc", "task_result_id": "taskrs-a"}',
            422,
            "task_result_callback_url",
        ),
    ],
)
def test_signed_but_malformed_run_task_requests_are_refused(
    hooks: Receiver, dag_runs: DagRuns, body: bytes, status: int, detail: str
) -> None:
    reply = run_task(hooks, body)
    assert reply.status_code == status, reply.text
    assert detail in reply.json()["detail"]
    assert dag_runs.new() == set()


# -- 1,000 mutated requests -----------------------------------------------------------------------------------

MUTATIONS: Final = (
    "flip a bit of the body",
    "replace a byte of the body",
    "truncate the body",
    "extend the body",
    "change a hex digit of the signature",
    "upper-case the signature",
    "truncate the signature",
    "extend the signature",
    "drop the signature",
    "empty signature",
    "sign with a random key",
    "sign with the other receiver's key",
    "sign with SHA-256",
    "signature of another body",
)


def mutate(rng: random.Random, body: bytes, key: str, other_key: str) -> tuple[str, bytes, str | None]:
    """One request that is not what ``key`` signed: (mutation, body, signature header or None)."""
    signature = sign(key, body)
    kind = rng.choice(MUTATIONS)
    position = rng.randrange(len(body))
    if kind == "flip a bit of the body":
        body = body[:position] + bytes([body[position] ^ (1 << rng.randrange(8))]) + body[position + 1 :]
    elif kind == "replace a byte of the body":
        new = rng.choice([b for b in range(256) if b != body[position]])
        body = body[:position] + bytes([new]) + body[position + 1 :]
    elif kind == "truncate the body":
        body = body[: rng.randrange(len(body))]
    elif kind == "extend the body":
        body = body + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "change a hex digit of the signature":
        index = rng.randrange(len(signature))
        digit = rng.choice([c for c in "0123456789abcdef" if c != signature[index]])
        signature = signature[:index] + digit + signature[index + 1 :]
    elif kind == "upper-case the signature":
        signature = signature.upper()
    elif kind == "truncate the signature":
        signature = signature[: rng.randrange(1, len(signature))]
    elif kind == "extend the signature":
        signature = signature + rng.choice("0123456789abcdef")
    elif kind == "drop the signature":
        return kind, body, None
    elif kind == "empty signature":
        signature = ""
    elif kind == "sign with a random key":
        signature = sign(f"{rng.getrandbits(128):032x}", body)
    elif kind == "sign with the other receiver's key":
        signature = sign(other_key, body)
    elif kind == "sign with SHA-256":
        signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    elif kind == "signature of another body":
        signature = sign(key, body.replace(b"run-", b"run-X", 1))
    return kind, body, signature


def test_a_thousand_mutated_signed_requests_are_all_refused(
    hooks: Receiver, dag_runs: DagRuns, callback: str
) -> None:
    rng = random.Random(20240502)  # fixed seed: a failure is reproducible
    endpoints = [
        (
            hooks.notifications,
            NOTIFICATION_SIGNATURE_HEADER,
            NOTIFICATION_KEY,
            RUN_TASK_KEY,
            notification_body("run:needs_attention"),
        ),
        (hooks.run_tasks, RUN_TASK_SIGNATURE_HEADER, RUN_TASK_KEY, NOTIFICATION_KEY, run_task_body(callback)),
    ]
    seen: dict[str, int] = {}
    accepted = []
    with requests.Session() as session:
        for _ in range(1000):
            url, header, key, other_key, base = rng.choice(endpoints)
            kind, body, signature = mutate(rng, base, key, other_key)
            seen[kind] = seen.get(kind, 0) + 1
            headers = {"Content-Type": "application/json"}
            if signature is not None:
                headers[header] = signature
            reply = session.post(url, data=body, headers=headers, timeout=30)
            if reply.status_code != 401:
                accepted.append((kind, reply.status_code, reply.text[:100]))
        assert accepted == []
        assert set(seen) == set(MUTATIONS)  # every kind of mutation was tried
        assert dag_runs.new() == set()
        # The unmutated requests are valid: had a mutation slipped through, it would have shown.
        for url, header, key, _, base in endpoints:
            reply = session.post(url, data=base, headers={header: sign(key, base)}, timeout=30)
            assert reply.status_code == 200, reply.text
    assert dag_runs.new() == {f"tfc-{RUN}", f"tfc-{RUN}-{TASK_RESULT}"}
