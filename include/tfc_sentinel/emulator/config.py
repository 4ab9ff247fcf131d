"""Emulator settings: every knob tests turn, with Terraform Cloud's values (or our section-13 choices) as defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Settings admin may change at runtime (PATCH /_emulator/config): name -> "bool", ">=0" or ">0".
TUNABLE: dict[str, str] = {
    "export_delay": ">=0",
    "export_expiry": ">=0",
    "blob_url_ttl": ">=0",
    "rate_limit_per_second": ">0",
    "run_list_limit_per_minute": ">0",
    "pending_state": "bool",
    "retry_after": "bool",
}


@dataclass
class EmulatorConfig:
    """Knobs of one emulator instance.

    ``tokens`` adds bearer tokens on top of the fixtures' ones (token -> user name, or "" for the first
    seeded user), so the CLI's ``--token`` and tests can pick their own secret.
    """

    tokens: dict[str, str] = field(default_factory=dict)
    export_delay: float = 2.0
    """Seconds from create until an export is ``finished`` (HCP Terraform takes a few seconds)."""
    export_expiry: float = 3600.0
    """Seconds a finished export stays downloadable before it turns ``expired``."""
    blob_url_ttl: float = 60.0
    """Seconds a blob URL handed out by ``/download`` keeps working (unconfirmed upstream; section 13)."""
    rate_limit_per_second: float = 30.0
    """Requests per second per user (token bucket with a burst of the same size)."""
    run_list_limit_per_minute: float = 30.0
    """Run-list requests per minute per user."""
    pending_state: bool = False
    """Show ``pending`` for the first half of the delay, before ``queued``."""
    retry_after: bool = False
    """Send ``Retry-After`` on 429 (Terraform Cloud's is unconfirmed, so off by default)."""

    def copy(self) -> EmulatorConfig:
        return dataclasses.replace(self, tokens=dict(self.tokens))

    def restore(self, other: EmulatorConfig) -> None:
        """Take ``other``'s values in place: the store and rate limiter keep a reference to this object."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(other.copy(), f.name))

    def tunables(self) -> dict[str, Any]:
        """The runtime-tunable fields as JSON (tokens are left out: they are secrets)."""
        return {name: getattr(self, name) for name in TUNABLE}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply admin changes, checking every name and value first so a bad request changes nothing."""
        for name, value in changes.items():
            kind = TUNABLE.get(name)
            if kind is None:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(TUNABLE)}")
            if kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"setting {name!r} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"setting {name!r} must be a number {kind}")
            elif kind == ">0" and value == 0:
                raise ValueError(f"setting {name!r} must be a number >0")
        for name, value in changes.items():
            setattr(self, name, value if TUNABLE[name] == "bool" else float(value))
