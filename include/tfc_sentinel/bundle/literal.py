"""Render Python values as Sentinel source literals, the way Terraform Cloud's mock files spell them.

Mock files are Sentinel modules whose top-level assignments hold plan, config and state data, so the
writer needs a literal renderer rather than JSON: maps may have integer keys, ``undefined`` is a value,
and the real files are tab-indented with a trailing comma after every element. Output is deterministic
(map keys sorted, as Terraform Cloud's Go writer does) and built with one list join, so multi-MB plans
render in about the time a few ``json.dumps`` passes take.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # C-accelerated
from typing import Any

from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED, Undefined

__all__ = ["UNDEFINED", "Undefined", "module_source", "render"]


# Python strings decoded from JSON ``\ud800``-style escapes may hold lone surrogates, which are not
# valid UTF-8; Go (and so Sentinel) would see U+FFFD there, so the renderer substitutes it.
_SURROGATE = re.compile("[\ud800-\udfff]")


_INDENTS = ["\t" * i for i in range(64)]
# ``encode_basestring`` (C) emits \" \\ \n \r \t \b \f and \u00XX for other control characters: all Go
# escapes. Everything else stays UTF-8, and Sentinel strings have no interpolation, so "${" is literal.


def _indent(depth: int) -> str:
    return _INDENTS[depth] if depth < len(_INDENTS) else "\t" * depth


def _int(value: int) -> str:
    if INT64_MIN < value <= INT64_MAX:
        return str(value)
    if value == INT64_MIN:
        # The lexer reads ``-9223372036854775808`` as minus an out-of-range literal; spell it as an
        # expression that stays inside int64.
        return f"(-{INT64_MAX} - 1)"
    # Sentinel integers are int64; larger JSON numbers (rare: huge IDs) keep their magnitude as floats.
    return _float(float(value))


def _float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"Sentinel has no literal for the float {value!r}; plan JSON never contains one")
    return repr(value)  # shortest round-trip form; always has "." or an exponent when finite


def _key(key: Any) -> str:
    kind = type(key)
    if kind is str:
        return encode_basestring(key)
    if kind is int:
        return _int(key)
    if kind is bool:
        return "true" if key else "false"
    if kind is float:
        return _float(key)
    if isinstance(key, str):
        return encode_basestring(str(key))
    if isinstance(key, int) and not isinstance(key, bool):
        return _int(int(key))
    raise TypeError(f"Sentinel map keys must be strings, numbers or bools, not {kind.__name__}")


def _sort_key(key: Any) -> tuple[int, Any]:
    # Mixed key types cannot be compared directly: order numbers before strings, bools first.
    if isinstance(key, bool):
        return (0, key)
    if isinstance(key, int | float):
        return (1, key)
    return (2, str(key))


def _sorted_keys(mapping: Mapping[Any, Any]) -> Iterable[Any]:
    try:
        return sorted(mapping)
    except TypeError:
        return sorted(mapping, key=_sort_key)


def _emit(value: Any, depth: int, out: list[str]) -> None:
    """Append the literal for ``value`` to ``out``; containers open on this line, close at ``depth``."""
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif kind is dict or isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        inner = _indent(depth + 1)
        out.append("{\n")
        for key in _sorted_keys(value):
            item = value[key]
            out.append(inner)
            out.append(encode_basestring(key) if type(key) is str else _key(key))
            out.append(": ")
            item_kind = type(item)
            if item_kind is str:
                out.append(encode_basestring(item))
            elif item is None:
                out.append("null")
            elif item_kind is bool:
                out.append("true" if item else "false")
            else:
                _emit(item, depth + 1, out)
            out.append(",\n")
        out.append(_indent(depth))
        out.append("}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = _indent(depth + 1)
        out.append("[\n")
        for item in value:
            out.append(inner)
            item_kind = type(item)
            if item_kind is str:
                out.append(encode_basestring(item))
            elif item is None:
                out.append("null")
            elif item_kind is bool:
                out.append("true" if item else "false")
            else:
                _emit(item, depth + 1, out)
            out.append(",\n")
        out.append(_indent(depth))
        out.append("]")
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is int:
        out.append(_int(value))
    elif kind is float:
        out.append(_float(value))
    elif value is UNDEFINED:
        out.append("undefined")
    elif isinstance(value, str):
        out.append(encode_basestring(str(value)))
    elif isinstance(value, int):
        out.append(_int(int(value)))
    elif isinstance(value, float):
        out.append(_float(float(value)))
    elif isinstance(value, list | tuple):
        _emit(list(value), depth, out)
    else:
        raise TypeError(f"cannot render {kind.__name__} as a Sentinel literal")


def _finish(text: str) -> str:
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


def render(value: Any, depth: int = 0) -> str:
    """Return the Sentinel literal for ``value`` (dict, list/tuple, str, int, float, bool, None, UNDEFINED).

    ``depth`` is the indentation level of the line the literal starts on.
    """
    out: list[str] = []
    _emit(value, depth, out)
    return _finish("".join(out))


def module_source(
    assignments: Iterable[tuple[str, Any]],
    *,
    imports: Iterable[str] = (),
    functions: Iterable[str] = (),
) -> str:
    """Return the text of a Sentinel module: imports, one ``name = literal`` per top-level name, functions.

    Functions are Sentinel source (already formatted) appended after the data, as in the real mocks.
    """
    out: list[str] = [f'import "{name}"\n' for name in imports]
    if out:
        out.append("\n")
    for name, value in assignments:
        if not name.isidentifier():
            raise ValueError(f"not a Sentinel identifier: {name!r}")
        out.append(name)
        out.append(" = ")
        _emit(value, 0, out)
        out.append("\n\n")
    for source in functions:
        out.append(source.strip("\n"))
        out.append("\n\n")
    text = "".join(out)
    return _finish(text.rstrip("\n") + "\n")
