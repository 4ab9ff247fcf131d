"""Sentinel's predeclared functions (spec, "Built-in Functions").

Functions needing the evaluation (``print``, ``error``, the size limit of ``append`` and ``range``)
take the :class:`~.runtime.State` first; :data:`UNIVERSE` wraps them as values that find the
state of the running evaluation, for the rare policy that passes ``print`` around as a value.
The compiler calls the plain functions directly.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from typing import Final

from .errors import SentinelLimitError, SentinelRuntimeError, SentinelUserError
from .ops import check_size, fail, format_value, kind, length
from .runtime import State, current_state
from .values import INT64_MAX, INT64_MIN, UNDEFINED, Builtin, Value, type_name

__all__ = ["STATEFUL", "UNIVERSE", "force_rules", "to_bool", "to_float", "to_int", "to_string"]

U: Final = UNDEFINED


def _arity(name: str, args: tuple[Value, ...], lo: int, hi: int) -> None:
    if not lo <= len(args) <= hi:
        wanted = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise SentinelRuntimeError(
            f"{name}: expected {wanted} argument{'s' if hi != 1 else ''}, got {len(args)}"
        )


def force_rules(value: Value, state: State | None) -> Value:
    """The value of a rule object (printing a rule shows its value, per the spec)."""
    if getattr(value, "is_rule", False) is True and state is not None:
        return value.force(state)
    return value


def _text(args: tuple[Value, ...], state: State | None) -> str:
    return " ".join(format_value(force_rules(a, state)) for a in args)


def do_print(state: State, *args: Value) -> Value:
    state.out.append(_text(args, state) + "\n")
    return True


def do_error(state: State, *args: Value) -> Value:
    raise SentinelUserError(_text(args, state) or "error() called")


def do_append(state: State, *args: Value) -> Value:
    _arity("append", args, 2, 2)
    target, value = args
    if kind(target) is not list:
        fail(f"append: expected a list as the first argument, got {type_name(target)}")
    if len(target) >= state.max_items:
        raise SentinelLimitError(
            f"append: list of {len(target) + 1} items exceeds the limit of {state.max_items}"
        )
    target.append(value)
    return U


def do_delete(*args: Value) -> Value:
    _arity("delete", args, 2, 2)
    target, key = args
    if kind(target) is not dict:
        fail(f"delete: expected a map as the first argument, got {type_name(target)}")
    with contextlib.suppress(TypeError):  # an unhashable key is never present
        target.pop(key, None)
    return U


def do_keys(*args: Value) -> Value:
    _arity("keys", args, 1, 1)
    m = args[0]
    if kind(m) is dict:
        return list(m)
    if m is U:
        return U
    fail(f"keys: expected a map, got {type_name(m)}")


def do_values(*args: Value) -> Value:
    _arity("values", args, 1, 1)
    m = args[0]
    if kind(m) is dict:
        return list(m.values())
    if m is U:
        return U
    fail(f"values: expected a map, got {type_name(m)}")


def do_length(*args: Value) -> Value:
    _arity("length", args, 1, 1)
    return length(args[0])


def do_range(state: State, *args: Value) -> Value:
    _arity("range", args, 1, 3)
    for arg in args:
        if arg is U:
            return U
        if type(arg) is not int:
            fail(f"range: expected int arguments, got {type_name(arg)}")
    if len(args) == 1:
        start, end, step = 0, args[0], 1
    elif len(args) == 2:
        start, end, step = args[0], args[1], 1
    else:
        start, end, step = args
    if step == 0:
        fail("range: step must not be zero")
    numbers = range(start, end, step)
    check_size(len(numbers), state.max_items, "range")
    return list(numbers)


# --- conversions ----------------------------------------------------------------------------------

_INT_SYNTAX = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")
_FLOAT_SYNTAX = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z",
    re.IGNORECASE,
)


def to_int(value: Value) -> Value:
    """``int(x)``: ints unchanged, strings in int-literal syntax, floats floored, bools 1/0."""
    t = type(value)
    if t is int:
        return value
    if t is bool:
        return 1 if value else 0
    if t is float:
        if math.isnan(value) or math.isinf(value):
            return U
        result = math.floor(value)
        return result if INT64_MIN <= result <= INT64_MAX else U
    if t is str:
        if not _INT_SYNTAX.match(value):
            return U
        text = value.lstrip("+-")
        if text[:2] in ("0x", "0X"):
            number = int(text[2:], 16)
        elif len(text) > 1 and text[0] == "0":
            number = int(text, 8)
        else:
            number = int(text)
        if value[0] == "-":
            number = -number
        return number if INT64_MIN <= number <= INT64_MAX else U
    return U


def to_float(value: Value) -> Value:
    """``float(x)``: like ``int``; a string outside float-literal syntax (or out of range) is undefined."""
    t = type(value)
    if t is float:
        return value
    if t is int:
        return float(value)
    if t is bool:
        return 1.0 if value else 0.0
    if t is str:
        if not _FLOAT_SYNTAX.match(value):
            return U
        result = float(value)
        if math.isinf(result) and "inf" not in value.lower():
            return U  # "1e400": out of range
        return result
    return U


def to_string(value: Value) -> Value:
    """``string(x)``: floats as ``%f`` (six decimals), like C's sprintf."""
    t = type(value)
    if t is str:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    if t is float:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return f"{value:f}"
    return U


_TRUE_WORDS: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE_WORDS: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def to_bool(value: Value) -> Value:
    """``bool(x)``: Go's ``strconv.ParseBool`` words, non-zero numbers true."""
    t = type(value)
    if t is bool:
        return value
    if t is str:
        if value in _TRUE_WORDS:
            return True
        if value in _FALSE_WORDS:
            return False
        return U
    if t is int or t is float:
        return value != 0
    return U


def _conversion(name: str, fn: Callable[[Value], Value]) -> Callable[..., Value]:
    def convert(*args: Value) -> Value:
        _arity(name, args, 1, 1)
        return fn(args[0])

    return convert


# --- the universe block ---------------------------------------------------------------------------

#: Builtins that need the evaluation state as their first argument.
STATEFUL: Final[dict[str, Callable[..., Value]]] = {
    "append": do_append,
    "error": do_error,
    "print": do_print,
    "range": do_range,
}

#: Builtins that do not.
PURE: Final[dict[str, Callable[..., Value]]] = {
    "bool": _conversion("bool", to_bool),
    "delete": do_delete,
    "float": _conversion("float", to_float),
    "int": _conversion("int", to_int),
    "keys": do_keys,
    "length": do_length,
    "string": _conversion("string", to_string),
    "values": do_values,
}


def _with_current_state(name: str, fn: Callable[..., Value]) -> Builtin:
    def call(*args: Value) -> Value:
        state = current_state()
        if state is None:
            raise SentinelRuntimeError(f"{name}: called outside of a policy evaluation")
        return fn(state, *args)

    return Builtin(name, call)


#: Values of the predeclared names (constants and functions as first-class values).
UNIVERSE: Final[dict[str, Value]] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": U,
    **{name: Builtin(name, fn) for name, fn in PURE.items()},
    **{name: _with_current_state(name, fn) for name, fn in STATEFUL.items()},
}
