"""The ``json`` import: ``unmarshal``, ``marshal`` and (Sentinel 0.30+) ``valid``.

Named ``json_`` so it never shadows Python's ``json`` module.

``unmarshal`` follows Go's decoder with numbers kept exact: an integer literal within int64 becomes
an int, any other number a float (``1.0`` and ``1e3`` are floats, as Go's ``json.Number`` gives);
``NaN``/``Infinity`` literals and numbers overflowing a float64 are errors, as in Go.

``marshal`` follows the current documentation (Sentinel 0.29+): ``undefined`` given directly gives
undefined, ``undefined`` list elements and map entries are left out, and a function anywhere is an
error. The text is Go's ``encoding/json`` output: compact, map keys sorted (non-string keys are
written as their string form), ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, floats in Go's
shortest form (``1`` for ``1.0``, ``1e+21``); NaN and infinities cannot be encoded.
"""

from __future__ import annotations

import json
import math
import re
from functools import partial
from typing import Final, NoReturn

from tfc_sentinel.lang.errors import SentinelLimitError
from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import (
    MAX_NESTING,
    NestingError,
    check_depth,
    expect_str,
    fail,
    go_float,
    go_json_float,
    native,
    valid_unicode,
)
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED, Value, type_name

_LONE_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89abAB]|\\u[dD][c-fC-F]")
_HTML_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_HTML_CHARS: Final = re.compile("[<>&\u2028\u2029]")
_BRACKETS: Final = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)|[\[\]{}]', re.DOTALL)


class _BadJSON(ValueError):
    pass


def _reject_constant(token: str) -> NoReturn:
    raise _BadJSON(f"invalid character in literal {token}")


def _parse_int(text: str) -> int | float:
    if len(text) > 20:  # beyond int64 (and Python's int-from-text digit limit): a float, as in Go
        return _parse_float(text)
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else _parse_float(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BadJSON(f"number {text} is out of range")
    return value


def _nesting(text: str) -> int:
    """The deepest bracket nesting of JSON text, so the recursive C parser is never run too deep."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0  # cannot be deeper; skip the scan for the common case
    depth = deepest = 0
    for token in _BRACKETS.findall(text):
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _load(text: str) -> Value:
    if _nesting(text) > MAX_NESTING:
        raise NestingError
    return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float)


def _fix_surrogates(value: Value) -> Value:
    """Lone ``\\uD800``-style escapes decode to U+FFFD in Go; Python keeps the surrogate."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, list):
        return [_fix_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {valid_unicode(k): _fix_surrogates(v) for k, v in value.items()}
    return value


def unmarshal(obj: Value) -> Value:
    name = "json.unmarshal"
    text = expect_str(name, obj, 1)
    try:
        value = _load(text)
    except (ValueError, OverflowError) as exc:  # JSONDecodeError and _BadJSON are ValueErrors
        fail(name, f"invalid JSON: {exc}")
    if _LONE_SURROGATE_ESCAPE.search(text):
        value = _fix_surrogates(value)
    return value


def valid(obj: Value) -> bool:
    """Whether ``obj`` is JSON; text nested too deep to parse safely is a limit error, not false."""
    text = expect_str("json.valid", obj, 1)
    try:
        _load(text)
    except (ValueError, OverflowError):
        return False
    return True


def _quote(text: str) -> str:
    quoted = json.dumps(valid_unicode(text), ensure_ascii=False)
    return (
        _HTML_CHARS.sub(lambda m: _HTML_ESCAPES[m.group()], quoted) if _HTML_CHARS.search(quoted) else quoted
    )


def _key(name: str, key: Value) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return go_float(key)
    fail(name, f"cannot encode a map key of type {type_name(key)}")


class _Encoder:
    """Writes compact JSON while counting its length, so shared sub-values cannot exhaust memory."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.size = 0
        self.out: list[str] = []

    def emit(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            raise SentinelLimitError(f"{self.name}: output exceeds the limit of {self.limit} characters")
        self.out.append(text)

    def value(self, value: Value, depth: int = 0) -> None:
        if value is None:
            self.emit("null")
        elif value is True:
            self.emit("true")
        elif value is False:
            self.emit("false")
        elif isinstance(value, int):
            self.emit(str(value))
        elif isinstance(value, float):
            if not math.isfinite(value):
                fail(self.name, f"unsupported value: {go_float(value)}")
            self.emit(go_json_float(value))
        elif isinstance(value, str):
            self.emit(_quote(value))
        elif isinstance(value, list):
            check_depth(depth)
            self.emit("[")
            first = True
            for item in value:
                if item is UNDEFINED:
                    continue
                if not first:
                    self.emit(",")
                first = False
                self.value(item, depth + 1)
            self.emit("]")
        elif isinstance(value, dict):
            check_depth(depth)
            entries = sorted(
                ((_key(self.name, k), v) for k, v in value.items() if v is not UNDEFINED), key=lambda e: e[0]
            )
            self.emit("{")
            for index, (key, item) in enumerate(entries):
                self.emit("," if index else "")
                self.emit(_quote(key) + ":")
                self.value(item, depth + 1)
            self.emit("}")
        else:
            fail(self.name, f"cannot encode a {type_name(value)} as JSON")


def marshal(ctx: ImportContext, obj: Value) -> str:
    encoder = _Encoder("json.marshal", ctx.max_items)
    encoder.value(obj)
    return "".join(encoder.out)


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "marshal": native("json.marshal", partial(marshal, ctx), 1),
        "unmarshal": native("json.unmarshal", unmarshal, 1),
        "valid": native("json.valid", valid, 1),
    }
