"""The contract every engine backend meets, so the runner, the CLI and Airflow never care which one runs.

Both the built-in engine (:mod:`.builtin`) and the ``sentinel`` binary (:mod:`.binary`) take the same
inputs (test paths; or a loaded policy set plus the mock files that stand in for Terraform Cloud's
imports) and return the same :class:`~tfc_sentinel.report.RunResult`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tfc_sentinel.lang.values import Value
    from tfc_sentinel.report.model import EngineInfo, RunResult

    from ..config import PolicySetConfig

__all__ = ["Backend", "MockSources"]

MockSources = Mapping[str, "Path | Mapping[str, Value]"]
"""Import name -> a mock module file (e.g. a bundle's ``mock-tfplan-v2.sentinel``) or literal data."""


@runtime_checkable
class Backend(Protocol):
    """An engine that runs ``sentinel test`` style suites and Terraform Cloud style policy checks."""

    @property
    def engine(self) -> EngineInfo:
        """Which engine (and version) produced the results."""
        ...

    def run_tests(
        self,
        paths: Sequence[str | os.PathLike[str]] = (),
        *,
        run: str | None = None,
        verbose: bool = False,
        cwd: str | os.PathLike[str] | None = None,
    ) -> RunResult:
        """Every policy under ``paths`` (relative to ``cwd``) with its test cases, as ``sentinel test`` does."""
        ...

    def apply(
        self,
        policy_set: PolicySetConfig,
        mocks: MockSources | None = None,
        *,
        override: bool = False,
        bundle: str | None = None,
    ) -> RunResult:
        """Every policy of ``policy_set`` with ``mocks`` standing in for the imports they name."""
        ...
