"""A tiny, strict reader for the Sentinel subset the mock writer emits (tests only).

There is no Sentinel engine in the project yet, so tests read the generated text back with this and
compare values. It follows the real lexical rules that matter for literals: Go string escapes, ints vs
floats, and *automatic semicolons* after a line ending in a literal, identifier, ``)``, ``]`` or ``}``
-- which is why every element of a multi-line map or list must end with a comma. Functions are kept
as source text; ``a.b.c`` right-hand sides are kept as ``Alias`` objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED

_TOKEN = re.compile(
    r"""
    (?P<newline>\n)
  | (?P<space>[ \t\r]+)
  | (?P<comment>(?:\#|//)[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<float>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>0[xX][0-9a-fA-F]+|\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}\[\]():,.=\-+!<>])
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}
_ENDS_STATEMENT = {"string", "float", "int", "ident"}


class SentinelSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Alias:
    """A right-hand side like ``_modules.root.resources``."""

    path: str


@dataclass(frozen=True)
class Function:
    """A ``func(...) { ... }`` value, kept as its source text."""

    params: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def _decode_string(literal: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if len(code) == 3 and code.isdigit():
            return chr(int(code, 8))
        raise SentinelSyntaxError(f"unknown escape \\{code}")

    return _ESCAPE.sub(replace, literal[1:-1])


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            raise SentinelSyntaxError(f"unexpected character {source[pos]!r} at offset {pos}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "newline":
            last = tokens[-1] if tokens else None
            if last and (last.kind in _ENDS_STATEMENT or last.text in (")", "]", "}")):
                tokens.append(Token(";", ";", pos))
        elif kind not in ("space", "comment"):
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token(";", ";", pos))
    tokens.append(Token("eof", "", pos))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None, kind: str | None = None) -> Token:
        token = self.tokens[self.i]
        if (text is not None and token.text != text) or (kind is not None and token.kind != kind):
            want = text or kind
            raise SentinelSyntaxError(f"expected {want!r}, got {token.text!r} at offset {token.pos}")
        self.i += 1
        return token

    def module(self) -> tuple[list[str], dict[str, Any]]:
        imports: list[str] = []
        names: dict[str, Any] = {}
        while self.peek().kind != "eof":
            if self.peek().kind == ";":
                self.i += 1
                continue
            if self.peek().text == "import":
                self.i += 1
                imports.append(_decode_string(self.take(kind="string").text))
                self.take(";")
                continue
            name = self.take(kind="ident").text
            self.take("=")
            if name in names:
                raise SentinelSyntaxError(f"{name} assigned twice")
            names[name] = self.rhs()
            self.take(";")
        return imports, names

    def rhs(self) -> Any:
        token = self.peek()
        if token.text == "func":
            return self.function()
        if token.kind == "ident" and token.text not in ("true", "false", "null", "undefined"):
            parts = [self.take(kind="ident").text]
            while self.peek().text == ".":
                self.i += 1
                parts.append(self.take(kind="ident").text)
            return Alias(".".join(parts))
        return self.value()

    def function(self) -> Function:
        start = self.take("func").pos
        self.take("(")
        params: list[str] = []
        while self.peek().text != ")":
            params.append(self.take(kind="ident").text)
            if self.peek().text == ",":
                self.i += 1
        self.take(")")
        self.take("{")
        depth = 1
        while depth:
            token = self.tokens[self.i]
            if token.kind == "eof":
                raise SentinelSyntaxError("unterminated function body")
            depth += {"{": 1, "}": -1}.get(token.text, 0)
            self.i += 1
        end = self.tokens[self.i - 1].pos + 1
        return Function(tuple(params), self.source[start:end])

    def value(self) -> Any:
        token = self.peek()
        if token.text == "{":
            return self.container("{", "}", is_map=True)
        if token.text == "[":
            return self.container("[", "]", is_map=False)
        if token.text == "(":
            # Only form emitted: (-9223372036854775807 - 1) for int64's minimum.
            self.take("(")
            self.take("-")
            left = int(self.take(kind="int").text, 0)
            self.take("-")
            right = int(self.take(kind="int").text, 0)
            self.take(")")
            return -left - right
        return self.scalar()

    def scalar(self) -> Any:
        token = self.tokens[self.i]
        self.i += 1
        if token.kind == "string":
            return _decode_string(token.text)
        if token.text == "-":
            inner = self.scalar()
            if type(inner) not in (int, float):
                raise SentinelSyntaxError(f"'-' before a non-number at offset {token.pos}")
            return -inner
        if token.kind == "int":
            value = int(token.text, 0)
            if value > 2**63 - 1:
                raise SentinelSyntaxError(f"integer {token.text} overflows int64")
            return value
        if token.kind == "float":
            return float(token.text)
        constants = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
        if token.kind == "ident" and token.text in constants:
            return constants[token.text]
        raise SentinelSyntaxError(f"unexpected {token.text!r} at offset {token.pos}")

    def container(self, open_: str, close: str, is_map: bool) -> Any:
        self.take(open_)
        result: Any = {} if is_map else []
        while self.peek().text != close:
            if is_map:
                key = self.value()
                if isinstance(key, dict | list):
                    raise SentinelSyntaxError("map keys must be scalars")
                self.take(":")
                if key in result:
                    raise SentinelSyntaxError(f"duplicate map key {key!r}")
                result[key] = self.value()
            else:
                result.append(self.value())
            # A ';' here means a newline after an element without a comma: a syntax error in Sentinel.
            if self.peek().text == ",":
                self.i += 1
            elif self.peek().text != close:
                token = self.peek()
                raise SentinelSyntaxError(
                    f"expected ',' or {close!r}, got {token.text!r} at offset {token.pos}"
                )
        self.take(close)
        return result


def read_module(source: str) -> tuple[list[str], dict[str, Any]]:
    """Return ``(imports, top-level names → values)`` of a generated mock file."""
    return _Parser(source).module()


def read_value(source: str) -> Any:
    """Parse a single literal (as produced by ``render``)."""
    parser = _Parser(source)
    value = parser.value()
    parser.take(";")
    parser.take(kind="eof")
    return value
