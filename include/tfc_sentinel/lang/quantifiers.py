"""Quantifier expressions (``all any filter map``) as closures over the frame.

The loop names live in slots of the current frame, so an iteration is two slot stores and one call
of the body. Steps are charged once per quantifier (the snapshot's length) and refunded when
``all``/``any`` stop early; per item there is only a countdown to the next read of the CPU-time
clock (every :data:`~.limits.PACE` items).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from . import ops
from .errors import SentinelRuntimeError
from .limits import PACE
from .runtime import State, locate
from .syntax.errors import Source
from .values import UNDEFINED, Value, type_name

__all__ = ["QUANTIFIERS", "snapshot"]

Frame = list[Any]
Code = Callable[[Frame], Any]
U: Final = UNDEFINED
_length_hint = operator.length_hint


def snapshot(c: Value, two: bool) -> list[Any] | None:
    """A snapshot of what to iterate: elements, ``(index, element)``, keys or ``(key, value)``."""
    tc = ops.kind(c)
    if tc is list:
        return list(enumerate(c)) if two else c[:]
    if tc is dict:
        return list(c.items()) if two else list(c)
    return None


def _prepare(c: Value, two: bool, f: Frame, src: Source, off: int, op: str) -> list[Any]:
    seq = snapshot(c, two)
    if seq is None:
        raise locate(
            SentinelRuntimeError(f"{op}: cannot iterate over a value of type {type_name(c)}"), src, off
        )
    state = f[2]
    state.budget -= len(seq)
    if state.budget < 0 and (late := state.refill()) is not None:
        raise locate(late, src, off)
    return seq


def _pace(state: State, src: Source, off: int) -> int:
    """Read the CPU-time clock (every PACE items of a quantifier); return the next countdown."""
    late = state.pace()
    if late is not None:
        raise locate(late, src, off)
    return PACE


def _q_all(coll: Code, body: Code, i1: int, i2: int, src: Source, off: int) -> Code:
    two = i2 >= 0

    def all_expr(f: Frame) -> Any:
        c = coll(f)
        if c is U:
            return U
        it = iter(_prepare(c, two, f, src, off, "all"))
        pace = PACE
        if two:
            for k, v in it:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                f[i2] = v
                r = body(f)
                if r is not True:
                    f[2].budget += _length_hint(it)
                    return False if r is False else U
        else:
            for k in it:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                r = body(f)
                if r is not True:
                    f[2].budget += _length_hint(it)
                    return False if r is False else U
        return True

    return all_expr


def _q_any(coll: Code, body: Code, i1: int, i2: int, src: Source, off: int) -> Code:
    two = i2 >= 0

    def any_expr(f: Frame) -> Any:
        c = coll(f)
        if c is U:
            return U
        it = iter(_prepare(c, two, f, src, off, "any"))
        pace = PACE
        result: Any = False
        if two:
            for k, v in it:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                f[i2] = v
                r = body(f)
                if r is not False:
                    if r is True:
                        f[2].budget += _length_hint(it)
                        return True
                    result = U
        else:
            for k in it:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                r = body(f)
                if r is not False:
                    if r is True:
                        f[2].budget += _length_hint(it)
                        return True
                    result = U
        return result

    return any_expr


def _q_filter(coll: Code, body: Code, i1: int, i2: int, src: Source, off: int) -> Code:
    two = i2 >= 0

    def filter_expr(f: Frame) -> Any:
        c = coll(f)
        if c is U:
            return U
        seq = _prepare(c, two, f, src, off, "filter")
        pace = PACE
        if ops.kind(c) is list:
            kept: list[Any] = []
            keep = kept.append
            if two:
                for k, v in seq:
                    pace -= 1
                    if not pace:
                        pace = _pace(f[2], src, off)
                    f[i1] = k
                    f[i2] = v
                    r = body(f)
                    if r is True:
                        keep(v)
                    elif r is not False:
                        return U
            else:
                for v in seq:
                    pace -= 1
                    if not pace:
                        pace = _pace(f[2], src, off)
                    f[i1] = v
                    r = body(f)
                    if r is True:
                        keep(v)
                    elif r is not False:
                        return U
            return kept
        out: dict[Any, Any] = {}
        if two:
            for k, v in seq:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                f[i2] = v
                r = body(f)
                if r is True:
                    out[k] = v
                elif r is not False:
                    return U
        else:
            for k in seq:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                r = body(f)
                if r is True:
                    out[k] = c.get(k, U)
                elif r is not False:
                    return U
        return out

    return filter_expr


def _q_map(coll: Code, body: Code, i1: int, i2: int, src: Source, off: int) -> Code:
    two = i2 >= 0

    def map_expr(f: Frame) -> Any:
        c = coll(f)
        if c is U:
            return U
        seq = _prepare(c, two, f, src, off, "map")
        pace = PACE
        out: list[Any] = []
        put = out.append
        if two:
            for k, v in seq:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                f[i2] = v
                put(body(f))
        else:
            for k in seq:
                pace -= 1
                if not pace:
                    pace = _pace(f[2], src, off)
                f[i1] = k
                put(body(f))
        return out

    return map_expr


QUANTIFIERS: Final = {"all": _q_all, "any": _q_any, "filter": _q_filter, "map": _q_map}
