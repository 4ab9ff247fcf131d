"""Helpers shared by the standard imports: argument checks, Sentinel equality, Go number formatting.

Sentinel's imports are written in Go, so where a result's exact text matters (``strings.join`` of a
float, ``json.marshal``) the Go formatting rules are reproduced here rather than Python's.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Final, NoReturn

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED, Builtin, Value, type_name

MANY: Final = sys.maxsize
"""Upper arity bound of variadic functions."""

MAX_NESTING: Final = 1000
"""Deepest list/map nesting the recursive helpers walk.

A fixed bound, not Python's recursion limit: the evaluator raises that limit for deep Sentinel
recursion, and helpers that recurse through C code (``all``, ``tuple``, the JSON scanner) must not
then run the C stack out on a hostile value.
"""


class NestingError(SentinelLimitError):
    """A value nested deeper than :data:`MAX_NESTING`; :func:`native` adds the function's name."""

    def __init__(self) -> None:
        super().__init__(f"value nested deeper than {MAX_NESTING} levels")


def check_depth(depth: int) -> None:
    if depth > MAX_NESTING:
        raise NestingError


def fail(name: str, message: str) -> NoReturn:
    raise SentinelRuntimeError(f"{name}: {message}")


def type_error(name: str, expected: str, index: int, value: Value) -> NoReturn:
    raise SentinelRuntimeError(f"{name}: expected {expected} as argument {index}, got {type_name(value)}")


def _plural(count: int) -> str:
    return f"{count} argument" if count == 1 else f"{count} arguments"


def check_arity(name: str, args: tuple[Value, ...], lo: int, hi: int | None = None) -> None:
    """Raise the engine's arity error unless ``lo <= len(args) <= hi`` (``hi`` defaults to ``lo``)."""
    top = lo if hi is None else hi
    if lo <= len(args) <= top:
        return
    if top == lo:
        wanted = _plural(lo)
    elif top == MANY:
        wanted = f"at least {_plural(lo)}"
    else:
        wanted = f"{lo} to {top} arguments"
    raise SentinelRuntimeError(f"{name}: expected {wanted}, got {len(args)}")


def native(
    name: str, fn: Callable[..., Value], lo: int, hi: int | None = None, *, undefined: bool = True
) -> Builtin:
    """Wrap ``fn`` as a :class:`Builtin` that checks its arity first.

    With ``undefined`` (the default) any undefined argument makes the result undefined without
    calling ``fn``, which is how Sentinel's imports treat undefined. Python's recursion limit,
    reachable with deeply nested values, surfaces as the engine's limit error.
    """
    top = lo if hi is None else hi

    def call(*args: Value) -> Value:
        if not lo <= len(args) <= top:
            check_arity(name, args, lo, top)
        if undefined:
            for arg in args:
                if arg is UNDEFINED:
                    return UNDEFINED
        try:
            return fn(*args)
        except NestingError:
            raise SentinelLimitError(f"{name}: value nested deeper than {MAX_NESTING} levels") from None
        except RecursionError:
            raise SentinelLimitError(f"{name}: value nested too deeply") from None

    return Builtin(name, call)


def is_int(value: Value) -> bool:
    """Sentinel ints: Python ints that are not bools."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def expect_str(name: str, value: Value, index: int) -> str:
    if isinstance(value, str):
        return value
    type_error(name, "a string", index, value)


def expect_list(name: str, value: Value, index: int) -> list[Value]:
    if isinstance(value, list):
        return value
    type_error(name, "a list", index, value)


def expect_int(name: str, value: Value, index: int) -> int:
    if is_int(value):
        return int(value)
    type_error(name, "an int", index, value)


def expect_func(name: str, value: Value, index: int) -> Callable[..., Value]:
    if callable(value) and not isinstance(value, (list, dict, type)):
        return value  # type: ignore[no-any-return]
    type_error(name, "a function", index, value)


# -- Sentinel equality ---------------------------------------------------------------------------


def equal(a: Value, b: Value, depth: int = 0) -> bool:
    """Sentinel ``==`` where it is defined: numbers across int and float, bools only with bools."""
    if a is b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        check_depth(depth)
        return len(a) == len(b) and all(equal(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        check_depth(depth)
        if len(a) != len(b):
            return False
        return all(key in b and equal(value, b[key], depth + 1) for key, value in a.items())
    return False


def canonical(value: Value, depth: int = 0) -> Hashable:
    """A hashable key with ``canonical(a) == canonical(b)`` exactly when ``equal(a, b)``.

    Set-like helpers (``lists.union`` and friends) use it to stay linear on large lists.
    """
    if value is None or value is UNDEFINED:
        return value
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("n", value)
    if isinstance(value, float):
        if math.isnan(value):
            return ("o", id(value))  # NaN equals nothing but itself
        return ("n", int(value)) if value.is_integer() else ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        check_depth(depth)
        return ("l", tuple(canonical(item, depth + 1) for item in value))
    if isinstance(value, dict):
        check_depth(depth)
        return ("m", frozenset((canonical(k), canonical(v, depth + 1)) for k, v in value.items()))
    return ("o", id(value))


def deep_copy(name: str, value: Value, limit: int) -> Value:
    """Copy lists and maps all the way down so results never alias the caller's mutable values.

    Counts the containers and items copied so a value that shares one big list many times cannot
    blow up memory: more than ``limit`` raises the engine's limit error.
    """
    budget = [limit]

    def copy(item: Value, depth: int) -> Value:
        if type(item) is list or type(item) is dict:
            check_depth(depth)
            budget[0] -= len(item) + 1
            if budget[0] < 0:
                raise SentinelLimitError(f"{name}: copy exceeds the limit of {limit} items")
            if type(item) is list:
                return [copy(x, depth + 1) for x in item]
            return {k: copy(v, depth + 1) for k, v in item.items()}
        return item

    return copy(value, 0)


# -- callbacks -----------------------------------------------------------------------------------


def callback_arity(fn: Callable[..., Value]) -> int | None:
    """How many parameters a callback declares, or None when it accepts any number."""
    arity = getattr(fn, "arity", None)
    if is_int(arity):
        return int(arity)
    params = getattr(fn, "params", None)
    if isinstance(params, (list, tuple)):
        return len(params)
    target = fn.fn if isinstance(fn, Builtin) else fn
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    count = 0
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if param.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def extra_args(arity: int | None, required: int, available: int) -> int:
    """How many optional trailing arguments to pass a callback declaring ``arity`` parameters."""
    if arity is None or arity <= required:
        return 0
    return min(arity - required, available)


# -- text ----------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")


def utf8_bytes(text: str) -> bytes:
    """The bytes of a Sentinel string; invalid bytes survive as surrogate escapes (see values.py)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATES.sub(_escape_or_replace, text).encode("utf-8", "surrogateescape")


def _escape_or_replace(match: re.Match[str]) -> str:
    char = match.group()
    return char if "\udc80" <= char <= "\udcff" else "\ufffd"


def bytes_text(data: bytes) -> str:
    """Bytes back to a Sentinel string, keeping invalid UTF-8 as surrogate escapes."""
    return data.decode("utf-8", "surrogateescape")


def valid_unicode(text: str) -> str:
    """Replace surrogates (invalid UTF-8 bytes, lone JSON escapes) by U+FFFD, as Go does on output."""
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


# -- Go number formatting ------------------------------------------------------------------------


def _shortest(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``abs(value)`` (finite, non-zero) and the power of ten of the first."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, int(exponent) + len(text) - 1


def _fixed(digits: str, point: int) -> str:
    if point < 0:
        return "0." + "0" * (-point - 1) + digits
    if point + 1 >= len(digits):
        return digits + "0" * (point + 1 - len(digits))
    return digits[: point + 1] + "." + digits[point + 1 :]


def _scientific(digits: str, point: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"


def go_float(value: float) -> str:
    """Go's ``fmt`` ``%v`` of a float64: shortest digits, exponent form below 1e-4 and from 1e6.

    ``%v`` is Go's ``%g`` with the shortest precision, which switches to ``1e+06`` style once the
    decimal exponent reaches 6.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _shortest(value)
    sign = "-" if value < 0 else ""
    if point < -4 or point >= 6:
        return sign + _scientific(digits, point)
    return sign + _fixed(digits, point)


def go_json_float(value: float) -> str:
    """Go's ``encoding/json`` text of a finite float64 (``1`` for 1.0, ``1e-7``, ``1e+21``)."""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _shortest(value)
    sign = "-" if value < 0 else ""
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        text = _scientific(digits, point)
        if text[-4:-1] == "e-0":  # Go trims e-07 to e-7
            text = text[:-2] + text[-1]
        return sign + text
    return sign + _fixed(digits, point)


def clamp_int64(value: int) -> int:
    return max(INT64_MIN, min(INT64_MAX, value))
