"""Sentinel values in reports: how they read to people and how they survive a JSON round trip.

Rule values come straight from the engine (:mod:`tfc_sentinel.lang.values`): besides JSON's types they
can be ``undefined``, maps with integer or boolean keys (v1 mocks), non-finite floats, functions and
rules. Reports must show all of them and the JSON report must give them back unchanged, so JSON gets
a small tagged encoding for exactly those cases and plain JSON for everything else.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tfc_sentinel.lang.values import UNDEFINED, Value, type_name

__all__ = [
    "TAG",
    "OpaqueValue",
    "format_value",
    "from_jsonable",
    "plain_json_value",
    "printable",
    "to_jsonable",
    "truncate",
]

TAG: Final = "__sentinel__"
"""Key marking a tagged value in the JSON report (see ``SCHEMA.md``)."""


@dataclass(frozen=True)
class OpaqueValue:
    """A value JSON cannot carry (a function, a rule, an import object), kept as its type and text."""

    kind: str
    text: str

    def __repr__(self) -> str:
        return self.text


def to_jsonable(value: Value) -> Any:
    """Encode an engine value as JSON data; :func:`from_jsonable` gives it back.

    Plain JSON for strings, numbers, bools, null, lists and string-keyed maps; a tagged object for
    ``undefined``, non-finite floats, maps with non-string keys (or a key named like the tag) and
    values JSON has no type for.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {TAG: "float", "value": "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")}
    if value is UNDEFINED:
        return {TAG: "undefined"}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        if all(isinstance(key, str) for key in value) and TAG not in value:
            return {key: to_jsonable(item) for key, item in value.items()}
        return {TAG: "map", "entries": [[to_jsonable(k), to_jsonable(v)] for k, v in value.items()]}
    if isinstance(value, OpaqueValue):
        return {TAG: value.kind, "text": value.text}
    return {TAG: type_name(value), "text": repr(value)}


def from_jsonable(data: Any) -> Value:
    """Decode :func:`to_jsonable` output; functions and rules come back as :class:`OpaqueValue`."""
    if isinstance(data, list):
        return [from_jsonable(item) for item in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(TAG)
    if tag is None:
        return {key: from_jsonable(item) for key, item in data.items()}
    if tag == "undefined":
        return UNDEFINED
    if tag == "float":
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}[data["value"]]
    if tag == "map":
        return {_hashable(from_jsonable(k)): from_jsonable(v) for k, v in data["entries"]}
    return OpaqueValue(str(tag), str(data.get("text", "")))


def _hashable(key: Value) -> Any:
    return key if isinstance(key, bool | int | float | str) or key is None else repr(key)


def plain_json_value(value: Value) -> Any:
    """Lossy plain JSON, for formats that copy the ``sentinel`` CLI: undefined and functions become null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [plain_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {_key_text(key): plain_json_value(item) for key, item in value.items()}
    return None


def _key_text(key: Value) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return format_value(key)


def format_value(value: Value, limit: int | None = None) -> str:
    """Sentinel-style text for a value (``true``, ``"s"``, ``[1, 2]``, ``{"k": v}``, ``undefined``).

    ``limit`` cuts the text (with a note of how much was left out) so one huge map cannot swamp a
    terminal, a Markdown comment or an HTML page.
    """
    text = _format(value)
    return truncate(text, limit) if limit is not None else text


def _format(value: Value) -> str:
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_format(k)}: {_format(v)}" for k, v in value.items()) + "}"
    return repr(value)


def truncate(text: str, limit: int | None) -> str:
    """``text`` cut to about ``limit`` characters, saying how many were dropped."""
    if limit is None or len(text) <= limit:
        return text
    keep = max(0, limit)
    return f"{text[:keep]}… ({len(text) - keep} more characters)"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, NUL, lone surrogates) shown as ``\\xNN`` escapes.

    Policy output and error texts end up in XML, HTML and Markdown, where such characters are invalid
    or would reach a reader's terminal; tabs and line breaks are kept.
    """
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
