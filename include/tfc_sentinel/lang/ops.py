"""Sentinel's operators over the plain values of :mod:`.values`: the general (slow) paths.

The compiler inlines the common cases (``int + int``, ``str is "literal"``, a selector on a map)
and calls these functions for everything else, so each rule of the spec is written once, here.
They raise :class:`~.errors.SentinelRuntimeError` without a position; the calling closure adds it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Final, NoReturn

import re2

from .errors import SentinelLimitError, SentinelRuntimeError
from .values import UNDEFINED, Undefined, Value, byte_length, type_name, wrap_int

__all__ = [
    "add",
    "compare",
    "contains",
    "deep_equal",
    "div",
    "equal",
    "format_value",
    "index",
    "is_empty",
    "logical_not",
    "matches",
    "mod",
    "mul",
    "negate",
    "plus",
    "select",
    "slice_value",
    "sub",
]

U: Final = UNDEFINED
_NUM: Final = frozenset({int, float})
_SCALAR: Final = frozenset({str, int, float, bool, type(None)})
_MISSING: Final = object()


def kind(value: Value) -> type:
    """The type to dispatch on: imports return ``dict`` subclasses (decimals, times) that are maps."""
    t = type(value)
    if t is dict or t is list:
        return t
    if isinstance(value, dict):
        return dict
    if isinstance(value, list):
        return list
    return t


def fail(message: str) -> NoReturn:
    raise SentinelRuntimeError(message)


def _operands(op: str, a: Value, b: Value) -> NoReturn:
    fail(f"unsupported operand types for {op}: {type_name(a)} and {type_name(b)}")


def check_size(size: int, max_items: int, what: str) -> None:
    if size > max_items:
        raise SentinelLimitError(f"{what} of {size} items exceeds the limit of {max_items}")


# --- arithmetic -----------------------------------------------------------------------------------


def add(a: Value, b: Value, max_items: int) -> Value:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return wrap_int(a + b)
    if a is U or b is U:
        return U
    if ta in _NUM and tb in _NUM:
        return float(a) + float(b)
    if ta is str and tb is str:
        check_size(len(a) + len(b), max_items, "string")
        return a + b
    if kind(a) is list and kind(b) is list:
        check_size(len(a) + len(b), max_items, "list")
        return a + b
    _operands("+", a, b)


def sub(a: Value, b: Value) -> Value:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return wrap_int(a - b)
    if a is U or b is U:
        return U
    if ta in _NUM and tb in _NUM:
        return float(a) - float(b)
    _operands("-", a, b)


def mul(a: Value, b: Value) -> Value:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return wrap_int(a * b)
    if a is U or b is U:
        return U
    if ta in _NUM and tb in _NUM:
        return float(a) * float(b)
    _operands("*", a, b)


def int_div(a: int, b: int) -> int:
    """Division truncating toward zero; ``INT64_MIN / -1`` wraps to itself, as in Go."""
    if b == 0:
        fail("integer division by zero")
    q = abs(a) // abs(b)
    return wrap_int(q if (a >= 0) == (b >= 0) else -q)


def int_mod(a: int, b: int) -> int:
    """Remainder with the sign of the dividend (``-5 % 3`` is -2)."""
    if b == 0:
        fail("integer modulo by zero")
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def float_div(a: float, b: float) -> float:
    """IEEE-754 division: Python raises on division by zero, Go gives ±Inf or NaN."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def float_mod(a: float, b: float) -> float:
    """Go's ``math.Mod``: sign of the dividend; NaN for a zero divisor or an infinite dividend."""
    if b == 0.0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


def div(a: Value, b: Value) -> Value:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return int_div(a, b)
    if a is U or b is U:
        return U
    if ta in _NUM and tb in _NUM:
        return float_div(float(a), float(b))
    _operands("/", a, b)


def mod(a: Value, b: Value) -> Value:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return int_mod(a, b)
    if a is U or b is U:
        return U
    if ta in _NUM and tb in _NUM:
        return float_mod(float(a), float(b))
    _operands("%", a, b)


def negate(a: Value) -> Value:
    ta = type(a)
    if ta is int:
        return wrap_int(-a)
    if ta is float:
        return -a
    if a is U:
        return U
    fail(f"unsupported operand type for unary -: {type_name(a)}")


def plus(a: Value) -> Value:
    if type(a) in _NUM or a is U:
        return a
    fail(f"unsupported operand type for unary +: {type_name(a)}")


def logical_not(a: Value) -> Value:
    if a is True:
        return False
    if a is False:
        return True
    if a is U:
        return U
    fail(f"unsupported operand type for not: {type_name(a)} (expected a bool)")


# --- comparison -----------------------------------------------------------------------------------


def deep_equal(a: Value, b: Value) -> bool:
    """Equality inside lists and maps: elements must be comparable and equal (no undefined result)."""
    ta, tb = kind(a), kind(b)
    if ta is tb:
        if ta is list:
            if len(a) != len(b):
                return False
            for x, y in zip(a, b, strict=True):  # noqa: SIM110 - no generator: recursion stays in Python frames
                if x is not y and not deep_equal(x, y):
                    return False
            return True
        if ta is dict:
            if len(a) != len(b):
                return False
            for key, x in a.items():
                y = b.get(key, _MISSING)
                if y is _MISSING or (x is not y and not deep_equal(x, y)):
                    return False
            return True
        if ta in _SCALAR:
            return bool(a == b)
        return a is b and ta is not Undefined
    if ta in _NUM and tb in _NUM:
        return bool(a == b)
    return False


def equal(a: Value, b: Value) -> Value:
    """``==``/``is``: undefined spreads; null compares false with anything else; other mixed types
    are undefined (numbers mix)."""
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta in _SCALAR:
            return a == b
        if ta is Undefined:
            return U
        return deep_equal(a, b)
    if ta not in _SCALAR and tb not in _SCALAR and kind(a) is kind(b):
        return deep_equal(a, b)
    if a is U or b is U:
        return U
    if a is None or b is None:
        return False
    if ta in _NUM and tb in _NUM:
        return a == b
    return U


def not_equal(a: Value, b: Value) -> Value:
    r = equal(a, b)
    return r if r is U else not r


def compare(op: str, a: Value, b: Value) -> Value:
    """``< <= > >=`` on numbers and strings; mixed types undefined; other types an error."""
    ta, tb = type(a), type(b)
    if (ta in _NUM and tb in _NUM) or (ta is str and tb is str):
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b
    if a is U or b is U or kind(a) is not kind(b):
        return U
    fail(f"unsupported operand types for {op}: {type_name(a)} and {type_name(b)} (not ordered)")


def contains(coll: Value, item: Value) -> Value:
    """``coll contains item`` / ``item in coll``: list element, map key or substring."""
    tc = kind(coll)
    if coll is U or item is U:
        return U
    if tc is list:
        ti = type(item)
        if ti is str or item is None:
            return item in coll  # exact for these: str equals only str, None only None
        for elem in coll:  # noqa: SIM110 - no generator: recursion stays in Python frames
            if deep_equal(elem, item):
                return True
        return False
    if tc is dict:
        try:
            return item in coll
        except TypeError:  # unhashable: a list or map is never a key
            return False
    if tc is str:
        if type(item) is str:
            return item in coll
        fail(f"contains: a string can only contain a string, got {type_name(item)}")
    fail(f"contains/in: expected a list, map or string as the collection, got {type_name(coll)}")


_REGEX_CACHE: dict[str, Any] = {}
_REGEX_CACHE_SIZE = 512


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors are reported to the policy, not to stderr
    return options


_RE2_OPTIONS: Final = _options()


def _compile_regex(pattern: str) -> Any:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        if len(_REGEX_CACHE) >= _REGEX_CACHE_SIZE:
            _REGEX_CACHE.clear()
        try:
            compiled = re2.compile(pattern, _RE2_OPTIONS)
        except re2.error as exc:
            detail = (
                exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            )
            fail(f"matches: invalid regular expression {pattern!r}: {detail}")
        except UnicodeEncodeError:
            fail(f"matches: invalid regular expression {pattern!r}: invalid UTF-8")
        _REGEX_CACHE[pattern] = compiled
    return compiled


def matches(text: Value, pattern: Value) -> Value:
    """``text matches pattern``: RE2 syntax, unanchored search."""
    if text is U or pattern is U:
        return U
    if type(text) is not str or type(pattern) is not str:
        fail(f"matches: expected strings, got {type_name(text)} and {type_name(pattern)}")
    regex = _compile_regex(pattern)
    try:
        return regex.search(text) is not None
    except UnicodeEncodeError:  # invalid UTF-8 bytes in the text (kept as surrogate escapes)
        return regex.search(text.encode("utf-8", "surrogateescape")) is not None


def is_empty(value: Value) -> Value:
    tv = kind(value)
    if tv is str or tv is list or tv is dict:
        return len(value) == 0
    if value is U:
        return U
    fail(f"is empty: expected a string, list or map, got {type_name(value)}")


# --- access ---------------------------------------------------------------------------------------


def _byte_at(text: str, i: int) -> Value:
    if text.isascii():
        n = len(text)
        return text[i] if -n <= i < n else U
    data = text.encode("utf-8", "surrogateescape")
    n = len(data)
    if not -n <= i < n:
        return U
    return data[i : i + 1 if i != -1 else None].decode("utf-8", "surrogateescape")


def index(value: Value, key: Value) -> Value:
    """``value[key]``: missing keys and out-of-range indexes are undefined, as is indexing null."""
    tv = kind(value)
    if tv is dict:
        try:
            return value.get(key, U)
        except TypeError:  # unhashable key: never present
            return U
    if tv is list or tv is str:
        if type(key) is int:
            if tv is str:
                return _byte_at(value, key)
            n = len(value)
            return value[key] if -n <= key < n else U
        if key is U:
            return U
        fail(f"{type_name(value)} index must be an int, got {type_name(key)}")
    if value is U or value is None:
        return U
    fail(f"cannot index a value of type {type_name(value)}")


def select(value: Value, name: str) -> Value:
    """``value.name`` when ``value`` is not a plain map (the compiler handles those inline)."""
    if isinstance(value, dict):
        return value.get(name, U)
    if value is U or value is None:
        return U
    fail(f'cannot select "{name}" on a value of type {type_name(value)}')


def slice_value(value: Value, low: Value, high: Value) -> Value:
    """``value[low:high]`` on lists and strings (bytes); out of range gives undefined."""
    tv = kind(value)
    if tv is not list and tv is not str:
        if value is U or value is None:
            return U
        fail(f"cannot slice a value of type {type_name(value)}")
    if low is U or high is U:
        return U
    data: Any = value
    if tv is str and not value.isascii():
        data = value.encode("utf-8", "surrogateescape")
    n = len(data)
    lo = 0 if low is None else low
    hi = n if high is None else high
    if type(lo) is not int or type(hi) is not int:
        fail(f"slice indexes must be ints, got {type_name(lo)} and {type_name(hi)}")
    if not 0 <= lo <= hi <= n:
        return U
    result = data[lo:hi]
    if type(result) is bytes:
        return result.decode("utf-8", "surrogateescape")
    return result


def store(container: Value, key: Value, value: Value, max_items: int) -> None:
    """``container[key] = value``: maps gain keys; list indexes must exist."""
    tc = kind(container)
    if tc is dict:
        tk = type(key)
        if tk is not str and tk is not int and tk is not float and tk is not bool:
            fail(f"invalid map key of type {type_name(key)} (keys are strings, numbers or bools)")
        if len(container) >= max_items and key not in container:
            check_size(len(container) + 1, max_items, "map")
        container[key] = value
        return
    if tc is list:
        if type(key) is not int:
            fail(f"list index must be an int, got {type_name(key)}")
        n = len(container)
        if not -n <= key < n:
            fail(f"list index {key} out of range (length {n})")
        container[key] = value
        return
    fail(f"cannot assign to an index of a value of type {type_name(container)} (expected a list or map)")


def length(value: Value) -> Value:
    tv = kind(value)
    if tv is str:
        return byte_length(value)
    if tv is list or tv is dict:
        return len(value)
    if value is U:
        return U
    fail(f"length: expected a string, list or map, got {type_name(value)}")


# --- formatting -----------------------------------------------------------------------------------


def format_float(value: float) -> str:
    """Go's ``%v`` of a float64: shortest round-trip digits, exponent form below 1e-4 and from 1e21."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0.0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = int(exponent) + len(digits) - 1
    sign = "-" if value < 0 else ""
    if point < -4 or point >= 21:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    if point < 0:
        return f"{sign}0.{'0' * (-point - 1)}{digits}"
    if point + 1 >= len(digits):
        return sign + digits + "0" * (point + 1 - len(digits))
    return f"{sign}{digits[: point + 1]}.{digits[point + 1 :]}"


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        elif "\udc80" <= ch <= "\udcff":  # a raw byte of invalid UTF-8
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


#: Deepest list or map nesting ``print`` and ``error`` show (as deep as ``json.marshal`` goes).
MAX_FORMAT_NESTING: Final = 1000


def format_value(value: Value, top: bool = True) -> str:
    """Text of a value for ``print`` and ``error``: strings bare at the top level, quoted inside
    lists and maps; ``[1, 2]``, ``{"a": 1}``; rules show their value (forced by the caller).

    Lists and maps are shared, not copied (``m["self"] = m`` is allowed), so a value may contain
    itself: the inner occurrence prints as ``[...]`` or ``{...}``. Nesting deeper than
    :data:`MAX_FORMAT_NESTING` (built in a loop) is a limit error rather than a crash.
    """
    return _format(value, top, set())


def _format(value: Value, top: bool, open_ids: set[int]) -> str:
    tv = kind(value)
    if tv is str:
        return value if top else _quote(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if tv is int:
        return str(value)
    if tv is float:
        return format_float(value)
    if value is None:
        return "null"
    if value is U:
        return "undefined"
    if tv is list or tv is dict:
        key = id(value)
        if key in open_ids:
            return "[...]" if tv is list else "{...}"
        if len(open_ids) >= MAX_FORMAT_NESTING:
            raise SentinelLimitError(
                f"nesting too deep: cannot print a value nested deeper than {MAX_FORMAT_NESTING} levels"
            )
        open_ids.add(key)
        try:
            if tv is list:
                return "[" + ", ".join([_format(v, False, open_ids) for v in value]) + "]"
            items = [
                f"{_format(k, False, open_ids)}: {_format(v, False, open_ids)}" for k, v in value.items()
            ]
            return "{" + ", ".join(items) + "}"
        finally:
            open_ids.discard(key)
    described = type_name(value)
    if described == "func":
        name = getattr(value, "name", None)
        return f"<func {name}>" if isinstance(name, str) else "<func>"
    return f"<{described}>"
