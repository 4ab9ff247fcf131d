"""The ``strings`` import: Go's ``strings`` package as Sentinel documents it.

Functions: ``has_prefix``, ``has_suffix``, ``join``, ``split``, ``trim_prefix``, ``trim_suffix``,
``to_lower``, ``to_upper`` and, since Sentinel 0.27, ``replace``, ``trim``, ``trim_left``,
``trim_right``, ``trim_space``. An undefined argument makes the result undefined; any other
non-string where a string is required is a runtime error.

Choices where the documentation is silent: ``join`` writes floats as Go's ``%v`` does (``1.01``,
``1e+06``), null as ``null``, and gives undefined when an element is undefined; ``to_lower`` and
``to_upper`` map character by character like Go (``ß`` stays ``ß``); ``trim_space`` trims Go's
white space; ``replace`` with ``times`` omitted or negative replaces every occurrence.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import (
    expect_int,
    expect_list,
    expect_str,
    fail,
    go_float,
    native,
)
from tfc_sentinel.lang.values import UNDEFINED, Value, type_name

# unicode.IsSpace in Go: ASCII white space, NEL, NBSP and the Unicode space separators.
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

# Go maps case rune by rune with the simple mappings; Python's full mappings may change length.
_SIMPLE_LOWER: Final = {"\u0130": "i"}


def has_prefix(s: Value, prefix: Value) -> bool:
    name = "strings.has_prefix"
    return expect_str(name, s, 1).startswith(expect_str(name, prefix, 2))


def has_suffix(s: Value, suffix: Value) -> bool:
    name = "strings.has_suffix"
    return expect_str(name, s, 1).endswith(expect_str(name, suffix, 2))


def trim_prefix(s: Value, prefix: Value) -> str:
    name = "strings.trim_prefix"
    return expect_str(name, s, 1).removeprefix(expect_str(name, prefix, 2))


def trim_suffix(s: Value, suffix: Value) -> str:
    name = "strings.trim_suffix"
    return expect_str(name, s, 1).removesuffix(expect_str(name, suffix, 2))


def _map_case(text: str, upper: bool) -> str:
    if text.isascii():
        return text.upper() if upper else text.lower()
    convert = str.upper if upper else str.lower
    out = []
    for char in text:
        mapped = convert(char)
        if len(mapped) != 1:
            mapped = char if upper else _SIMPLE_LOWER.get(char, char)
        out.append(mapped)
    return "".join(out)


def to_lower(s: Value) -> str:
    return _map_case(expect_str("strings.to_lower", s, 1), upper=False)


def to_upper(s: Value) -> str:
    return _map_case(expect_str("strings.to_upper", s, 1), upper=True)


def split(ctx: ImportContext, s: Value, sep: Value) -> Value:
    """Go's ``strings.Split``; a list ``s`` comes back unchanged, as documented."""
    name = "strings.split"
    if isinstance(s, list):
        return s
    text = expect_str(name, s, 1)
    separator = expect_str(name, sep, 2)
    parts = list(text) if separator == "" else text.split(separator)
    ctx.check_size(name, len(parts))
    return parts


def _piece(name: str, value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if value is None:
        return "null"
    fail(name, f"cannot join a {type_name(value)}; only strings, numbers, bools and nested lists join")


def join(ctx: ImportContext, a: Value, sep: Value) -> Value:
    """Flattens nested lists and stringifies primitives; an undefined element makes it undefined."""
    name = "strings.join"
    items = expect_list(name, a, 1)
    separator = expect_str(name, sep, 2)
    pieces: list[str] = []
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            if item is UNDEFINED:
                return UNDEFINED
            pieces.append(_piece(name, item))
        else:
            stack.pop()
    ctx.check_size(name, sum(map(len, pieces)) + len(separator) * max(0, len(pieces) - 1))
    return separator.join(pieces)


def replace(ctx: ImportContext, s: Value, old: Value, new: Value, times: Value = -1) -> str:
    """Go's ``strings.Replace``: ``times`` omitted or negative replaces every occurrence."""
    name = "strings.replace"
    text = expect_str(name, s, 1)
    before = expect_str(name, old, 2)
    after = expect_str(name, new, 3)
    count = expect_int(name, times, 4)
    if count == 0:
        return text
    found = text.count(before) if before else len(text) + 1
    if count > 0:
        found = min(found, count)
    ctx.check_size(name, len(text) + found * (len(after) - len(before)))
    return text.replace(before, after, count)


def trim(s: Value, cutset: Value) -> str:
    name = "strings.trim"
    return expect_str(name, s, 1).strip(expect_str(name, cutset, 2))


def trim_left(s: Value, cutset: Value) -> str:
    name = "strings.trim_left"
    return expect_str(name, s, 1).lstrip(expect_str(name, cutset, 2))


def trim_right(s: Value, cutset: Value) -> str:
    name = "strings.trim_right"
    return expect_str(name, s, 1).rstrip(expect_str(name, cutset, 2))


def trim_space(s: Value) -> str:
    return expect_str("strings.trim_space", s, 1).strip(_GO_SPACE)


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "has_prefix": native("strings.has_prefix", has_prefix, 2),
        "has_suffix": native("strings.has_suffix", has_suffix, 2),
        "join": native("strings.join", partial(join, ctx), 2),
        "replace": native("strings.replace", partial(replace, ctx), 3, 4),
        "split": native("strings.split", partial(split, ctx), 2),
        "to_lower": native("strings.to_lower", to_lower, 1),
        "to_upper": native("strings.to_upper", to_upper, 1),
        "trim": native("strings.trim", trim, 2),
        "trim_left": native("strings.trim_left", trim_left, 2),
        "trim_prefix": native("strings.trim_prefix", trim_prefix, 2),
        "trim_right": native("strings.trim_right", trim_right, 2),
        "trim_space": native("strings.trim_space", trim_space, 1),
        "trim_suffix": native("strings.trim_suffix", trim_suffix, 2),
    }
