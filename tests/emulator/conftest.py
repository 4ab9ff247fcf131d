"""Clients for the emulator tests: one per organization's token, plus the admin routes, all over HTTP."""

from __future__ import annotations

from typing import Any, Final

import pytest
import requests

from tfc_sentinel.emulator import EmulatorServer

JSONAPI: Final = "application/vnd.api+json"
# Fixture IDs (include/tfc_sentinel/emulator/fixtures/seed.json).
NET_PROD: Final = "ws-PlZmrJO86f9L7M1O"
SANDBOX: Final = "ws-eZPx7YubxGT9rKLi"
STORAGE: Final = "ws-KEieg27N0mAaWp92"
LEGACY: Final = "ws-N5JqJAREw79CC9u2"
GCP: Final = "ws-0SU4618UzPIuPE4L"
RUN_PLANNED: Final = "run-3YMjH7RcU18bXbD9"
PLAN_PLANNED: Final = "plan-74Kr1sHe4saLNKHc"
PLAN_APPLIED: Final = "plan-oLoG3ZL6mP1X3Hbt"
RUN_ERRORED: Final = "run-XEKxR56aBsKoA3Q3"
PLAN_ERRORED: Final = "plan-h7Z7hcTNdsIu0Kwb"
RUN_PLANNING: Final = "run-HOtaVxCrDqXMyFK3"
PLAN_RUNNING: Final = "plan-xeWzwUTXue5FvzNr"
RUN_UNKNOWN_STATUS: Final = "run-syTRIpUYpadOKNNc"
RUN_PLAN_ONLY: Final = "run-x2ogsxqG1E9EflbM"
RUN_NO_EXPORT_PERMISSION: Final = "run-bXnUHH1c013VUMiM"
PLAN_NO_EXPORT_PERMISSION: Final = "plan-zfYbViRH5y0CVUmx"
PLAN_TOO_OLD: Final = "plan-iFt56khDGtzQBYlT"
RUN_GLOBEX: Final = "run-5Rk072NlOV3PB2QF"
PLAN_GLOBEX: Final = "plan-yNoAQRVi0JH2yGs4"


def export_body(plan_id: str, data_type: str = "sentinel-mock-bundle-v0") -> dict[str, Any]:
    return {
        "data": {
            "type": "plan-exports",
            "attributes": {"data-type": data_type},
            "relationships": {"plan": {"data": {"id": plan_id, "type": "plans"}}},
        }
    }


class Api:
    """A thin requests wrapper: base URL, bearer token, JSON:API content type on writes, no redirects."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v2{path}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return self.session.get(self.url(path), **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        headers = {"Content-Type": JSONAPI, **kwargs.pop("headers", {})}
        return self.session.post(self.url(path), json=body, headers=headers, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Content-Type": JSONAPI, **kwargs.pop("headers", {})}
        return self.session.delete(self.url(path), headers=headers, timeout=10, **kwargs)

    def create_export(self, plan_id: str) -> str:
        response = self.post("/plan-exports", export_body(plan_id))
        assert response.status_code == 201, response.text
        return response.json()["data"]["id"]

    def export_status(self, export_id: str) -> str:
        response = self.get(f"/plan-exports/{export_id}")
        assert response.status_code == 200, response.text
        return response.json()["data"]["attributes"]["status"]


class Admin:
    """The test-only ``/_emulator`` routes, used over HTTP as a test in another process would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = f"{base_url}/_emulator"

    def get(self, path: str) -> Any:
        response = requests.get(f"{self.base_url}{path}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = requests.request(method, f"{self.base_url}{path}", json=body, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def faults(self, *rules: dict[str, Any], outcomes: dict[str, Any] | None = None) -> Any:
        """Add fault rules and/or export outcome switches (plan ID or "*" -> outcome)."""
        return self.send(
            "POST", "/faults", {"rules": list(rules), "export_outcomes": outcomes or {}}, expect=201
        )

    def advance(self, seconds: float) -> None:
        self.send("POST", "/clock/advance", {"seconds": seconds})

    def config(self, **settings: Any) -> Any:
        return self.send("PATCH", "/config", settings)

    def state(self) -> Any:
        return self.get("/state")


@pytest.fixture(autouse=True)
def _clean(reset: EmulatorServer) -> None:
    """Every emulator test starts from the fixtures."""


@pytest.fixture
def acme(reset: EmulatorServer) -> Api:
    return Api(reset.api_url, reset.tokens["acme-deploy-bot"])


@pytest.fixture
def globex(reset: EmulatorServer) -> Api:
    return Api(reset.api_url, reset.tokens["globex-ci"])


@pytest.fixture
def anonymous(reset: EmulatorServer) -> Api:
    return Api(reset.api_url, None)


@pytest.fixture
def admin(reset: EmulatorServer) -> Admin:
    return Admin(reset.api_url)
