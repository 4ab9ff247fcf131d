"""Both clients against the real emulator over sockets: every test runs once sync and once async."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest

from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import AsyncTfcClient, RetryPolicy, TfcClient, TfcConfig

# Fixture IDs from include/tfc_sentinel/emulator/fixtures/seed.json.
ORG: Final = "acme-corp"
NET_PROD: Final = "ws-PlZmrJO86f9L7M1O"
RUN_PLANNED: Final = "run-3YMjH7RcU18bXbD9"
PLAN_PLANNED: Final = "plan-74Kr1sHe4saLNKHc"
RUN_ERRORED: Final = "run-XEKxR56aBsKoA3Q3"
PLAN_ERRORED: Final = "plan-h7Z7hcTNdsIu0Kwb"
PLAN_RUNNING: Final = "plan-xeWzwUTXue5FvzNr"
PLAN_NO_EXPORT_PERMISSION: Final = "plan-zfYbViRH5y0CVUmx"
RUN_UNKNOWN_STATUS: Final = "run-syTRIpUYpadOKNNc"
RUN_GLOBEX: Final = "run-5Rk072NlOV3PB2QF"

# Real policy shape, test-sized waits: retries are counted, not timed.
FAST_RETRY: Final = RetryPolicy(
    max_attempts=5, rate_limit_attempts=8, max_total_wait=15, backoff_base=0.01, backoff_cap=0.05, jitter=0.01
)


class BlockingAsyncClient:
    """The async client driven from sync test code on one private event loop (aiohttp sessions are
    bound to the loop that made them), so one test body checks both clients."""

    def __init__(self, config: TfcConfig) -> None:
        self._loop = asyncio.new_event_loop()
        self.client = AsyncTfcClient(config)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        return lambda *args, **kwargs: self._loop.run_until_complete(attr(*args, **kwargs))

    def close(self) -> None:
        self._loop.run_until_complete(self.client.close())
        self._loop.close()


ClientFactory = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest, reset: EmulatorServer) -> Iterator[ClientFactory]:
    """``make_client(**config_overrides)`` -> a client of the parametrized kind talking to the emulator."""
    made: list[Any] = []

    def factory(**overrides: Any) -> Any:
        settings: dict[str, Any] = {
            "host": reset.api_url,
            "token": reset.token,
            "retry": FAST_RETRY,
            "read_timeout": 5.0,
        }
        settings.update(overrides)
        config = TfcConfig(**settings)
        client = TfcClient(config) if request.param == "sync" else BlockingAsyncClient(config)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> Any:
    return make_client()
