"""Evaluation limits, and the interpreter headroom deep Sentinel recursion needs.

Limits are counted where counting is cheap: loop iterations are charged once per loop (not per
item), calls once per call, sizes when a list, map or string is built. Every limit that trips
raises :class:`~tfc_sentinel.lang.errors.SentinelLimitError`, so a hostile or buggy policy ends
with an error instead of hanging or exhausting memory.

Steps alone do not bound time: one step may copy a whole list or map (``keys(m)`` in a loop over
``m``'s growth is quadratic), so ``max_seconds`` bounds the CPU time of an evaluation too. It is read
every :data:`PACE` loop iterations and every few thousand steps, never per expression.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

__all__ = ["CHUNK", "FRAMES_PER_CALL", "PACE", "Limits", "RecursionHeadroom"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one evaluation.

    ``max_steps`` counts loop and quantifier iterations and function calls; ``max_depth`` nested
    function calls and rule evaluations; ``max_items`` the size of any list, map or string the
    policy builds (strings count characters); ``max_seconds`` the CPU time of the thread running
    the evaluation (``None``: no limit). Large real plans evaluate in seconds; the default only
    stops a policy whose work grows far faster than its steps.
    """

    max_steps: int = 50_000_000
    max_depth: int = 500
    max_items: int = 10_000_000
    max_seconds: float | None = 300.0


#: Loop iterations between two reads of the clock (a countdown in each loop, ~20 ns an iteration).
PACE = 64
#: Steps handed out at a time: the clock is also read whenever these are used up.
CHUNK = 4096


#: Python frames one Sentinel call level may use (call site, invoke, blocks, statements and the
#: expressions between two calls); generous, as it only sizes the interpreter's recursion limit.
FRAMES_PER_CALL = 24

# Room for deeply nested expressions (the parser allows 1000 levels) and the caller's own frames.
_BASE_HEADROOM = 4000


class RecursionHeadroom:
    """Raises ``sys.setrecursionlimit`` while evaluations run; the last one out restores it.

    Python-to-Python calls of the engine use no C stack on CPython 3.11+, so a higher limit only
    lets the engine's own :class:`~.limits.Limits` ``max_depth`` trip first, with a clear error.
    """

    _lock = threading.Lock()
    _users = 0
    _original: int | None = None

    def __init__(self, max_depth: int) -> None:
        self.wanted = _BASE_HEADROOM + max_depth * FRAMES_PER_CALL

    def __enter__(self) -> RecursionHeadroom:
        cls = type(self)
        with cls._lock:
            cls._users += 1
            frames = _frame_depth()
            current = sys.getrecursionlimit()
            if current < frames + self.wanted:
                if cls._original is None:
                    cls._original = current
                sys.setrecursionlimit(frames + self.wanted)
        return self

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._users -= 1
            if cls._users == 0 and cls._original is not None:
                sys.setrecursionlimit(cls._original)
                cls._original = None


def _frame_depth() -> int:
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth
