"""What one policy evaluation produces: main's value, the rules evaluated, prints, error and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SentinelRuntimeError
from .syntax.errors import Position
from .values import Value

__all__ = ["PolicyResult", "RuleOutcome"]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule's memoized value and where it was defined (``sentinel test`` traces show both)."""

    value: Value
    position: Position


@dataclass(slots=True)
class PolicyResult:
    """Outcome of :func:`~tfc_sentinel.lang.program.evaluate`.

    ``result`` is main's value (``False`` after an error); ``passed`` is true only when it is exactly
    ``true``. ``rules`` lists every named rule in the order it was first evaluated. ``prints`` is the
    captured ``print`` output, one line per call. ``error`` is the runtime error or ``error()`` call
    that stopped the policy. ``trace`` holds engine notes: an undefined main, conditions that were not
    booleans, and similar hints for whoever reads a failed result.
    """

    result: Value
    passed: bool
    rules: dict[str, RuleOutcome] = field(default_factory=dict)
    prints: str = ""
    error: SentinelRuntimeError | None = None
    trace: list[str] = field(default_factory=list)
