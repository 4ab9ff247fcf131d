"""User functions and rules as runtime values.

A :class:`Function` pairs compiled code with the frame it was defined in (its closure). The engine
calls :meth:`Function.invoke` with the caller's state; Python code (``collection.filter`` and
other imports) simply calls the object, which finds the running evaluation's state on the thread.

A :class:`Rule` is lazy and memoized: :meth:`Rule.force` evaluates the body once and records the
value for the result's rule list.

Frames are plain lists: ``[defining frame, globals frame, state, return value, *slots]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .errors import SentinelLimitError, SentinelRuntimeError
from .limits import RecursionHeadroom
from .result import RuleOutcome
from .runtime import RETURN, State, add_call, current_state, finalize, locate
from .syntax.errors import Source
from .values import UNDEFINED, Value

__all__ = ["HEADER", "Function", "FunctionCode", "Rule", "RuleCode"]

HEADER: Final = 4
"""Frame slots before the variables: defining frame, globals frame, state, return value."""

Frame = list[Any]
Code = Callable[[Frame], Any]


class FunctionCode:
    """The compiled, evaluation-independent part of a function literal."""

    __slots__ = ("arity", "body", "name", "offset", "params", "source", "tail")

    def __init__(
        self, name: str, params: list[str], body: Code, tail: list[Value], source: Source, offset: int
    ) -> None:
        self.name = name
        self.params = params
        self.arity = len(params)
        self.body = body
        self.tail = tail  # initial values of the non-parameter slots
        self.source = source
        self.offset = offset


class Function:
    """A Sentinel function value; ``arity`` and ``params`` tell imports how many arguments it takes."""

    __slots__ = ("code", "home", "parent")
    is_rule = False

    def __init__(self, code: FunctionCode, parent: Frame) -> None:
        self.code = code
        self.parent = parent
        self.home: State = parent[2]

    @property
    def name(self) -> str:
        return self.code.name

    @property
    def arity(self) -> int:
        return self.code.arity

    @property
    def params(self) -> list[str]:
        return list(self.code.params)

    def invoke(self, args: list[Value], state: State) -> Value:
        """Call with the caller's ``state`` (limits, prints), in the lexical scope of the definition."""
        code = self.code
        if len(args) != code.arity:
            raise SentinelRuntimeError(f"function {code.name} takes {_count(code.arity)}, got {len(args)}")
        depth = state.depth + 1
        if depth > state.max_depth:
            raise SentinelLimitError(
                f"call depth exceeded the limit of {state.max_depth} (runaway recursion in {code.name}?)"
            )
        state.budget -= 1
        if state.budget < 0 and (late := state.refill()) is not None:
            raise late
        parent = self.parent
        frame = [parent, parent[1], state, None, *args, *code.tail]
        state.depth = depth
        try:
            signal = code.body(frame)
        finally:
            state.depth = depth - 1
        if signal is RETURN:
            return frame[3]
        err = SentinelRuntimeError(
            f"function {code.name} ended without a return statement (write `return undefined` for no value)"
        )
        raise locate(err, code.source, code.offset)

    def __call__(self, *args: Value) -> Value:
        """Entry point for Python callers: imports' callbacks, or a host calling a module function."""
        state = current_state()
        if state is not None:
            return self.invoke(list(args), state)
        state = self.home
        try:
            with RecursionHeadroom(state.max_depth):
                return self.invoke(list(args), state)
        except Exception as exc:
            raise finalize(add_call(exc, self.code.source, self.code.offset, self.code.name)) from None

    def __repr__(self) -> str:
        return f"<func {self.code.name}>"


def _count(n: int) -> str:
    return "1 argument" if n == 1 else f"{n} arguments"


class RuleCode:
    """The compiled part of a rule literal; ``record`` names rules reported in the result."""

    __slots__ = ("body", "name", "offset", "position", "record", "source", "when")

    def __init__(
        self, name: str, body: Code, when: Code | None, source: Source, offset: int, record: bool
    ) -> None:
        self.name = name
        self.body = body
        self.when = when
        self.source = source
        self.offset = offset
        self.record = record
        self.position = source.position(offset) if record else None


_PENDING, _RUNNING, _DONE = 0, 1, 2


class Rule:
    """A rule value: evaluated on first use, then always the same value."""

    __slots__ = ("code", "frame", "status", "value")
    is_rule = True

    def __init__(self, code: RuleCode, frame: Frame) -> None:
        self.code = code
        self.frame = frame
        self.status = _PENDING
        self.value: Value = UNDEFINED

    @property
    def name(self) -> str:
        return self.code.name

    def force(self, state: State) -> Value:
        if self.status == _DONE:
            return self.value
        code = self.code
        if self.status == _RUNNING:
            raise SentinelRuntimeError(f"rule {code.name} depends on its own value")
        depth = state.depth + 1
        if depth > state.max_depth:
            raise SentinelLimitError(f"rule nesting exceeded the limit of {state.max_depth}")
        self.status = _RUNNING
        state.depth = depth
        try:
            frame = self.frame
            if code.when is None:
                value = code.body(frame)
            else:
                cond = code.when(frame)
                if cond is True:
                    value = code.body(frame)
                elif cond is False:
                    value = True
                else:
                    state.note(
                        code.source,
                        code.offset,
                        f"rule {code.name}: `when` predicate is not a bool; rule is undefined",
                    )
                    value = UNDEFINED
            # A rule whose value is a rule: forced while this one still counts towards the depth, so a
            # chain of them (a function returning a rule that calls it) ends at max_depth instead of
            # running into the interpreter's recursion limit.
            if type(value) is Rule:
                value = value.force(state)
        except Exception as exc:
            self.status = _PENDING
            raise add_call(exc, code.source, code.offset, f"rule {code.name}") from None
        finally:
            state.depth = depth - 1
        self.value = value
        self.status = _DONE
        if code.record:
            assert code.position is not None
            state.rules[code.name] = RuleOutcome(value, code.position)
        return value

    def __repr__(self) -> str:
        return f"<rule {self.code.name}>"
