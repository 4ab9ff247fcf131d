"""python-hcl2 output made into plain values, with line numbers for error messages.

python-hcl2 serialises for round-tripping HCL, not for reading values, and its output has changed
between releases. What it gives (8.x, checked against the installed version by the tests):

* strings keep their source quotes and escapes: ``'"a \\"b\\" \\n"'``; heredocs keep their markers:
  ``'"<<EOT\\nline\\nEOT"'``; unquoted keys are bare (``'a'``), quoted keys keep quotes (``'"a-b"'``);
* anything that is not a literal is a ``${...}`` wrapper around its source: ``-1.5e3`` becomes
  ``'${-1.5e3}'``, ``foo.bar`` becomes ``'${foo.bar}'``;
* blocks are lists under their type, each label one nested dict level, bodies marked ``__is_block__``;
  comments appear as ``__comments__`` / ``__inline_comments__`` entries of bodies;
* duplicate attributes silently keep the last value (HCL itself rejects them).

Older releases stripped the quotes; an unquoted string that is not a ``${...}`` wrapper is therefore
taken as already decoded. Values are converted to the engine's representation (see
:mod:`tfc_sentinel.lang.values`): ``null`` → ``None``, numbers → ``int``/``float``, objects → ``dict``.
Sentinel evaluates configuration without variables or functions, so templates (``"${x}"``) and
expressions other than signed number literals are rejected with the line they are on.

Line numbers come from the raw Lark parse tree (python-hcl2 8 keeps positions there); if its shape is
ever different, messages simply lose the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, Value

from .errors import ConfigError, ConfigSyntaxError, UnsupportedConfigError

__all__ = ["BodyIndex", "Hcl", "convert", "parse_hcl", "unquote_key"]

MARKERS: Final = frozenset(
    {"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"}
)

_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HEREDOC: Final = re.compile(r"\A<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n(.*?)^[ \t]*\2\Z", re.DOTALL | re.MULTILINE)
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass
class BodyIndex:
    """Where a block and its attributes and nested blocks start (1-based lines), in source order."""

    line: int | None = None
    attrs: dict[str, list[int]] = field(default_factory=dict)
    blocks: dict[str, list[BodyIndex]] = field(default_factory=dict)

    def attr_line(self, name: str) -> int | None:
        lines = self.attrs.get(name)
        return lines[0] if lines else self.line

    def block(self, kind: str, index: int) -> BodyIndex:
        found = self.blocks.get(kind, [])
        return found[index] if index < len(found) else BodyIndex()


@dataclass
class Hcl:
    """A parsed HCL file: python-hcl2's document plus the line index."""

    document: dict[str, Any]
    index: BodyIndex
    markers: bool


def _token_text(node: Any) -> str:
    children = getattr(node, "children", None)
    if children is None:
        return str(node)
    return "".join(_token_text(child) for child in children)


def _index_body(body: Any) -> BodyIndex:
    index = BodyIndex()
    for child in getattr(body, "children", []):
        kind = getattr(child, "data", None)
        parts = [c for c in getattr(child, "children", []) if hasattr(c, "data")]
        if kind == "attribute" and parts:
            index.attrs.setdefault(_token_text(parts[0]).strip(), []).append(child.meta.line)
        elif kind == "block" and parts:
            inner = next((c for c in reversed(parts) if c.data == "body"), None)
            block = _index_body(inner) if inner is not None else BodyIndex()
            block.line = child.meta.line
            index.blocks.setdefault(_token_text(parts[0]).strip(), []).append(block)
    return index


def _build_index(tree: Any) -> BodyIndex:
    try:
        body = next(c for c in tree.children if getattr(c, "data", None) == "body")
        return _index_body(body)
    except Exception:  # an unexpected tree shape must cost line numbers, never the parse
        return BodyIndex()


def _syntax_error(exc: Exception, text: str, filename: str) -> ConfigSyntaxError:
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    if not isinstance(line, int) or line < 1:
        line, column = None, None
    token = getattr(exc, "token", None)
    char = getattr(exc, "char", None)
    if token is not None:
        kind = getattr(token, "type", "")
        value = str(token)
        if kind == "$END" or not value:
            what = "unexpected end of file"
        elif not value.strip():
            what = "unexpected end of line"
        else:
            what = f"unexpected {value.strip()[:40]!r}"
    elif char is not None:
        what = f"unexpected character {char!r}"
    elif line is None:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    else:
        what = "invalid syntax"
    detail = ""
    if line is not None:
        lines = text.splitlines()
        if line <= len(lines):
            source = lines[line - 1]
            caret = "".join(ch if ch == "\t" else " " for ch in source[: max(0, (column or 1) - 1)])
            detail = f"  {source}\n  {caret}^"
    return ConfigSyntaxError(
        f"not valid HCL: {what}; check quotes, braces and `=` around this point",
        file=filename,
        line=line,
        column=column,
        detail=detail,
    )


def parse_hcl(text: str, filename: str) -> Hcl:
    """Parse HCL text; :class:`ConfigSyntaxError` with file, line and column on bad syntax."""
    import hcl2  # here, not at module level: python-hcl2 pulls in lark, which DAG parsing should not pay for

    try:
        try:
            from hcl2.api import parses_to_tree, serialize, transform
            from hcl2.utils import SerializationOptions
        except ImportError:  # python-hcl2 before 8: no tree API, no line numbers
            return Hcl(hcl2.loads(text), BodyIndex(), markers=False)
        tree = parses_to_tree(text)
        document = serialize(transform(tree), serialization_options=SerializationOptions(with_comments=False))
        return Hcl(document, _build_index(tree), markers=True)
    except ConfigError:
        raise
    except Exception as exc:  # lark and python-hcl2 raise several unrelated exception types
        raise _syntax_error(exc, text, filename) from exc


# --- values --------------------------------------------------------------------------------------------


def _template_error(where: str, file: str, line: int | None) -> UnsupportedConfigError:
    return UnsupportedConfigError(
        f"{where}: string templates (`${{...}}`, `%{{...}}`) are not supported in Sentinel configuration; "
        "write the value literally, or write `$${` for a literal `${`",
        file=file,
        line=line,
    )


def _untemplate(text: str, where: str, file: str, line: int | None) -> str:
    """Resolve ``$${``/``%%{`` escapes; reject live template sequences."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i + 1 : i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            raise _template_error(where, file, line)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _unescape(text: str, where: str, file: str, line: int | None) -> str:
    """HCL quoted-string escapes (``\\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN``) and template escapes."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            marker = text[i + 1]
            if marker in _ESCAPES:
                out.append(_ESCAPES[marker])
                i += 2
                continue
            width = {"u": 4, "U": 8}.get(marker)
            digits = text[i + 2 : i + 2 + width] if width else ""
            if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                code = int(digits, 16)
                if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    out.append(chr(code))
                    i += 2 + width
                    continue
            raise ConfigError(
                f"{where}: invalid escape sequence {text[i : i + 2]!r} in a string; "
                'use \\n, \\r, \\t, \\", \\\\, \\uNNNN or \\UNNNNNNNN (write \\\\ for a backslash)',
                file=file,
                line=line,
            )
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            raise _template_error(where, file, line)
        out.append(ch)
        i += 1
    return "".join(out)


def _heredoc(match: re.Match[str], where: str, file: str, line: int | None) -> str:
    strip, _, content = match.groups()
    if strip:
        lines = content.split("\n")
        widths = [len(text) - len(text.lstrip(" \t")) for text in lines if text.strip()]
        cut = min(widths, default=0)
        content = "\n".join(text[cut:] for text in lines)
    return _untemplate(content, where, file, line)


def _number(text: str) -> int | float:
    if re.fullmatch(r"[+-]?\d+", text):
        value = int(text)
        return value if INT64_MIN <= value <= INT64_MAX else float(value)
    return float(text)


def _expression(text: str, where: str, file: str, line: int | None) -> Value:
    inner = text[2:-1].strip()
    while inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1].strip()
    if inner in ("true", "false"):
        return inner == "true"
    if inner == "null":
        return None
    if _NUMBER.fullmatch(inner):
        return _number(inner)
    shown = inner if len(inner) <= 60 else inner[:57] + "..."
    raise UnsupportedConfigError(
        f"{where}: the expression `{shown}` cannot be evaluated: Sentinel configuration has no variables "
        "or functions; write a literal value (string, number, bool, null, list or map)",
        file=file,
        line=line,
    )


def _string(text: str, where: str, file: str, line: int | None) -> Value:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        inner = text[1:-1]
        heredoc = _HEREDOC.match(inner)
        if heredoc:
            return _heredoc(heredoc, where, file, line)
        return _unescape(inner, where, file, line)
    if text.startswith("${") and text.endswith("}"):
        return _expression(text, where, file, line)
    return text  # python-hcl2 before 8: quotes already stripped


def unquote_key(key: str, where: str, file: str, line: int | None) -> str:
    """An object key or block label as text: quoted keys decoded, bare ones as written."""
    if key.startswith("${") and key.endswith("}"):
        raise UnsupportedConfigError(
            f"{where}: computed key `{key[2:-1]}` is not supported; write the key as a literal string",
            file=file,
            line=line,
        )
    value = _string(key, where, file, line)
    return value if isinstance(value, str) else str(key)


def convert(value: Any, where: str, file: str, line: int | None) -> Value:
    """python-hcl2 output → engine value (see the module docstring for what is accepted)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _string(value, where, file, line)
    if isinstance(value, list | tuple):
        return [convert(item, where, file, line) for item in value]
    if isinstance(value, Mapping):
        return {
            unquote_key(str(key), where, file, line): convert(item, where, file, line)
            for key, item in value.items()
        }
    raise ConfigError(f"{where}: unexpected value {value!r} from the HCL parser", file=file, line=line)
