"""One emulator instance: configuration, clock, records, faults, limits and the request log, together.

The API app, the blob app and the admin routes share one ``EmulatorState``; ``reset`` puts everything
back to the fixtures so tests can start clean without restarting servers.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from pathlib import Path
from typing import Any

from tfc_sentinel.emulator.clock import Clock, isoformat
from tfc_sentinel.emulator.config import EmulatorConfig
from tfc_sentinel.emulator.faults import FaultInjector
from tfc_sentinel.emulator.fixtures import load_fixture_dir
from tfc_sentinel.emulator.ratelimit import RateLimiter
from tfc_sentinel.emulator.store import Store

REQUEST_LOG_SIZE = 10_000


class RequestRecorder:
    """Counts and logs requests for test assertions; it never stores a token, only whether one was sent."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
            self.per_endpoint: Counter[str] = Counter()
            self.blob_requests = 0
            self.leaks: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        """Add a request as it arrives (app, method, path, template, fault, authorization, credential,
        user); the caller fills in ``status`` on the same dict when the response starts (None: no response)."""
        entry["time"] = isoformat(self.clock.now())
        with self._lock:
            self.log.append(entry)
            self.per_endpoint[f"{entry['method']} {entry['template'] or entry['path']}"] += 1
            if entry["app"] == "blob":
                self.blob_requests += 1
                if entry["authorization"]:
                    self.leaks.append(
                        {"method": entry["method"], "path": entry["path"], "time": entry["time"]}
                    )

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.log)

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.per_endpoint),
                "blob_requests": self.blob_requests,
                "blob_auth_leaks": len(self.leaks),
                "blob_auth_leak_paths": [leak["path"] for leak in self.leaks],
            }


class EmulatorState:
    """Everything one emulator holds. ``config`` is the live configuration (admin may change it)."""

    def __init__(self, config: EmulatorConfig | None = None, fixtures_dir: Path | str | None = None) -> None:
        self.initial_config = (config or EmulatorConfig()).copy()
        self.config = self.initial_config.copy()
        self.clock = Clock()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(self.config, self.clock)
        self.recorder = RequestRecorder(self.clock)
        self.store = Store(self.config, self.clock, outcome_for=self.faults.outcome_for)
        # Read once: a reset must not depend on files that may have changed since start.
        self._fixtures = load_fixture_dir(Path(fixtures_dir) if fixtures_dir else None)
        self.generation = 0
        """Bumped by every reset, so requests in flight across a reset can tell."""
        self.reset()

    def reset(self) -> None:
        """Back to the fixtures and initial configuration; faults, counters, limits and clock cleared."""
        with self.store.lock:
            self.generation += 1
            self.config.restore(self.initial_config)
            self.clock.reset()
            self.faults.clear()
            self.limiter.reset()
            self.recorder.clear()
            self.store.clear()
            for document in self._fixtures:
                self.store.load(document)
            for token, username in self.config.tokens.items():
                self.store.add_token(token, username)

    def snapshot(self) -> dict[str, Any]:
        """The admin state page: clock, export counters, comments, task results, request counters, leaks."""
        return {
            "clock": {
                "offset_seconds": self.clock.offset,
                "now": isoformat(self.clock.now()),
                "frozen": self.clock.frozen,
            },
            **self.store.export_counts(),
            "exports": self.store.export_summaries(),
            "comments": len(self.store.comments),
            "task_results": len(self.store.task_results),
            **self.recorder.counters(),
        }
