"""The emulator as a notification sender (tfc-api.md section 11): configurations, verification, payloads.

Deliveries go to ``Sink``, a plain HTTP server on a free port that records every request's exact bytes
and headers and answers with a status the test chooses, so signatures are checked on what went over the
wire.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest

from tests.emulator.conftest import GCP, NET_PROD, RUN_PLAN_ONLY, RUN_PLANNED, SANDBOX, Admin, Api

TOKEN: Final = "notification-key-0123456789"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Sink:
    """An HTTP receiver recording requests; ``status`` (per path) is what it answers."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status: dict[str, int] = {}
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.requests.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(sink.status.get(self.path, 200))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    receiver = Sink()
    yield receiver
    receiver.close()


def hmac512(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def config_body(
    url: str, *, token: str | None = TOKEN, enabled: bool = True, **attributes: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "destination-type": "generic",
        "enabled": enabled,
        "name": "airflow",
        "url": url,
        "triggers": ["run:needs_attention", "run:completed"],
        **attributes,
    }
    if token is not None:
        values["token"] = token
    return {"data": {"type": "notification-configuration", "attributes": values}}


def create(acme: Api, url: str, workspace: str = NET_PROD, **kwargs: Any) -> dict[str, Any]:
    reply = acme.post(f"/workspaces/{workspace}/notification-configurations", config_body(url, **kwargs))
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]


def test_creating_an_enabled_configuration_sends_a_signed_verification(acme: Api, sink: Sink) -> None:
    config = create(acme, f"{sink.url}/hook")
    [verification] = sink.at("/hook")
    assert verification.headers["Content-Type"] == "application/json"
    assert verification.headers["User-Agent"].startswith("TFC/1.0")
    assert verification.headers["X-TFE-Notification-Signature"] == hmac512(TOKEN, verification.body)
    payload = verification.json()
    assert payload["payload_version"] == 1 and payload["notification_configuration_id"] == config["id"]
    for name in ("run_url", "run_id", "run_message", "workspace_id", "workspace_name", "organization_name"):
        assert payload[name] is None, name
    assert payload["notifications"] == [
        {
            "message": "Verification of test",
            "trigger": "verification",
            "run_status": None,
            "run_updated_at": None,
            "run_updated_by": None,
        }
    ]
    attributes = config["attributes"]
    assert "token" not in attributes and TOKEN not in json.dumps(config)
    assert attributes["delivery-responses"][0]["code"] == "200"
    assert attributes["delivery-responses"][0]["successful"] == "true"
    assert config["relationships"]["subscribable"]["data"] == {"id": NET_PROD, "type": "workspaces"}


@pytest.mark.parametrize("answer", [500, 404])
def test_a_failed_verification_fails_the_creation_with_400(acme: Api, sink: Sink, answer: int) -> None:
    sink.status["/hook"] = answer
    reply = acme.post(f"/workspaces/{NET_PROD}/notification-configurations", config_body(f"{sink.url}/hook"))
    assert reply.status_code == 400, reply.text
    assert f"HTTP {answer}" in reply.json()["errors"][0]["detail"]
    assert acme.get(f"/workspaces/{NET_PROD}/notification-configurations").json()["data"] == []


def test_an_unreachable_url_fails_the_creation(acme: Api, sink: Sink) -> None:
    url = sink.url
    sink.close()  # nothing listens there any more
    reply = acme.post(f"/workspaces/{NET_PROD}/notification-configurations", config_body(f"{url}/hook"))
    assert reply.status_code == 400, reply.text


def test_a_disabled_configuration_is_created_without_verification(acme: Api, sink: Sink) -> None:
    config = create(acme, f"{sink.url}/hook", enabled=False)
    assert sink.requests == []
    assert config["attributes"]["enabled"] is False
    verified = acme.post(f"/notification-configurations/{config['id']}/actions/verify", None)
    assert verified.status_code == 200, verified.text
    assert len(sink.at("/hook")) == 1
    assert verified.json()["data"]["attributes"]["delivery-responses"][0]["code"] == "200"


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"destination-type": "slack"}, "/data/attributes/destination-type"),
        ({"destination-type": "pager"}, "/data/attributes/destination-type"),
        ({"triggers": ["run:exploded"]}, "/data/attributes/triggers"),
        ({"url": "ftp://example.com/hook"}, "/data/attributes/url"),
        ({"name": ""}, "/data/attributes/name"),
        ({"enabled": "yes"}, "/data/attributes/enabled"),
    ],
)
def test_bad_configurations_are_refused(
    acme: Api, sink: Sink, attributes: dict[str, Any], pointer: str
) -> None:
    reply = acme.post(
        f"/workspaces/{NET_PROD}/notification-configurations",
        config_body(attributes.pop("url", f"{sink.url}/h"), **attributes),
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["source"]["pointer"] == pointer
    assert sink.requests == []


def test_limits_visibility_and_content_type(acme: Api, sink: Sink) -> None:
    for _ in range(20):
        create(acme, f"{sink.url}/h", enabled=False)
    assert (
        acme.post(
            f"/workspaces/{NET_PROD}/notification-configurations", config_body(f"{sink.url}/h", enabled=False)
        ).status_code
        == 422
    )
    # Another organization's workspace is not found; a write without the JSON:API type is 415.
    assert (
        acme.post(f"/workspaces/{GCP}/notification-configurations", config_body(f"{sink.url}/h")).status_code
        == 404
    )
    plain = acme.session.post(
        acme.url(f"/workspaces/{NET_PROD}/notification-configurations"),
        json=config_body(f"{sink.url}/h"),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert plain.status_code == 415


def test_show_list_delete(acme: Api, sink: Sink) -> None:
    config = create(acme, f"{sink.url}/h", enabled=False)
    assert acme.get(f"/notification-configurations/{config['id']}").json()["data"]["id"] == config["id"]
    listed = acme.get(f"/workspaces/{NET_PROD}/notification-configurations").json()
    assert [c["id"] for c in listed["data"]] == [config["id"]]
    assert acme.delete(f"/notification-configurations/{config['id']}").status_code == 204
    assert acme.get(f"/notification-configurations/{config['id']}").status_code == 404


def test_advancing_a_run_notifies_the_subscribed_configurations(acme: Api, admin: Admin, sink: Sink) -> None:
    subscribed = create(acme, f"{sink.url}/attention")
    create(acme, f"{sink.url}/planning", triggers=["run:planning"])
    create(acme, f"{sink.url}/unsigned", token=None)
    create(acme, f"{sink.url}/sandbox", workspace=SANDBOX)
    sink.requests.clear()

    answer = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "planned"})
    assert answer["trigger"] == "run:needs_attention" and answer["stage"] is None
    assert {d["url"] for d in answer["deliveries"]} == {f"{sink.url}/attention", f"{sink.url}/unsigned"}
    assert all(d["status"] == 200 for d in answer["deliveries"])

    [event] = sink.at("/attention")
    assert event.headers["X-TFE-Notification-Signature"] == hmac512(TOKEN, event.body)
    payload = event.json()
    assert payload["notification_configuration_id"] == subscribed["id"]
    assert payload["run_id"] == RUN_PLANNED
    assert payload["run_url"].endswith(f"/app/acme-corp/net-prod/runs/{RUN_PLANNED}")
    assert (payload["workspace_id"], payload["workspace_name"], payload["organization_name"]) == (
        NET_PROD,
        "net-prod",
        "acme-corp",
    )
    assert payload["run_created_by"] == "acme-deploy-bot"
    assert payload["run_created_at"].endswith(".000Z")
    [notification] = payload["notifications"]
    assert notification["trigger"] == "run:needs_attention"
    assert notification["message"] == "Run Needs Attention"
    assert notification["run_status"] == "planned"
    # Without a token, no signature header at all (as Terraform Cloud does).
    [unsigned] = sink.at("/unsigned")
    assert "X-TFE-Notification-Signature" not in unsigned.headers
    assert sink.at("/planning") == [] and sink.at("/sandbox") == []
    recorded = admin.get("/deliveries")["deliveries"]
    assert [d["event"] for d in recorded if d["kind"] == "notification"][-2:] == ["run:needs_attention"] * 2


def test_speculative_runs_send_no_notifications(acme: Api, admin: Admin, sink: Sink) -> None:
    create(acme, f"{sink.url}/h", workspace=SANDBOX, triggers=["run:completed"])
    sink.requests.clear()
    answer = admin.send("POST", f"/runs/{RUN_PLAN_ONLY}/advance", {"status": "planned_and_finished"})
    assert answer["trigger"] == "run:completed" and answer["deliveries"] == []
    assert sink.requests == []


def test_a_receiver_error_is_recorded(acme: Api, admin: Admin, sink: Sink) -> None:
    create(acme, f"{sink.url}/h")
    sink.status["/h"] = 503
    answer = admin.send("POST", f"/runs/{RUN_PLANNED}/advance", {"status": "applied"})
    [delivery] = answer["deliveries"]
    assert delivery["status"] == 503 and delivery["successful"] is False
    shown = acme.get(f"/notification-configurations/{delivery['target_id']}").json()["data"]["attributes"]
    assert shown["delivery-responses"][-1]["code"] == "503"
    assert shown["delivery-responses"][-1]["successful"] == "false"


def test_a_body_of_another_type_is_refused(acme: Api) -> None:
    reply = acme.post(f"/workspaces/{NET_PROD}/notification-configurations", {"data": {"type": "workspaces"}})
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["source"]["pointer"] == "/data/type"
