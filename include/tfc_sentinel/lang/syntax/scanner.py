"""Scanner: Sentinel source text → token arrays, with automatic semicolons.

Speed matters because mock files are multi-MB literal maps. One compiled master regex matches the
leading blanks plus one token per step (``finditer`` runs in C), and the result is three parallel
lists (kinds, values, offsets) instead of one object per token: the parser reads them by index, which
also gives it free lookahead. Literal values are converted here, once: ints to Python ints (not
wrapped; the evaluator wraps to int64), floats to floats, strings to their decoded value.

String values are Python ``str``. Sentinel strings are byte sequences, and ``\\xHH`` and ``\\ooo``
escapes can produce bytes that are not UTF-8; such bytes are kept as lone surrogates U+DC80–U+DCFF,
the ``surrogateescape`` convention, so ``value.encode("utf-8", "surrogateescape")`` gives the exact
bytes back (``length()`` counts those bytes). Valid UTF-8 is decoded normally, so ``"\\xc3\\xbf"``
equals ``"ÿ"``, as the spec requires.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from itertools import accumulate
from typing import NamedTuple

from .errors import SentinelSyntaxError, Source
from .tokens import AUTO_SEMI, CONST, EOF, FLOAT, IDENT, INT, RESERVED, SEMI, STRING

# Token alternatives, most frequent in literal-heavy mocks first. "/" is an operator only when no
# comment starts there; "." before a digit starts a float; float is tried before int.
_ALTERNATIVES = r"""
     (?P<op{n}>[-+*%=!<>]=?|/(?![/*])=?|[()\[\]{{}},:;]|\.(?![0-9]))
    |(?P<str{n}>"([^"\\\n]*(?:\\.[^"\\\n]*)*)")
    |(?P<word{n}>[^\W\d]\w*)
    |(?P<float{n}>(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
    |(?P<int{n}>0[xX]\w*|[0-9]+)
    |(?P<lcomment{n}>(?:\#|//)[^\n]*)
    |(?P<bcomment{n}>/\*(?s:.*?)\*/)
    |(?P<raw{n}>`[^`]*`)
    |(?P<eof{n}>\Z)
    |(?P<bad{n}>[\s\S])
"""
# One match = blanks + one token. The alternatives appear twice: the first copy matches a token after
# a line break, the second a token on the same line, so the group number (``lastindex``) also says
# whether a semicolon may be due, at no extra cost per token.
_TOKEN = re.compile(
    r"[ \t\r]*(?:\n[ \t\r\n]*(?:"
    + _ALTERNATIVES.format(n="_nl")
    + r")|(?:"
    + _ALTERNATIVES.format(n="")
    + "))",
    re.VERBOSE,
)
_G = _TOKEN.groupindex
_SHIFT = _G["op"] - _G["op_nl"]  # group numbers of the same-line copy = newline copy + _SHIFT
_OP, _STR, _WORD, _FLOAT, _INT = _G["op"], _G["str"], _G["word"], _G["float"], _G["int"]
_LCOMMENT, _BCOMMENT, _RAW, _EOF = _G["lcomment"], _G["bcomment"], _G["raw"], _G["eof"]

# Operator text → (kind, value, may a line break after it end a statement, is it ".", may it open a
# literal, change of bracket depth). Kinds are the canonical interned strings, so the parser compares
# against one object.
_OP_INFO = {
    op: (
        op,
        ";" if op == ";" else None,
        op in (")", "]", "}"),
        op == ".",
        op in ("{", "["),
        1 if op in "([{" else -1 if op in ")]}" else 0,
    )
    for op in "+ - * / % += -= *= /= %= == != < <= > >= = ! ( ) [ ] { } , . : ;".split()
}
_SEMI_WORDS = frozenset({"break", "continue", "return", "empty", "defined"})
_WORDS = {w: w for w in RESERVED}

_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))"
)
_SIMPLE_ESCAPES = {
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


class Token(NamedTuple):
    """One token, for tests and tooling; the parser uses the parallel arrays of :func:`scan`."""

    kind: str
    value: object
    offset: int


class Tokens(NamedTuple):
    """Parallel arrays: ``kinds[i]``, ``values[i]`` and ``offsets[i]`` describe token ``i``.

    The last token is always ``EOF``. Values: identifier name, decoded literal, ``AUTO_SEMI`` or
    ``";"`` for semicolons, ``None`` for everything else.
    """

    kinds: list[str]
    values: list[object]
    offsets: list[int]


def scan(source: Source, *, fast_literals: bool = False, max_depth: int = 1000) -> Tokens:
    """Tokenize ``source``; raise :class:`SentinelSyntaxError` at the first lexical error.

    With ``fast_literals``, a ``{`` or ``[`` that starts an operand (after ``=``, ``:``, ``,``, ``(``,
    ``[``, ``{``, ``default`` or ``return``) is first offered to :class:`_JsonView`; when the whole
    literal is plain data it becomes one ``CONST`` token whose value is the decoded Python data.
    """
    text = source.text
    kinds: list[str] = []
    values: list[object] = []
    offsets: list[int] = []
    kind_append, value_append, offset_append = kinds.append, values.append, offsets.append
    op_info, words, reserved, finditer = _OP_INFO, _WORDS, RESERVED, _TOKEN.finditer
    literals = _JsonView(text, max_depth) if fast_literals else None
    semi = False  # would a line break here end the statement?
    depth = 0  # open brackets, to keep decoded literals within max_depth
    after_dot = False  # a word right after "." is a selector name, even if it is a keyword
    resume = 1 if text.startswith("\ufeff") else 0
    while resume >= 0:
        start, resume = resume, -1
        for m in finditer(text, start):
            g = t = m.lastindex  # g: group to read; t: token type (a same-line group number)
            if g <= _SHIFT:  # the token follows a line break
                t = g + _SHIFT
                if semi:
                    kind_append(SEMI)
                    value_append(AUTO_SEMI)
                    offset_append(text.index("\n", m.start()))
                    semi = False
            if t == _OP:
                op = m.group(g)
                kind, value, semi, after_dot, opens, step = op_info[op]
                if opens and literals is not None and kinds and kinds[-1] in _CONST_AFTER:
                    found = literals.decode(m.start(g), depth)
                    if found is not None:
                        kind_append(CONST)
                        value_append(found[0])
                        offset_append(m.start(g))
                        semi, resume = True, found[1]
                        break  # restart the scan after the literal
                kind_append(kind)
                value_append(value)
                offset_append(m.start(g))
                depth += step
            elif t == _STR:
                body = m.group(g + 1)
                pos = m.start(g)
                kind_append(STRING)
                value_append(_unescape(source, body, pos + 1) if "\\" in body else body)
                offset_append(pos)
                semi = True
                after_dot = False
            elif t == _WORD:
                word = m.group(g)
                if after_dot or word not in reserved:
                    kind_append(IDENT)
                    value_append(word)
                    semi = True
                else:
                    kind_append(words[word])
                    value_append(None)
                    semi = word in _SEMI_WORDS
                offset_append(m.start(g))
                after_dot = False
            elif t == _INT:
                pos = m.start(g)
                kind_append(INT)
                value_append(_int_value(source, m.group(g), pos))
                offset_append(pos)
                semi = True
                after_dot = False
            elif t == _FLOAT:
                pos = m.start(g)
                value = float(m.group(g))
                if value == _INF:
                    raise SentinelSyntaxError.at(source, pos, "floating-point literal out of range")
                kind_append(FLOAT)
                value_append(value)
                offset_append(pos)
                semi = True
                after_dot = False
            elif t == _LCOMMENT:
                pass
            elif t == _BCOMMENT:
                if semi and "\n" in m.group(g):  # a multi-line comment acts like a line break
                    kind_append(SEMI)
                    value_append(AUTO_SEMI)
                    offset_append(m.start(g))
                    semi = False
            elif t == _RAW:
                pos = m.start(g)
                kind_append(STRING)
                value_append(m.group(g)[1:-1].replace("\r", ""))  # Go drops CR from raw strings
                offset_append(pos)
                semi = True
                after_dot = False
            elif t == _EOF:
                pos = m.start(g)
                if semi:
                    kind_append(SEMI)
                    value_append(AUTO_SEMI)
                    offset_append(pos)
                kind_append(EOF)
                value_append(None)
                offset_append(pos)
                break
            else:
                _bad_character(source, text, m.start(g))
    return Tokens(kinds, values, offsets)


class _JsonView:
    """Decodes plain-data literals with the C JSON decoder; the fast path for multi-MB mocks.

    JSON and Sentinel agree on strings (delimiters, and escapes the JSON decoder accepts, except
    ``\\/`` and surrogate ``\\u`` escapes, checked after decoding), on ``true false null``, and on
    decimal numbers; everything else Sentinel has (comments, ``undefined``, int keys, octal, ``.5``,
    Go-only escapes, expressions) makes the decoder fail, and the caller falls back to tokens. The one
    translation is trailing commas: a comma followed by a line break and a closing bracket becomes a
    space, which keeps offsets equal. A comma before a raw line break cannot be inside a string.
    Line breaks matter in Sentinel only where an inserted semicolon would meet "," or ":", which
    means a line starting with one of them: such literals go the token path too.

    Failed attempts must stay cheap, since the scanner may retry at every nested opener: an obvious
    non-JSON start is rejected by a regex; decoding runs on a window that grows 8-fold only when the
    literal is cut off (``JSONDecodeError`` counts lines from the start of its document); only openers
    at most ``_MAX_ATTEMPT_DEPTH`` brackets deep are tried; and when the characters decoded in vain
    exceed twice the file, the fast path turns itself off. The total cost thus stays linear.
    """

    __slots__ = ("_json", "max_depth", "text", "wasted")

    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self._json: str | None = None
        self.wasted = 0

    def decode(self, pos: int, depth: int) -> tuple[object, int] | None:
        """``(value, end offset)`` of the plain-data literal starting at ``pos`` inside ``depth``
        open brackets, or ``None``."""
        text = self.text
        if depth > _MAX_ATTEMPT_DEPTH or self.wasted > 2 * len(text) + _FIRST_WINDOW:
            return None
        if self._json is None:
            self._json = _TRAILING_COMMA.sub(" ", text)
        data = self._json
        if not _JSON_START.match(data, pos):
            return None
        size = len(data)
        width = _FIRST_WINDOW
        while True:
            stop = pos + width
            window = data[pos:stop]
            try:
                value, end = _DECODER.raw_decode(window)
                break
            except json.JSONDecodeError as exc:
                if stop < size and (exc.pos >= len(window) - 16 or exc.msg.startswith("Unterminated string")):
                    width *= 8  # cut off by the window: try again with more
                    continue
                self.wasted += exc.pos
                return None
            except (ValueError, RecursionError):  # hooks (NaN, 1e999), too many digits, too deep
                self.wasted += len(window)
                return None
        end += pos
        if text.find("\\", pos, end) >= 0 and (
            text.find("\\/", pos, end) >= 0 or _SURROGATE_ESCAPE.search(text, pos, end)
        ):
            return None
        if (
            _EMPTY_MAP_ELEMENT.search(text, pos, end)  # "{" or "[" then ",": the translation hides it
            or _EMPTY_LIST_ELEMENT.search(text, pos, end)
            or _LINE_STARTS_WITH_SEPARATOR.search(text, pos, end)  # a semicolon would end the line before
        ):
            return None
        # Keep data within max_depth like the parser. Python 3.11's C decoder cannot nest deeper
        # than the recursion limit, so common cases need no check; otherwise count brackets (also
        # those inside strings: it errs on the safe side).
        allowed = self.max_depth - depth
        if (_C_DEPTH_LIMITED and sys.getrecursionlimit() <= allowed) or text.count(
            "[", pos, end
        ) + text.count("{", pos, end) <= allowed:
            return value, end
        return (value, end) if _nesting(text, pos, end) <= allowed else None


def _nesting(text: str, start: int, end: int) -> int:
    """Deepest bracket nesting in ``text[start:end]``, at C speed (about 2 ms per MB)."""
    brackets = text[start:end].encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_BYTES)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Build a decoded map; duplicate keys go the token path, so the AST keeps every entry."""
    value = dict(pairs)
    if len(value) < len(pairs):
        raise ValueError("duplicate key")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(name)  # NaN and Infinity are identifiers in Sentinel


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise ValueError(text)  # the scanner reports the error with its position
    return value


_INF = float("inf")
_CONST_AFTER = frozenset({"=", "+=", "-=", "*=", "/=", "%=", ":", ",", "(", "[", "{", "default", "return"})
_TRAILING_COMMA = re.compile(r",(?=[ \t\r]*\n[ \t\r\n]*[\]}])")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_EMPTY_MAP_ELEMENT = re.compile(r"\{[ \t\r\n]*,")  # two patterns: a literal first character
_EMPTY_LIST_ELEMENT = re.compile(r"\[[ \t\r\n]*,")  # lets the regex engine search fast
_LINE_STARTS_WITH_SEPARATOR = re.compile(r"\n[ \t\r\n]*[,:]")
_JSON_START = re.compile(r'\{[ \t\r\n]*["}]|\[[ \t\r\n]*[-"\[\]{0-9tfn]')
_FIRST_WINDOW = 4096
_MAX_ATTEMPT_DEPTH = 64
_NOT_BRACKET_BYTES = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_C_DEPTH_LIMITED = sys.version_info < (3, 12)  # later versions have a separate, fixed C limit
_DECODER = json.JSONDecoder(
    strict=True, parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
)


def tokenize(text: str, filename: str = "<input>") -> Iterator[Token]:
    """Yield :class:`Token` tuples for ``text``, ending with ``EOF`` (convenient in tests)."""
    kinds, values, offsets = scan(Source(text, filename))
    return map(Token, kinds, values, offsets)


def _int_value(source: Source, text: str, pos: int) -> int:
    try:
        if text[0] != "0" or len(text) == 1:
            return int(text)
        if text[1] in "xX":
            if len(text) == 2:
                raise SentinelSyntaxError.at(source, pos, "hexadecimal literal has no digits")
            return int(text[2:], 16)
        for index, ch in enumerate(text):
            if ch in "89":
                raise SentinelSyntaxError.at(source, pos + index, f"invalid digit {ch!r} in octal literal")
        return int(text, 8)
    except ValueError:
        # Bad hex digits, or more digits than Python converts (sys.get_int_max_str_digits).
        if text[:2] in ("0x", "0X"):
            bad = next((i for i, ch in enumerate(text[2:], 2) if ch not in "0123456789abcdefABCDEF"), 2)
            if bad < len(text):
                raise SentinelSyntaxError.at(
                    source, pos + bad, f"invalid character {text[bad]!r} in hexadecimal literal"
                ) from None
        raise SentinelSyntaxError.at(source, pos, "integer literal too large") from None


def _unescape(source: Source, body: str, pos: int) -> str:
    """Decode Go escapes in a string body that starts at offset ``pos``."""
    parts: list[bytes] = []
    last = 0
    for m in _ESCAPE.finditer(body):
        if m.start() != last:
            _check_no_backslash(source, body, last, m.start(), pos)
            parts.append(_utf8(source, body[last : m.start()], pos + last))
        last = m.end()
        simple, hex2, octal, u4, u8 = m.groups()
        if simple is not None:
            parts.append(_SIMPLE_ESCAPES[simple])
        elif hex2 is not None:
            parts.append(bytes((int(hex2, 16),)))
        elif octal is not None:
            value = int(octal, 8)
            if value > 255:
                raise SentinelSyntaxError.at(source, pos + m.start(), "octal escape value > 255")
            parts.append(bytes((value,)))
        else:
            code = int(u4 if u4 is not None else u8, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise SentinelSyntaxError.at(
                    source, pos + m.start(), "escape sequence is an invalid Unicode code point"
                )
            parts.append(chr(code).encode("utf-8"))
    _check_no_backslash(source, body, last, len(body), pos)
    parts.append(_utf8(source, body[last:], pos + last))
    return b"".join(parts).decode("utf-8", "surrogateescape")


def _check_no_backslash(source: Source, body: str, start: int, end: int, pos: int) -> None:
    index = body.find("\\", start, end)
    if index >= 0:
        raise SentinelSyntaxError.at(source, pos + index, "unknown escape sequence")


def _utf8(source: Source, text: str, pos: int) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise SentinelSyntaxError.at(source, pos + exc.start, "invalid character in string literal") from None


def _bad_character(source: Source, text: str, pos: int) -> None:
    ch = text[pos]
    if ch == '"':
        message = "string literal not terminated"
    elif ch == "`":
        message = "raw string literal not terminated"
    elif text.startswith("/*", pos):
        message = "comment not terminated"
    else:
        message = f"unexpected character {ch!r}"
    raise SentinelSyntaxError.at(source, pos, message)
