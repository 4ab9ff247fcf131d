"""Fast path for Sentinel modules that are mostly literal data: Terraform Cloud mock files.

A 20,000-resource plan gives a ~50 MB ``mock-tfplan-v2.sentinel`` made of a few ``name = {...}``
assignments plus small functions. Tokenizing that in Python takes tens of seconds, so this module finds
the top-level statements cheaply (:func:`split_module`), turns each literal-only right-hand side into
Python values with the C JSON decoder (:func:`literal_value`) and leaves everything else to the full
parser and evaluator (:func:`load_literals`). It never changes meaning: whenever it is not certain,
the text goes to the full path, which also owns all error messages.

**Translation to JSON.** JSON and Sentinel agree on strings (extent and the common escapes), on
decimal numbers and on ``true false null``; the rest is translated.

* *Fast path* (what the mock writer emits), built in one pass over the right-hand side from pieces of
  the source (no slice of it, so a 50 MB literal costs one translated copy): a comma followed by a
  line break and a closing bracket becomes a space; ``undefined`` before the end of its line becomes
  ``-Infinity``, which the decoder hands to ``parse_constant`` (calls are counted, so a
  ``-Infinity`` in the source cannot pass for it); ``(-9223372036854775807 - 1)`` becomes the int64
  minimum; an integer map key at the start of a line becomes a marked string, and only then does the
  decoder get an ``object_pairs_hook``. None of these rewrites can touch a string: a double-quoted
  string cannot contain a raw line break, and each rewritten token is followed by one (or starts a
  line) with no quote in between. Raw strings and comments can contain anything, but the decoder
  fails at their first character, which comes before anything rewritten inside them.
* *Checks* for the few things JSON accepts but reads differently: ``\\/`` and surrogate ``\\u``
  escapes (Sentinel errors), a line starting with ``,`` or ``:`` (an inserted semicolon makes that a
  Sentinel error), integers beyond int64 (a ``parse_int`` hook, only when a 19-digit run exists),
  ``1e999`` (``parse_float``), the constants ``NaN``/``Infinity`` (identifiers in Sentinel).
* *Careful path*, when the decoder fails or a check fires: one ``re.sub`` whose every match is a run
  of JSON-compatible tokens (copied as is) followed by one rare token that a callback translates, so
  it runs at nearly the speed of the fast path when rare tokens are rare:
  comments, raw strings, strings with Go-only escapes (``\\a \\v \\xHH \\ooo \\UHHHHHHHH``; ``\\'`` is
  not an escape in Sentinel strings), octal/hex integers, ``1.``/``.5`` floats, ``undefined``,
  int/float/bool map keys, trailing commas on the same line. Anything else is :data:`NOT_LITERAL`.

**Decisions.** Integers are int64: a literal outside ``[-2**63, 2**63 - 1]`` (sign included, so
``-9223372036854775808`` is accepted) is :data:`NOT_LITERAL`, and the evaluator applies its own rule.
Duplicate map keys: the last value wins, at the position of the first (``{"a": 1, "a": 2}`` is
``{"a": 2}``), as a map built key by key at run time behaves; keys of different types that Python
considers equal (``1``, ``1.0``, ``true``) give :data:`NOT_LITERAL`. A negative number is ``-``
directly followed by a number (``- 1`` is left to the evaluator). Nesting deeper than the parser's
limit is :data:`NOT_LITERAL`. Strings with ``\\xHH``/``\\ooo`` escapes follow the scanner: bytes that
are not UTF-8 become lone surrogates (``surrogateescape``).

The cyclic GC is paused while decoding (see :func:`_gc_paused`); that alone makes decoding ~3x faster.

**Statement order.** :class:`FastModule` keeps literal bindings and the other statements in source
order (:meth:`FastModule.steps`); a name bound twice keeps only its first literal in ``values`` and the
later assignment in ``rest``. Segments are whole lines, so ordering by line is exact as well: the
evaluator may parse :meth:`FastModule.rest_source` once (same lines and columns as the file) and bind
each literal before the first statement below its ``Segment.line``.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Final, Literal

from .values import INT64_MAX, INT64_MIN, UNDEFINED, Value

__all__ = [
    "NOT_LITERAL",
    "FastModule",
    "NotLiteral",
    "Segment",
    "SegmentKind",
    "literal_value",
    "load_literals",
    "split_module",
]


class NotLiteral:
    """Type of :data:`NOT_LITERAL`: the text is not a plain literal, let the evaluator handle it."""

    _instance: NotLiteral | None = None
    __slots__ = ()

    def __new__(cls) -> NotLiteral:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LITERAL"

    def __reduce__(self) -> str:
        return "NOT_LITERAL"


NOT_LITERAL: Final = NotLiteral()

SegmentKind = Literal["import", "param", "assign", "statement", "comment", "module"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One top-level statement (or a run of blank and comment lines) of a module, as offsets.

    ``kind`` ``"module"`` is the whole file, returned when it cannot be split with certainty.
    ``verified`` is false only for ``"assign"`` segments whose right-hand side looks like a literal:
    they are proven by decoding (see :func:`load_literals`), which is where their cost is paid anyway.
    """

    start: int
    end: int
    line: int  # 1-based line of ``start``; segments always start at a line start
    kind: SegmentKind
    name: str = ""  # the assigned name of an "assign" segment
    value_start: int = -1  # offset of the right-hand side of an "assign" segment
    verified: bool = True
    source: str = field(default="", repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]

    @property
    def fast(self) -> bool:
        """False for the single whole-file segment of a module that could not be split."""
        return self.kind != "module"


@dataclass(slots=True)
class FastModule:
    """A module split into literal bindings (``values``) and statements for the evaluator (``rest``)."""

    filename: str
    source: str = field(repr=False)
    values: dict[str, Value] = field(repr=False)  # literal assignments in source order
    literals: list[Segment]  # the segment of each entry of ``values``, in the same order
    rest: list[Segment]  # everything else, in source order

    def steps(self) -> Iterator[tuple[str, Value] | Segment]:
        """Yield ``(name, value)`` for a literal binding and a :class:`Segment` for other statements,
        in source order: the order in which the evaluator must bind and run them."""
        values, rest, i = self.values, self.rest, 0
        for segment in self.literals:
            while i < len(rest) and rest[i].start < segment.start:
                yield rest[i]
                i += 1
            yield segment.name, values[segment.name]
        yield from rest[i:]

    def rest_source(self) -> str:
        """Source text of ``rest`` for one ``parse()`` call, every statement at its original line and
        column (literal segments become their line breaks), so positions in errors stay right."""
        parts: list[str] = []
        pos = 0
        for segment in self.rest:
            if segment.start > pos:
                parts.append("\n" * self.source.count("\n", pos, segment.start))
            parts.append(self.source[segment.start : segment.end])
            pos = segment.end
        return "".join(parts)


# --- literal values --------------------------------------------------------------------------------

_BLANKS = re.compile(r"[ \t\r\n]*+")
# Fast path rewrites; see the module docstring for why they never touch a string.
_TRAILING_COMMA = re.compile(r",(?=[ \t\r]*+\n[ \t\r\n]*+[\]}])(?<=[\w\"\]}).],)")
_UNDEFINED_AT_EOL = re.compile(r"undefined(?<![\w.]undefined)(?=,?[ \t\r]*+(?:\n|\Z))")
_INT64_MIN_TEXT: Final = "(-9223372036854775807 - 1)"
_INT64_MIN_AT_EOL = re.compile(r"\(-9223372036854775807 - 1\)(?=,?[ \t\r]*+(?:\n|\Z))")
_INT64_MIN_JSON: Final = "-9223372036854775808"
_UNDEFINED_JSON: Final = "-Infinity"  # handed to parse_constant by the decoder
# A line starting with "," or ":" (an inserted semicolon makes it an error), or an integer map key.
_LINE_HEAD = re.compile(r"\n[ \t\r\n]*+(?:(?P<sep>[,:])|-?[0-9]++[ \t]*+:)")
_LINE_SEP = re.compile(r"\n[ \t\r\n]*+[,:]")
_INT_KEY = re.compile(r"\n([ \t\r\n]*+)(-?(?:0|[1-9][0-9]{0,18}))(?=[ \t]*+:)")
_BAD_ESCAPE = re.compile(r"\\(?:/|u[dD][89a-fA-F])")  # JSON reads them, Sentinel rejects them
_TRAILER = re.compile(r"(?:[ \t\r\n]++|(?:\#|//)[^\n]*+|/\*(?s:.*?)\*/)*+")

_MARK: Final = "\udfff"  # starts a decoded map key that stands for an int, float or bool key
_MARK_JSON: Final = "\\udfff"  # no Sentinel string can decode to a lone U+DFFF


class _NotLiteralError(ValueError):
    """Raised inside callbacks and hooks; becomes :data:`NOT_LITERAL`."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while decoding: millions of new containers trigger collections that
    cost more than the decoding (decoded data has no cycles). The previous state is restored."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def literal_value(text: str) -> Value | NotLiteral:
    """The Python value of a literal-only right-hand side, or :data:`NOT_LITERAL`; never raises for
    malformed or non-literal input (the evaluator parses it and reports errors)."""
    with _gc_paused():
        return _decode_range(text, 0, len(text))


def _int64(text: str) -> int:
    value = int(text)
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise _NotLiteralError(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf (nan never comes from a numeral)
        raise _NotLiteralError(text)
    return value


def _typed_key(key: str) -> object:
    tag, body = key[1:2], key[2:]
    if tag == "i":
        return _int64(body)
    if tag == "f":
        return float(body)
    return body == "t"


def _typed_pairs(pairs: list[tuple[str, Value]]) -> dict[object, Value]:
    """``object_pairs_hook`` restoring int, float and bool keys from their marked strings."""
    plain = dict(pairs)
    if not plain or max(plain) < _MARK:  # no key starts with the marker (C-speed check)
        return plain
    typed: dict[object, Value] = {}
    for key, value in pairs:
        typed[_typed_key(key) if key[:1] == _MARK else key] = value
    if len(typed) < len(plain):  # distinct source keys collided: fine only within one type
        exact = {(type(k), k) for k in (_typed_key(s) if s[:1] == _MARK else s for s in plain)}
        if len(exact) != len(typed):
            raise _NotLiteralError("map keys of different types are equal in Python")
    return typed


def _bad_escape(text: str, start: int, end: int) -> bool:
    """A ``\\/`` or surrogate ``\\u`` escape: JSON reads them, Sentinel rejects them. A hit preceded
    by an odd run of backslashes is the tail of an escaped backslash (``"C:\\\\/"``), not an escape."""
    for m in _BAD_ESCAPE.finditer(text, start, end):
        i = m.start()
        while i > start and text[i - 1] == "\\":
            i -= 1
        if (m.start() - i) % 2 == 0:
            return True
    return False


def _too_deep(text: str, start: int, end: int) -> bool:
    """Deeper than the parser allows? The C decoder is bounded by the recursion limit on 3.11; with
    a raised limit (or a newer Python) count brackets, strings included, which errs on the safe side."""
    if _C_DEPTH_LIMITED and sys.getrecursionlimit() <= _RECURSION_LIMIT_SAFE:
        return False
    if text.count("[", start, end) + text.count("{", start, end) <= _MAX_NESTING:
        return False
    brackets = text[start:end].encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > _MAX_NESTING


_MAX_NESTING: Final = 998  # the parser accepts 999 nested brackets on the right of "x ="
_RECURSION_LIMIT_SAFE: Final = 1000  # the decoder, a few frames deep, then stops before 999
_C_DEPTH_LIMITED: Final = sys.version_info < (3, 12)
_NOT_BRACKET_BYTES: Final = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP: Final = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _scan(source: str, start: int, end: int) -> tuple[bool, bool]:
    """(raw surrogates?, a run of 19 digits?) in ``source[start:end]``, at memory-copy speed: strict
    UTF-8 encoding fails on surrogates, and a byte table turns digits into one byte value. Chunks
    overlap by 18 characters so that no digit run is cut; memory stays a few MB."""
    long_digits = False
    for low in range(start, end, _CHUNK):
        try:
            data = source[max(start, low - 18) : min(end, low + _CHUNK)].encode("utf-8")
        except UnicodeEncodeError:
            return True, long_digits
        if not long_digits:
            long_digits = _DIGIT_RUN in data.translate(_DIGITS_TO_ZERO)
    return False, long_digits


_CHUNK: Final = 1 << 20
_DIGITS_TO_ZERO: Final = bytes(b"0"[0] if b"0"[0] <= i <= b"9"[0] else b"x"[0] for i in range(256))
_DIGIT_RUN: Final = b"0" * 19


def _rare_rewrites(source: str, start: int, end: int) -> list[tuple[int, int, str]] | None:
    """Rewrites other than trailing commas, as sorted ``(start, end, replacement)``; ``None`` when a
    line starts with "," or ":" (the careful path reports that as not a literal)."""
    rare: list[tuple[int, int, str]] = []
    for head in _LINE_HEAD.finditer(source, start, end):
        if head["sep"] is not None:
            return None
        key = _INT_KEY.match(source, head.start(), end)
        if key is not None:  # v1 mocks: count indexes as map keys; others make the decoder fail
            rare.append((key.start(), key.end(), f'\n{key[1]}"{_MARK_JSON}i{key[2]}"'))
    if source.find("undefined", start, end) >= 0:
        rare += [
            (m.start(), m.end(), _UNDEFINED_JSON) for m in _UNDEFINED_AT_EOL.finditer(source, start, end)
        ]
    if source.find(_INT64_MIN_TEXT, start, end) >= 0:
        rare += [
            (m.start(), m.end(), _INT64_MIN_JSON) for m in _INT64_MIN_AT_EOL.finditer(source, start, end)
        ]
    rare.sort()
    return rare


def _translate(source: str, start: int, end: int, rare: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """``source[start:end]`` with trailing commas blanked and ``rare`` applied, plus the offsets of
    the rewritten ``undefined`` in the result.

    Built as ``" ".join`` of the pieces between trailing commas (list comprehensions, no Python loop
    per comma, no slice of the whole range); the few rare rewrites patch their pieces.
    """
    cuts = [m.start() for m in _TRAILING_COMMA.finditer(source, start, end)]
    lows = [start, *(cut + 1 for cut in cuts)]
    pieces = [source[low:high] for low, high in zip(lows, [*cuts, end], strict=True)]
    undefined: list[int] = []
    shift = -start  # result offset minus source offset, before the current rewrite
    i = 0
    while i < len(rare):
        index = bisect_right(cuts, rare[i][0])  # the piece holding this rewrite (none spans a comma)
        low = lows[index]
        high = cuts[index] if index < len(cuts) else end
        parts: list[str] = []
        last = low
        while i < len(rare) and rare[i][0] < high:
            begin, stop, replacement = rare[i]
            parts.append(source[last:begin])
            parts.append(replacement)
            if replacement is _UNDEFINED_JSON:
                undefined.append(begin + shift)
            shift += len(replacement) - (stop - begin)
            last, i = stop, i + 1
        parts.append(source[last:high])
        pieces[index] = "".join(parts)
    return " ".join(pieces), undefined


class _Constants:
    """``parse_constant`` hook: ``-Infinity`` stands for ``undefined``. Calls are counted, because a
    ``-Infinity`` in the source (an expression in Sentinel) must not pass for one."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, name: str) -> Value:
        if name != _UNDEFINED_JSON:
            raise _NotLiteralError(name)  # NaN and Infinity are identifiers in Sentinel
        self.calls += 1
        return UNDEFINED


def _decode_range(source: str, start: int, end: int) -> Value | NotLiteral:
    """Decode ``source[start:end]`` (a whole right-hand side) via its fast-path translation."""
    pos = _BLANKS.match(source, start, end).end()
    if pos >= end:
        return NOT_LITERAL
    rare = _rare_rewrites(source, pos, end)
    if rare is None or _bad_escape(source, pos, end):
        return _careful(source, start, end)
    surrogates, long_digits = _scan(source, pos, end)
    if surrogates:
        return _careful(source, start, end)
    text, undefined = _translate(source, pos, end, rare)
    constants = _Constants()
    decoder = json.JSONDecoder(
        parse_constant=constants,
        parse_float=_finite_float,
        parse_int=_int64 if long_digits else None,
        object_pairs_hook=_typed_pairs if any(r[2][-1] == '"' for r in rare) else None,
    )
    try:
        value, stop = decoder.raw_decode(text)
    except (ValueError, RecursionError):
        return _careful(source, start, end)
    if _TRAILER.match(text, stop).end() != len(text):
        return _careful(source, start, end)
    # Every rewritten undefined inside the value was decoded (the decoder saw no comment there), so
    # one call more means a -Infinity of the source itself.
    if constants.calls != sum(1 for at in undefined if at < stop):
        return _careful(source, start, end)
    if _too_deep(text, 0, stop):
        return NOT_LITERAL
    return value


# --- careful path ------------------------------------------------------------------------------------

# Every match: a run of tokens JSON reads exactly as Sentinel does, then one rare token (or the end).
# Possessive quantifiers keep the regex linear; the catch-all "bad" makes every position match, so
# matches tile the text and never start inside a string.
_TILE = re.compile(
    r"""
    (?P<ok>(?:
        [ \t\r\n\[\]{}:]++
      | ,(?![ \t\r\n]*+[\]}\#/])
      | "(?:[^"\\\x00-\x1f\ud800-\udfff]++|\\["\\bfnrt]|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4})*+"
      | -?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?(?![\w.]|[ \t\r]*+[:/\#])
      | (?:null|true|false)(?!\w|[ \t\r]*+[:/\#])
    )*+)
    (?:
        (?P<comma>,)
      | (?P<str>"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")
      | (?P<raw>`[^`]*+`)
      | (?P<line_comment>(?:\#|//)[^\n]*+)
      | (?P<block_comment>/\*(?s:.*?)\*/)
      | (?P<num>-?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|0[xX]\w*|[0-9]+))
      | (?P<word>[^\W\d]\w*+)
      | (?P<min>\([ \t]*-[ \t]*9223372036854775807[ \t]*-[ \t]*1[ \t]*\))
      | (?P<bad>[\s\S])
      | \Z
    )
    """,
    re.VERBOSE,
)
_AFTER_COMMA = re.compile(r"(?:[ \t\r\n]++|(?:\#|//)[^\n]*+|/\*(?s:.*?)\*/)*+(?P<close>[\]}])?")
_KEY_AFTER = re.compile(r"(?:[ \t\r]++|/\*[^\n]*?\*/)*+:")
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))"
)
_SIMPLE_ESCAPES: Final = {
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "v": b"\v",
    "\\": b"\\",
    '"': b'"',
}
_BLANK_CHARS: Final = " \t\r\n"


def _go_string(body: str) -> str:
    """Decode a double-quoted string body as the scanner does (Go escapes, bytes via surrogateescape)."""
    if "\\" not in body:
        return body
    parts: list[bytes] = []
    last = 0
    for m in _ESCAPE.finditer(body):
        if "\\" in body[last : m.start()]:
            raise _NotLiteralError("unknown escape sequence")
        parts.append(body[last : m.start()].encode("utf-8", "surrogateescape"))
        last = m.end()
        simple, hex2, octal, u4, u8 = m.groups()
        if simple is not None:
            parts.append(_SIMPLE_ESCAPES[simple])
        elif hex2 is not None:
            parts.append(bytes((int(hex2, 16),)))
        elif octal is not None:
            if int(octal, 8) > 255:
                raise _NotLiteralError("octal escape value > 255")
            parts.append(bytes((int(octal, 8),)))
        else:
            code = int(u4 if u4 is not None else u8, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _NotLiteralError("escape is not a Unicode code point")
            parts.append(chr(code).encode("utf-8"))
    if "\\" in body[last:]:
        raise _NotLiteralError("unknown escape sequence")
    parts.append(body[last:].encode("utf-8", "surrogateescape"))
    return b"".join(parts).decode("utf-8", "surrogateescape")


def _number(token: str) -> int | float:
    negative = token.startswith("-")
    body = token[1:] if negative else token
    if body[:2] in ("0x", "0X"):
        value: int | float = int(body[2:], 16)  # ValueError (no or bad digits) means not a literal
    elif "." in body or "e" in body or "E" in body:
        value = float(body)
        if value == _INF:
            raise _NotLiteralError(token)
    elif body[0] == "0" and len(body) > 1:
        value = int(body, 8)  # ValueError for 8 and 9
    else:
        value = int(body)
    if negative:
        value = -value
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        raise _NotLiteralError(token)
    return value


_INF: Final = float("inf")


class _Tiler:
    """The ``re.sub`` callback of the careful path, with the state trailing commas need."""

    __slots__ = ("after_value", "newline", "text", "typed")

    def __init__(self, text: str) -> None:
        self.text = text
        self.typed = False  # emitted a marked key: decode with the hook
        self.after_value = False  # last significant token ended a value (before the current match)
        self.newline = False  # a line break since then

    def _state_before(self, m: re.Match[str], at: int) -> tuple[bool, bool]:
        text, lo, i = self.text, m.start(), at
        while i > lo and text[i - 1] in _BLANK_CHARS:
            i -= 1
        if i > lo:
            return text[i - 1] not in "[{,:", "\n" in text[i:at]
        return self.after_value, self.newline or "\n" in text[lo:at]

    def _key_or(self, m: re.Match[str], key: str, value: str) -> str:
        if _KEY_AFTER.match(self.text, m.end()):
            self.typed = True
            return f'"{_MARK_JSON}{key}"'
        return value

    def __call__(self, m: re.Match[str]) -> str:
        kind = m.lastgroup
        if kind == "ok" or kind is None:  # the end of the text
            return m.group()
        token = m.group(kind)
        after_value, newline = self._state_before(m, m.start(kind))
        self.after_value, self.newline = True, False
        if kind == "str":
            value = _go_string(token[1:-1])
            if _MARK in value:  # only a raw U+DFFF in the text (surrogatepass) gets here
                raise _NotLiteralError(token)
            out = json.dumps(value)
        elif kind == "num":
            if self.text[m.end() : m.end() + 1] in _WORD_OR_DOT:
                raise _NotLiteralError(token)
            number = _number(token)
            tag = "i" if type(number) is int else "f"
            out = self._key_or(m, f"{tag}{number!r}", repr(number))
        elif kind == "word":
            if token in ("true", "false"):
                out = self._key_or(m, "b" + token[0], token)
            elif token == "null":
                out = "null"
            elif token == "undefined":
                out = "NaN"
            else:
                raise _NotLiteralError(token)
        elif kind == "comma":
            if _AFTER_COMMA.match(self.text, m.end())["close"] is None:
                out, self.after_value = ",", False
            elif after_value and not newline:
                out = " "  # trailing comma
            else:
                raise _NotLiteralError("comma without an element before it")
        elif kind == "raw":
            out = json.dumps(token[1:-1].replace("\r", ""))
        elif kind == "line_comment" or kind == "block_comment":
            out = "\n" if "\n" in token else " "
            self.after_value, self.newline = after_value, newline or out == "\n"
        elif kind == "min":
            out = self._key_or(m, f"i{INT64_MIN}", str(INT64_MIN))
        else:
            raise _NotLiteralError(token)
        return m.group("ok") + out


_WORD_OR_DOT: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _careful_constant(name: str) -> Value:
    if name == "NaN":  # the careful translation of undefined; a NaN in the source is an identifier
        return UNDEFINED
    raise _NotLiteralError(name)


def _careful(source: str, start: int, end: int) -> Value | NotLiteral:
    """Token-exact translation of ``source[start:end]`` to JSON; slower, for unusual literals."""
    text = source[start:end]
    if "`" not in text:  # the newline trailing-comma rewrite is safe without raw strings
        text = _TRAILING_COMMA.sub(" ", text)
    tiler = _Tiler(text)
    try:
        out = _TILE.sub(tiler, text)
    except (ValueError, UnicodeError):  # _NotLiteralError, bad digits, undecodable escapes
        return NOT_LITERAL
    if _LINE_SEP.search(out):
        return NOT_LITERAL
    decoder = json.JSONDecoder(
        parse_constant=_careful_constant,
        parse_float=_finite_float,
        object_pairs_hook=_typed_pairs if tiler.typed else None,
    )
    try:
        value = decoder.decode(out)
    except (ValueError, RecursionError):
        return NOT_LITERAL
    if _too_deep(out, 0, len(out)):
        return NOT_LITERAL
    return value


# --- splitting -------------------------------------------------------------------------------------

# A line that starts with something other than blanks or a closing bracket: maybe a statement.
_LINE_START = re.compile(r"\n(?=[^\t \r\n\]})])")
# Line-local scan to classify a backtick or "/*": inside a string or comment, or a token that may span
# lines. Line starts outside such tokens are outside strings, since "..." cannot contain a line break.
_SCAN_LINE = re.compile(
    r"""
      [^"`\#/\n]++
    | "[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"
    | (?:\#|//)[^\n]*+
    | (?P<long>`[^`]*+`|/\*(?s:.*?)\*/)
    | (?P<open>/\*)
    | /
    | (?P<nl>\n)
    """,
    re.VERBOSE,
)
# A whole line (or the rest of the text) of plain characters and complete strings: nothing on it
# can open a raw string or a comment.
_PLAIN_LINE = re.compile(r'(?:[^"`#/\n]++|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|/(?![/*]))*+(?:\n|\Z)')
# Tokens precise enough to check that a statement is balanced and ends where its segment ends.
_STMT_TOKEN = re.compile(
    r"""
      [ \t\r\n]++
    | (?:\#|//)[^\n]*+
    | /\*(?s:.*?)\*/
    | (?P<value>"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|`[^`]*+`|\.?[0-9][\w.]*+)
    | (?P<word>[^\W\d]\w*+)
    | (?P<open>[(\[{])
    | (?P<close>[)\]}])
    | (?P<semi>;)
    | (?P<bad>/\*|["`])
    | (?P<op>[-+*/%=!<>,.:])
    """,
    re.VERBOSE,
)
_ASSIGN = re.compile(r"([^\W\d]\w*+)[ \t]*+=(?!=)")
_KEYWORD_AT = re.compile(r"(import|param|else)(?!\w)")
_LITERAL_START = re.compile(r"[ \t\r\n]*+(?:[\[{\"`(.\-0-9]|(?:true|false|null|undefined)(?!\w))")
_PREDECLARED: Final = frozenset({"true", "false", "null", "undefined"})
# Any binding of a predeclared constant at module scope changes what literals mean (conservative).
_SHADOW = re.compile(
    r"(?<![\w.])(?:true|false|null|undefined)[ \t]*+[-+*/%]?=(?!=)"
    r"|(?<![\w.])(?:func|param|as)[ \t]++(?:true|false|null|undefined)(?!\w)"
)
_RESERVED: Final = frozenset(
    "all any as break case continue default defined else empty filter for func if import map param "
    "return rule when and contains in is matches not or xor".split()
)
_ENDING_WORDS: Final = frozenset({"break", "continue", "return", "empty", "defined"})


def _long_tokens(source: str, begin: int) -> list[tuple[int, int]] | None:
    """Spans of raw strings and block comments that cross a line break, found by scanning only the
    lines with a backtick or "/*"; ``None`` if something on them is unterminated."""
    spans: list[tuple[int, int]] = []
    find, size, pos = source.find, len(source), begin
    tick, slash = find("`", pos), find("/*", pos)  # next occurrences, searched again once passed
    while tick >= 0 or slash >= 0:
        hit = slash if tick < 0 else tick if slash < 0 else min(tick, slash)
        p = max(pos, source.rfind("\n", 0, hit) + 1)  # a line start outside any token
        plain = _PLAIN_LINE.match(source, p)  # the usual case: the hit is inside a string
        if plain is not None:
            p = plain.end()  # past the hit: plain lines hold backticks and "/*" only in strings
        while p < size and plain is None:
            m = _SCAN_LINE.match(source, p)
            if m is None or m.lastgroup == "open":
                return None
            p = m.end()
            if m.lastgroup == "nl":
                break
            if m.lastgroup == "long" and "\n" in m.group():
                spans.append((m.start(), p))
        pos = p
        if 0 <= tick < pos:
            tick = find("`", pos)
        if 0 <= slash < pos:
            slash = find("/*", pos)
    return spans


def _closed(source: str, start: int, end: int) -> bool:
    """Is ``source[start:end]`` balanced, and does a line break after it end the statement?"""
    depth, ends, after_dot, pos = 0, True, False, start
    while pos < end:
        m = _STMT_TOKEN.match(source, pos, end)
        if m is None:
            return False
        pos = m.end()
        kind = m.lastgroup
        if kind is None:  # blanks and comments
            continue
        if kind == "open":
            depth, ends = depth + 1, False
        elif kind == "close":
            depth, ends = depth - 1, True
            if depth < 0:
                return False
        elif kind == "word":
            word = m.group()
            ends = after_dot or word not in _RESERVED or word in _ENDING_WORDS
        elif kind == "bad":
            return False
        else:
            ends = kind != "op"
        after_dot = kind == "op" and m.group() == "."
    return depth == 0 and ends


def _whole(source: str) -> Segment:
    return Segment(0, len(source), 1, "module", source=source)


def split_module(source: str) -> list[Segment]:
    """Top-level statements of a module, cheaply: a statement starts at column 0 with a letter.

    Lines inside multi-line raw strings and block comments are skipped, ``else`` never starts one,
    and every segment is checked to be a balanced, finished statement, except assignments whose
    right-hand side looks like a literal (``verified=False``): decoding proves those. When the text
    is not in that shape, the result is one ``"module"`` segment for the full parser.
    """
    size = len(source)
    begin = 1 if source.startswith("\ufeff") else 0
    spans = _long_tokens(source, begin)
    if spans is None:
        return [_whole(source)]
    starts: list[int] = []
    span_i = 0
    candidates = [m.end() for m in _LINE_START.finditer(source, begin)]
    if begin < size and source[begin] not in "\t \r\n]})":
        candidates.insert(0, begin)
    for p in candidates:
        first = source[p]
        if not (first == "_" or first.isalpha()):
            continue
        while span_i < len(spans) and spans[span_i][1] <= p:
            span_i += 1
        if span_i < len(spans) and spans[span_i][0] < p:
            continue  # inside a multi-line raw string or comment
        keyword = _KEYWORD_AT.match(source, p)
        if keyword is not None and keyword[1] == "else":
            continue  # "} else {" split over lines: part of the statement above
        starts.append(p)
    if starts and starts[0] == begin:
        starts[0] = 0  # a byte order mark belongs to the first statement
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(size)
    segments: list[Segment] = []
    line = 1
    for start, end in pairwise(starts):
        line += source.count("\n", segments[-1].start if segments else 0, start)
        segment = _classify(source, start, end, line, begin)
        if segment.verified and not _closed(source, max(start, begin), end):
            return [_whole(source)]
        segments.append(segment)
    return segments


def _classify(source: str, start: int, end: int, line: int, begin: int) -> Segment:
    head = max(start, begin)
    keyword = _KEYWORD_AT.match(source, head, end)
    if keyword is not None and keyword[1] != "else":
        return Segment(start, end, line, keyword[1], source=source)  # type: ignore[arg-type]
    assign = _ASSIGN.match(source, head, end)
    if assign is not None and assign[1] not in _RESERVED:
        value_start = assign.end()
        looks_literal = _LITERAL_START.match(source, value_start, end) is not None
        return Segment(
            start, end, line, "assign", assign[1], value_start, verified=not looks_literal, source=source
        )
    if _TRAILER.match(source, head, end).end() == end:
        return Segment(start, end, line, "comment", source=source)
    return Segment(start, end, line, "statement", source=source)


def load_literals(source: str, filename: str) -> FastModule:
    """Bind the literal-only top-level assignments of a module; everything else goes to ``rest``.

    Imports and params must precede other statements and no predeclared constant may be rebound;
    otherwise, or when the split cannot be proven, the whole file is one ``rest`` segment.
    """
    whole = FastModule(filename, source, {}, [], [_whole(source)])
    segments = split_module(source)
    if not segments[0].fast or not _plain_module(segments):
        return whole
    module = FastModule(filename, source, {}, [], [])
    with _gc_paused():
        for segment in segments:
            if segment.kind == "assign" and not segment.verified:
                value = _decode_range(source, segment.value_start, segment.end)
                if value is not NOT_LITERAL:
                    if segment.name in module.values:
                        module.rest.append(segment)  # a second binding runs as a statement, in order
                    else:
                        module.values[segment.name] = value
                        module.literals.append(segment)
                    continue
                if not _closed(source, segment.start, segment.end) or _SHADOW.search(
                    source, segment.start, segment.end
                ):
                    return whole
            module.rest.append(segment)
    return module


def _plain_module(segments: list[Segment]) -> bool:
    """Imports and params first, and no rebinding of true/false/null/undefined in verified text."""
    statements = False
    for segment in segments:
        if segment.kind in ("import", "param"):
            if statements:
                return False
        elif segment.kind != "comment":
            statements = True
        if segment.kind == "assign" and segment.name in _PREDECLARED:
            return False
        if segment.verified and _SHADOW.search(segment.source, segment.start, segment.end):
            return False
    return True
