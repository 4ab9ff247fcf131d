"""A local Terraform Cloud for tests and demos: the API subset tfc-sentinel uses, a blob host on a second
port, seeded fixtures, fault injection and test-only admin routes under ``/_emulator``.

Exports load lazily, so importing ``tfc_sentinel.emulator.config`` (e.g. for CLI defaults) stays cheap.

Run-task results exist on the receiving side: ``POST /_emulator/task-results`` makes one (standing in for
the run-task request) and ``PATCH /api/v2/task-results/{id}/callback`` takes the verdict.

The emulator also sends, as Terraform Cloud does (tfc-api.md checklist items 14-15): notification
configurations (``notifications.py``) and run tasks attached to workspaces (``runtasks.py``) receive
signed requests when ``POST /_emulator/runs/{id}/advance`` moves a run to a status that triggers them;
``GET /_emulator/deliveries`` lists what was sent and what the receivers answered.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfc_sentinel.emulator.clock import Clock
    from tfc_sentinel.emulator.config import EmulatorConfig
    from tfc_sentinel.emulator.faults import FaultInjector, FaultRule
    from tfc_sentinel.emulator.server import EmulatorServer, create_api_app
    from tfc_sentinel.emulator.state import EmulatorState
    from tfc_sentinel.emulator.store import Store

__all__ = [
    "Clock",
    "EmulatorConfig",
    "EmulatorServer",
    "EmulatorState",
    "FaultInjector",
    "FaultRule",
    "Store",
    "create_api_app",
]

_HOMES = {
    "Clock": "clock",
    "EmulatorConfig": "config",
    "EmulatorServer": "server",
    "EmulatorState": "state",
    "FaultInjector": "faults",
    "FaultRule": "faults",
    "Store": "store",
    "create_api_app": "server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
