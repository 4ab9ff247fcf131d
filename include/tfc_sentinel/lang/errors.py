"""Runtime errors of the Sentinel engine: one family, so callers catch one base class.

A builtin or import raises :class:`SentinelRuntimeError` with only a message; the evaluator fills
in the position of the expression that failed and the call trace on the way out, so messages read
``policy.sentinel:12:5: strings.split: expected a string, got int`` followed by the calls.
"""

from __future__ import annotations

from tfc_sentinel.lang.syntax.errors import Position, SentinelSyntaxError

__all__ = [
    "SentinelError",
    "SentinelImportError",
    "SentinelLimitError",
    "SentinelRuntimeError",
    "SentinelSyntaxError",
    "SentinelUserError",
]


class SentinelError(Exception):
    """Base of every error a policy can cause (syntax errors are a separate class from the parser)."""


class SentinelRuntimeError(SentinelError):
    """Evaluation failed: a type error, a bad index target, a missing function return, ...."""

    def __init__(
        self, message: str, position: Position | None = None, trace: list[str] | None = None
    ) -> None:
        self.message = message
        self.position = position
        self.trace: list[str] = list(trace or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = f"{self.position}: {self.message}" if self.position else self.message
        return "\n".join([head, *(f"  called from {frame}" for frame in self.trace)])


class SentinelUserError(SentinelRuntimeError):
    """The policy called ``error(...)``: it halts, and the policy's result is an error."""


class SentinelImportError(SentinelRuntimeError):
    """An import cannot be resolved: unknown name, a plugin, or ``http`` without network."""


class SentinelLimitError(SentinelRuntimeError):
    """A configured limit was hit: steps, recursion depth, or the size of a value being built."""
