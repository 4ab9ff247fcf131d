"""The ``decimal`` import: exact decimal arithmetic with up to 100 significant digits.

Named ``decimal_`` so it never shadows Python's ``decimal`` module, which does the arithmetic here
with a 100-digit context, a 32-bit exponent range and no traps, so invalid operations give NaN and
overflows give infinities instead of errors (``decimal.new(-1).sqrt()`` is NaN, as documented).

A decimal is a map of the fields ``string sign coefficient exponent float int`` plus its methods;
method arguments may be an int, a float, a numeric string or another decimal. Choices where the
documentation is silent:

- a float converts through its shortest round-trip text, so ``decimal.new(2.2)`` is exactly 2.2;
- ``coefficient`` and ``int`` are undefined when they do not fit an int64 (or for NaN/infinity);
- ``string`` uses the General Decimal Arithmetic form (``1.5``, ``1.1234E+400``, ``Infinity``, ``NaN``);
- a string that is not a number, and a non-numeric argument, are runtime errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal
from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import check_arity, fail, native, type_error
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED, Builtin, Value

CONTEXT: Final = Context(
    prec=100, rounding=ROUND_HALF_EVEN, Emin=-(2**31), Emax=2**31 - 1, capitals=1, clamp=0, flags=[], traps=[]
)

_NUMBER: Final = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE | re.ASCII
)
_ACCEPTS: Final = "a decimal, int, float or numeric string"


class DecimalObject(dict[str, Value]):
    """A decimal's map that also carries the exact value, so methods need not re-parse ``string``."""

    __slots__ = ("value",)
    value: Decimal


def to_decimal(name: str, value: Value, index: int) -> Decimal:
    """Any of the documented argument types as a Python ``Decimal``."""
    if isinstance(value, DecimalObject):
        return value.value
    if isinstance(value, bool):
        type_error(name, _ACCEPTS, index, value)
    if isinstance(value, int):
        return CONTEXT.create_decimal(value)
    if isinstance(value, float):
        if math.isnan(value):
            return Decimal("NaN")
        if math.isinf(value):
            return Decimal("Infinity" if value > 0 else "-Infinity")
        return CONTEXT.create_decimal(repr(value))
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            fail(name, f"cannot convert {value!r} to a decimal")
        return CONTEXT.create_decimal(value)
    if isinstance(value, dict) and isinstance(value.get("string"), str):
        # A decimal whose map was copied (by the evaluator, say) lost its Python class.
        return to_decimal(name, value["string"], index)
    type_error(name, _ACCEPTS, index, value)


def _fits(number: int) -> Value:
    return number if INT64_MIN <= number <= INT64_MAX else UNDEFINED


def _int_part(value: Decimal) -> Value:
    if not value.is_finite():
        return UNDEFINED
    if value.adjusted() >= 19:  # certainly beyond int64; never build a huge Python int
        return UNDEFINED
    return _fits(int(value))


def _coefficient(value: Decimal) -> Value:
    if not value.is_finite():
        return UNDEFINED
    return _fits(int("".join(map(str, value.as_tuple().digits))))


def _sign(value: Decimal) -> int:
    if value.is_nan() or value.is_zero():
        return 0
    return -1 if value.is_signed() else 1


# -- methods: (name, receiver, *args) ------------------------------------------------------------


def _other(name: str, args: tuple[Value, ...]) -> Decimal | None:
    """The single argument as a decimal, or None when it is undefined (the result is then undefined)."""
    check_arity(name, args, 1)
    return None if args[0] is UNDEFINED else to_decimal(name, args[0], 1)


def _comparison(*accept: int) -> Callable[..., Value]:
    """A method true when ``compare(self, other)`` is one of ``accept``; NaN on either side never is."""

    def method(name: str, self: Decimal, *args: Value) -> Value:
        other = _other(name, args)
        if other is None:
            return UNDEFINED
        if self.is_nan() or other.is_nan():
            return 2 in accept  # only ``is_not`` accepts "unordered"
        return int(self.compare(other, context=CONTEXT)) in accept

    return method


def _binary(op: Callable[[Decimal, Decimal], Decimal]) -> Callable[..., Value]:
    def method(name: str, self: Decimal, *args: Value) -> Value:
        other = _other(name, args)
        return UNDEFINED if other is None else make(op(self, other))

    return method


def _unary(op: Callable[[Decimal], Decimal]) -> Callable[..., Value]:
    def method(name: str, self: Decimal, *args: Value) -> Value:
        check_arity(name, args, 0)
        return make(op(self))

    return method


_METHODS: Final[tuple[tuple[tuple[str, ...], Callable[..., Value]], ...]] = (
    (("is",), _comparison(0)),
    (("is_not",), _comparison(-1, 1, 2)),
    (("less_than", "lt"), _comparison(-1)),
    (("less_than_or_equals", "lte"), _comparison(-1, 0)),
    (("greater_than", "gt"), _comparison(1)),
    (("greater_than_or_equals", "gte"), _comparison(0, 1)),
    (("add",), _binary(CONTEXT.add)),
    (("subtract", "sub"), _binary(CONTEXT.subtract)),
    (("multiply", "mul"), _binary(CONTEXT.multiply)),
    (("divide", "div"), _binary(CONTEXT.divide)),
    (("modulo", "mod", "remainder", "rem"), _binary(CONTEXT.remainder)),
    (("power", "pow"), _binary(CONTEXT.power)),
    (("exp",), _unary(CONTEXT.exp)),
    (("loge", "ln"), _unary(CONTEXT.ln)),
    (("log10", "log"), _unary(CONTEXT.log10)),
    (("square_root", "sqrt"), _unary(CONTEXT.sqrt)),
    (("ceiling", "ceil"), _unary(lambda d: d.to_integral_value(rounding=ROUND_CEILING, context=CONTEXT))),
    (("floor",), _unary(lambda d: d.to_integral_value(rounding=ROUND_FLOOR, context=CONTEXT))),
    (("absolute", "abs"), _unary(CONTEXT.abs)),
    (("negate", "neg"), _unary(CONTEXT.minus)),
)
_METHOD_NAMES: Final = tuple((alias, f"decimal.{alias}", fn) for names, fn in _METHODS for alias in names)


def make(value: Decimal) -> DecimalObject:
    """The Sentinel value of a decimal: its fields plus bound methods."""
    exponent = value.as_tuple().exponent
    obj = DecimalObject(
        string=CONTEXT.to_sci_string(value),
        sign=_sign(value),
        coefficient=_coefficient(value),
        exponent=exponent if isinstance(exponent, int) else 0,
        float=float(value),
        int=_int_part(value),
    )
    obj.value = value
    for alias, qualified, fn in _METHOD_NAMES:
        obj[alias] = Builtin(qualified, partial(fn, qualified, value))
    return obj


def new(v: Value) -> DecimalObject:
    return make(to_decimal("decimal.new", v, 1))


def infinity(name: str, sign: Value) -> DecimalObject:
    """``sign`` below zero gives -Infinity, anything else +Infinity."""
    if isinstance(sign, bool) or not isinstance(sign, (int, float)):
        type_error(name, "an int or float", 1, sign)
    return make(Decimal("-Infinity" if sign < 0 else "Infinity"))


def is_infinite(name: str, d: Value) -> bool:
    return to_decimal(name, d, 1).is_infinite()


def is_nan(name: str, d: Value) -> bool:
    return to_decimal(name, d, 1).is_nan()


_MODULE_FUNCTIONS: Final[tuple[tuple[tuple[str, ...], Callable[..., Value]], ...]] = (
    (("infinity", "inf"), infinity),
    (("is_infinite", "is_inf", "isinf", "isinfinite"), is_infinite),
    (("is_nan", "isnan"), is_nan),
)


def build(ctx: ImportContext) -> dict[str, Value]:
    module: dict[str, Value] = {
        "new": native("decimal.new", new, 1),
        "nan": make(Decimal("NaN")),
    }
    for aliases, fn in _MODULE_FUNCTIONS:
        for alias in aliases:
            qualified = f"decimal.{alias}"
            module[alias] = native(qualified, partial(fn, qualified), 1)
    return module
