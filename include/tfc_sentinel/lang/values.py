"""Sentinel values as plain Python objects, the contract between the evaluator and the imports.

Policies over large plans spend their time reading mock data, so values are the cheapest Python
objects that carry Sentinel's meaning; nothing is wrapped:

============  ==============================================================================
Sentinel      Python
============  ==============================================================================
undefined     :data:`UNDEFINED` (the only :class:`Undefined` instance)
null          ``None``
bool          ``bool``
int           ``int``, kept within int64 by :func:`wrap_int` after every arithmetic operation
float         ``float``
string        ``str`` (lengths and indexes count UTF-8 bytes, see :func:`byte_length`)
list          ``list`` (mutable in place: ``append``, index assignment)
map           ``dict`` (insertion order is the iteration order; keys are str, int, float or bool)
func          any object with ``__call__`` taking and returning values: a user function of the
              evaluator or a :class:`Builtin` of an import
rule          the evaluator's rule object (lazy, memoized)
import        a ``dict`` of attribute name -> value (functions included), so ``strings.split``
              is a selector on a map; objects returned by imports (``decimal.new(x)``) are maps
              too, whose methods are :class:`Builtin` values bound to the object
============  ==============================================================================

Builtins and imports raise :class:`~tfc_sentinel.lang.errors.SentinelRuntimeError` for misuse
(wrong type, wrong arity); the evaluator adds the position and the call trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

Value = Any
"""Any Sentinel value in the representation above."""


class Undefined:
    """Sentinel's ``undefined``: a value, not an error, that spreads through most operators."""

    _instance: Undefined | None = None
    __slots__ = ()

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        raise TypeError("undefined has no truth value; check `is UNDEFINED` first")

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined()


class Builtin:
    """A function implemented in Python: predeclared functions and import functions and methods."""

    __slots__ = ("fn", "name")

    def __init__(self, name: str, fn: Callable[..., Value]) -> None:
        self.name = name
        self.fn = fn

    def __call__(self, *args: Value) -> Value:
        return self.fn(*args)

    def __repr__(self) -> str:
        return f"<builtin {self.name}>"


def wrap_int(value: int) -> int:
    """Two's-complement wraparound to int64, as Sentinel's integers overflow."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return ((value - INT64_MIN) & 0xFFFF_FFFF_FFFF_FFFF) + INT64_MIN


def byte_length(text: str) -> int:
    """Sentinel strings are byte sequences: ``length("é")`` is 2."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


def type_name(value: Value) -> str:
    """The name ``types.type_of`` reports, and the one error messages use."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    if getattr(value, "is_rule", False):
        return "rule"
    if callable(value):
        return "func"
    return type(value).__name__
