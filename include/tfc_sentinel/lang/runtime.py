"""Per-evaluation state, control-flow markers and error location, shared by the compiled closures.

Errors get their position lazily: a closure that sees an exception pass only records its source
and offset on it (no calls, so this works even at the recursion limit); :func:`finalize` turns
that into a :class:`~.syntax.errors.Position` and the call trace once the error leaves the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .errors import SentinelError, SentinelImportError, SentinelLimitError, SentinelRuntimeError
from .limits import CHUNK
from .syntax.errors import SentinelSyntaxError, Source
from .values import Value

if TYPE_CHECKING:
    from .imports import ImportContext
    from .limits import Limits
    from .result import RuleOutcome

_cpu_time = time.thread_time

__all__ = [
    "BREAK",
    "CONTINUE",
    "RETURN",
    "UNSET",
    "State",
    "add_call",
    "current_state",
    "finalize",
    "locate",
    "using_state",
]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Value of a variable slot that has not been assigned yet (reading it is an error).
UNSET: Final = _Marker("<unset>")
#: What a statement closure returns to stop the enclosing block; ``None`` means "carry on".
BREAK: Final = _Marker("<break>")
CONTINUE: Final = _Marker("<continue>")
RETURN: Final = _Marker("<return>")  # the value waits in frame slot 3

MAX_TRACE = 64
"""Call-trace lines shown on an error: repeated calls collapse, the middle of a long trace is elided."""
_MAX_RECORDED = 100_000


class State:
    """Everything one evaluation shares: limit counters, captured output, the rule record, imports.

    ``budget`` counts down the steps handed out so far (at most :data:`~.limits.CHUNK` at a time,
    the rest waits in ``reserve``); when it goes negative the charging site calls :meth:`refill`,
    which also reads the clock. Frames reach the state through slot 2, so user functions defined in
    a module evaluated earlier still count against the caller's budget.
    """

    __slots__ = (
        "budget",
        "deadline",
        "depth",
        "import_ctx",
        "importer",
        "loading",
        "max_depth",
        "max_items",
        "max_seconds",
        "max_steps",
        "modules",
        "noted",
        "notes",
        "out",
        "reserve",
        "rules",
        "stdlib",
    )

    def __init__(
        self,
        limits: Limits,
        importer: Callable[[str], dict[str, Value]] | None,
        import_ctx: ImportContext | None = None,
    ) -> None:
        self.budget = min(limits.max_steps, CHUNK)
        self.reserve = limits.max_steps - self.budget
        self.max_steps = limits.max_steps
        self.max_seconds = limits.max_seconds
        self.deadline = None if limits.max_seconds is None else _cpu_time() + limits.max_seconds
        self.depth = 0
        self.max_depth = limits.max_depth
        self.max_items = limits.max_items
        self.out: list[str] = []
        self.rules: dict[str, RuleOutcome] = {}
        self.notes: list[str] = []
        self.noted: set[tuple[int, int]] = set()
        self.importer = importer
        self.import_ctx = import_ctx
        self.modules: dict[Any, dict[str, Value]] = {}  # per-evaluation module results
        self.loading: set[Any] = set()  # modules being evaluated: import cycles
        self.stdlib: dict[str, dict[str, Value]] = {}

    def note(self, source: Source, offset: int, message: str) -> None:
        """Add a trace note once per source location (a loop would repeat it)."""
        key = (id(source), offset)
        if key not in self.noted:
            self.noted.add(key)
            self.notes.append(f"{source.position(offset)}: {message}")

    def out_of_steps(self) -> SentinelLimitError:
        return SentinelLimitError(
            f"evaluation exceeded the limit of {self.max_steps} steps (loop iterations and calls)"
        )

    def refill(self) -> SentinelLimitError | None:
        """``budget`` went negative: hand out more steps from ``reserve``, or say which limit is hit.

        The error is returned, not raised, so each charging site raises it with its own position.
        """
        late = self.pace()
        if late is not None:
            return late
        if self.reserve + self.budget < 0:
            return self.out_of_steps()
        grant = min(self.reserve, CHUNK - self.budget)  # covers the overdraft plus a new chunk
        self.reserve -= grant
        self.budget += grant
        return None

    def pace(self) -> SentinelLimitError | None:
        """The time-limit error once the evaluation has used up ``max_seconds`` of CPU, else None."""
        deadline = self.deadline
        if deadline is None or _cpu_time() <= deadline:
            return None
        return SentinelLimitError(
            f"evaluation exceeded the limit of {self.max_seconds:g} seconds of CPU time (its work grows "
            "faster than its steps: a loop copying a large list or map on every iteration?)"
        )


_local = threading.local()


def current_state() -> State | None:
    """The state of the evaluation running on this thread, for callbacks entered from imports."""
    return getattr(_local, "state", None)


class using_state:
    """Make ``state`` current on this thread for the duration of a ``with`` block (re-entrant)."""

    __slots__ = ("previous", "state")

    def __init__(self, state: State) -> None:
        self.state = state
        self.previous: State | None = None

    def __enter__(self) -> State:
        self.previous = getattr(_local, "state", None)
        _local.state = self.state
        return self.state

    def __exit__(self, *exc: object) -> None:
        _local.state = self.previous


# --- errors ---------------------------------------------------------------------------------------


def locate(exc: Exception, source: Source, offset: int) -> SentinelError:
    """The engine error to raise for ``exc`` seen at ``offset``; keeps an inner position if set.

    Only attribute stores happen for engine errors, so this is safe near the recursion limit.
    """
    if isinstance(exc, SentinelRuntimeError):
        if exc.position is None and "_at" not in exc.__dict__:
            exc._at = (source, offset)  # type: ignore[attr-defined]
        return exc
    if isinstance(exc, SentinelError):
        return exc
    converted = _convert(exc)
    converted._at = (source, offset)  # type: ignore[attr-defined]
    return converted


def _convert(exc: BaseException) -> SentinelRuntimeError:
    if isinstance(exc, RecursionError):
        return SentinelLimitError("nesting too deep: the interpreter's recursion limit was reached")
    if isinstance(exc, MemoryError):
        return SentinelLimitError("out of memory")
    if isinstance(exc, SentinelSyntaxError):
        return SentinelImportError(
            f"syntax error in imported source: {exc.filename}:{exc.line}:{exc.column}: {exc.message}"
        )
    return SentinelRuntimeError(f"internal error: {type(exc).__name__}: {exc}")


def add_call(exc: Exception, source: Source, offset: int, name: str) -> SentinelError:
    """Record that ``exc`` left a call of ``name`` made at ``offset`` (the call trace)."""
    err = locate(exc, source, offset)
    if isinstance(err, SentinelRuntimeError):
        calls = err.__dict__.setdefault("_calls", [])
        if len(calls) < _MAX_RECORDED:
            calls.append((source, offset, name))
    return err


def finalize(exc: BaseException) -> SentinelError:
    """Resolve lazily recorded positions and calls into ``position`` and ``trace``."""
    if not isinstance(exc, SentinelError):
        exc = _convert(exc)
    if isinstance(exc, SentinelRuntimeError):
        at = exc.__dict__.pop("_at", None)
        if at is not None and exc.position is None:
            exc.position = at[0].position(at[1])
        calls = exc.__dict__.pop("_calls", None)
        if calls:
            exc.trace.extend(_trace_lines(calls))
    return exc


def _trace_lines(calls: list[tuple[Source, int, str]]) -> list[str]:
    lines: list[str] = []
    previous: tuple[Source, int, str] | None = None
    repeats = 0
    for call in [*calls, None]:
        if call is not None and previous is not None and call[1] == previous[1] and call[0] is previous[0]:
            repeats += 1
            continue
        if previous is not None:
            src, off, name = previous
            text = f"{src.position(off)} ({name})"
            lines.append(text if repeats == 0 else f"{text} [{repeats + 1} times]")
        previous, repeats = call, 0
    if len(lines) > MAX_TRACE:
        half = MAX_TRACE // 2
        lines = [*lines[:half], f"... {len(lines) - 2 * half} more calls ...", *lines[-half:]]
    return lines
