"""Fault injection, configured over the admin routes and observed with real clients and raw sockets."""

from __future__ import annotations

import http.client
import socket
import time

import pytest
import requests

from tests.emulator.conftest import PLAN_PLANNED, RUN_PLANNED, Admin, Api, export_body
from tfc_sentinel.emulator import EmulatorServer


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send one request on a fresh socket and read until the server closes (raises on a reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def get_run() -> bytes:
    return f"GET /api/v2/runs/{RUN_PLANNED} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n".encode()


def test_scripted_sequence_then_normal_answers(acme: Api, admin: Admin) -> None:
    admin.faults({"method": "GET", "path": "/api/v2/runs/{run_id}", "sequence": ["429", "503", "ok", "500"]})
    limited = acme.get(f"/runs/{RUN_PLANNED}")
    assert limited.status_code == 429
    assert limited.json() == {
        "errors": [
            {"detail": "You have exceeded the API's rate limit.", "status": 429, "title": "Too many requests"}
        ]
    }
    assert float(limited.headers["X-RateLimit-Reset"]) > 0
    unavailable = acme.get(f"/runs/{RUN_PLANNED}")
    assert unavailable.status_code == 503
    assert unavailable.json()["errors"][0]["status"] == "503"
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 500
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200  # sequence used up
    assert acme.get("/plans/" + PLAN_PLANNED).status_code == 200  # other routes untouched
    [rule] = admin.get("/faults")["rules"]
    assert (rule["hits"], rule["fired"], rule["exhausted"]) == (4, 3, True)


def test_502_as_json_and_as_a_proxy_html_page(acme: Api, admin: Admin) -> None:
    admin.faults({"path": "/api/v2/plans/*", "sequence": ["502", "502-html"]})
    json_502 = acme.get(f"/plans/{PLAN_PLANNED}")
    assert json_502.status_code == 502
    assert json_502.json()["errors"][0]["title"] == "bad gateway"
    html_502 = acme.get(f"/plans/{PLAN_PLANNED}")
    assert html_502.status_code == 502
    assert html_502.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in html_502.text


def test_probability_and_times(acme: Api, admin: Admin) -> None:
    admin.faults(
        {"method": "GET", "path": "/api/v2/runs/{run_id}", "fault": "500", "probability": 1, "times": 2}
    )
    statuses = [acme.get(f"/runs/{RUN_PLANNED}").status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    admin.send("DELETE", "/faults")
    admin.faults({"path": "/api/v2/runs/*", "fault": "503", "probability": 0.5, "seed": 7})
    statuses = [acme.get(f"/runs/{RUN_PLANNED}").status_code for _ in range(20)]
    assert set(statuses) == {200, 503}


def test_method_must_match(acme: Api, admin: Admin) -> None:
    admin.faults({"method": "POST", "path": "/api/v2/plan-exports", "fault": "500"})
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200
    assert acme.post("/plan-exports", export_body(PLAN_PLANNED)).status_code == 500


def test_reset_sends_a_tcp_rst_before_any_response(acme: Api, admin: Admin, reset: EmulatorServer) -> None:
    admin.faults({"path": "/api/v2/runs/{run_id}", "sequence": ["reset", "reset"]})
    with pytest.raises(ConnectionResetError):
        raw_exchange(reset.port, get_run())  # a RST, not a clean close (which would return b"")
    with pytest.raises(requests.ConnectionError):
        acme.get(f"/runs/{RUN_PLANNED}")
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200
    log = [e for e in admin.get("/requests")["requests"] if e["template"] == "/api/v2/runs/{run_id}"]
    assert [(e["fault"], e["status"]) for e in log] == [("reset", None), ("reset", None), (None, 200)]


def test_slow_replies_then_answers(acme: Api, admin: Admin) -> None:
    admin.faults({"path": "/api/v2/runs/{run_id}", "sequence": ["slow:0.3", "slow:0.3"]})
    started = time.monotonic()
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.ReadTimeout):
        acme.get(f"/runs/{RUN_PLANNED}", timeout=0.1)


def test_a_slow_request_that_outlives_a_reset_leaves_the_fresh_state_alone(
    acme: Api, admin: Admin, reset: EmulatorServer
) -> None:
    admin.faults({"method": "GET", "path": "/api/v2/runs/{run_id}", "sequence": ["slow:0.5"]})
    with pytest.raises(requests.Timeout):
        acme.get(f"/runs/{RUN_PLANNED}", timeout=0.1)
    reset.reset()
    reset.configure(rate_limit_per_second=1)  # one request's worth of budget, and no refill:
    reset.freeze_clock()
    time.sleep(0.8)  # the slow request has woken up by now; dropped, it took no budget
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200


def test_lost_reply_still_creates_the_export(acme: Api, admin: Admin) -> None:
    """ "201 created but reply lost": recovery must find the export through relationships.exports."""
    admin.faults({"method": "POST", "path": "/api/v2/plan-exports", "sequence": ["lost"]})
    with pytest.raises(requests.ConnectionError):
        acme.post("/plan-exports", export_body(PLAN_PLANNED))
    retry = acme.post("/plan-exports", export_body(PLAN_PLANNED))
    assert retry.status_code == 422  # a blind retry hits the duplicate check
    exports = acme.get(f"/plans/{PLAN_PLANNED}").json()["data"]["relationships"]["exports"]["data"]
    assert len(exports) == 1
    assert acme.export_status(exports[0]["id"]) == "queued"
    state = admin.state()
    assert state["live_exports"] == 1
    [lost] = [e for e in admin.get("/requests")["requests"] if e["fault"] == "lost"]
    assert (lost["method"], lost["status"]) == ("POST", 201)


def test_truncated_blob_download(acme: Api, admin: Admin, reset: EmulatorServer) -> None:
    export_id = acme.create_export(PLAN_PLANNED)
    admin.advance(1)
    location = acme.get(f"/plan-exports/{export_id}/download").headers["Location"]
    full = requests.get(location, timeout=10).content
    admin.faults({"path": "/v1/object/{secret}", "sequence": ["truncate", "truncate"]})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(location, timeout=10)
    # Underneath: the full Content-Length is promised, half the body arrives, then the connection closes.
    path = location.split(str(reset.blob_port), 1)[1]
    connection = http.client.HTTPConnection("127.0.0.1", reset.blob_port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    assert int(response.headers["Content-Length"]) == len(full)
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        response.read()
    assert excinfo.value.partial == full[: len(full) // 2]
    connection.close()
    assert requests.get(location, timeout=10).content == full


def test_faults_on_the_blob_host_and_admin_is_never_faulted(
    acme: Api, admin: Admin, reset: EmulatorServer
) -> None:
    admin.faults({"path": "/*", "fault": "503"})
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 503
    assert requests.get(f"{reset.blob_url}/v1/object/x", timeout=10).status_code == 503
    assert admin.state()["faults"]["rules"][0]["fired"] == 2
    admin.send("DELETE", "/faults")
    assert acme.get(f"/runs/{RUN_PLANNED}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"rules": [{"path": "/x", "fault": "teapot"}]},
        {"rules": [{"path": "/x"}]},
        {"rules": [{"path": "/x", "fault": "500", "sequence": ["500"]}]},
        {"rules": [{"path": "x", "fault": "500"}]},
        {"rules": [{"path": "/x", "fault": "500", "probability": 2}]},
        {"rules": [{"path": "/x", "fault": "500", "times": 0}]},
        {"rules": [{"path": "/x", "sequence": []}]},
        {"rules": [{"path": "/x", "fault": "slow:soon"}]},
        {"export_outcomes": {"plan-x": "exploded"}},
        {"rule": {}},
    ],
)
def test_bad_fault_requests_are_rejected_whole(admin: Admin, body: dict) -> None:
    error = admin.send("POST", "/faults", body, expect=422)["errors"][0]
    assert error["detail"]
    assert admin.get("/faults") == {"rules": [], "export_outcomes": {}}
