"""Token kinds of the Sentinel language.

A token kind is a plain interned ``str``: punctuation and keywords are their own text (``"("``,
``"+="``, ``"for"``), the literal classes are upper-case names (``IDENT``, ``INT``, ...). Strings
make the parser readable (``kind == "{"``) and compare as fast as ints because CPython checks
identity first. Multi-word operators (``is not``, ``not in``, ``is not empty``, ...) are not tokens:
the parser combines the words, so comments and line breaks between them behave as in any expression.
"""

from __future__ import annotations

import json
from typing import Final

IDENT: Final = "IDENT"
INT: Final = "INT"
FLOAT: Final = "FLOAT"
STRING: Final = "STRING"
#: A whole plain-data list or map literal decoded at once (the scanner's JSON fast path).
CONST: Final = "CONST"
EOF: Final = "EOF"
SEMI: Final = ";"

#: Value of a semicolon token that the scanner inserted at a line break (or at end of file), as
#: opposed to one written in the source (value ``";"``). The parser forgives inserted semicolons in
#: front of closing brackets, so multi-line literals and calls need no trailing comma.
AUTO_SEMI: Final = "\n"

KEYWORDS: Final = frozenset(
    {
        "all",
        "any",
        "as",
        "break",
        "case",
        "continue",
        "default",
        "defined",
        "else",
        "empty",
        "filter",
        "for",
        "func",
        "if",
        "import",
        "map",
        "param",
        "return",
        "rule",
        "when",
    }
)

#: Words that act as operators. They are reserved as well (``x.and`` is still a valid selector).
WORD_OPERATORS: Final = frozenset({"and", "contains", "in", "is", "matches", "not", "or", "xor"})

#: Every word the scanner turns into a keyword token instead of ``IDENT``.
RESERVED: Final = KEYWORDS | WORD_OPERATORS

#: Identifiers declared in the universe block; they are ``IDENT`` tokens and may be shadowed.
PREDECLARED_CONSTANTS: Final = frozenset({"true", "false", "null", "undefined"})

PUNCTUATION: Final = frozenset(
    {
        "+",
        "-",
        "*",
        "/",
        "%",
        "+=",
        "-=",
        "*=",
        "/=",
        "%=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "!",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        ":",
        ";",
    }
)

#: A line break after a token of one of these kinds ends the statement (spec, "Semicolons").
#: ``empty`` and ``defined`` are added because they can only end an expression (``x is empty``).
SEMI_AFTER: Final = frozenset(
    {IDENT, INT, FLOAT, STRING, CONST, "break", "continue", "return", ")", "]", "}", "empty", "defined"}
)

ASSIGN_OPS: Final = frozenset({"=", "+=", "-=", "*=", "/=", "%="})

#: Binding power of binary operators (spec, "Operator Precedence"); higher binds tighter. Unary
#: operators bind tighter than all of them. ``not`` stands for ``not in``/``not contains``/
#: ``not matches`` and ``is`` for ``is``/``is not``; the parser reads the following word.
BINARY_PRECEDENCE: Final[dict[str, int]] = {
    "or": 1,
    "xor": 1,
    "and": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "is": 3,
    "matches": 3,
    "contains": 3,
    "in": 3,
    "not": 3,
    "else": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}

UNARY_OPS: Final = frozenset({"+", "-", "!", "not"})
POSTFIX_OPS: Final = frozenset({"is empty", "is not empty", "is defined", "is not defined"})
QUANTIFIERS: Final = frozenset({"all", "any", "filter", "map"})


def describe(kind: str, value: object = None) -> str:
    """Name a token for an error message: ``"}"``, ``identifier "foo"``, ``end of file``."""
    if kind == EOF:
        return "end of file"
    if kind == SEMI:
        return "newline" if value == AUTO_SEMI else '";"' if value == ";" else "end of file"
    if kind == IDENT:
        return f'identifier "{value}"'
    if kind == STRING:
        text = json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode()
        return f"string {text}" if len(text) <= 30 else f'string {text[:26]}..."'
    if kind == CONST:  # a whole literal; name its first character, as without the fast path
        return '"{"' if isinstance(value, dict) else '"["'
    if kind == INT:  # huge ints (long hex literals) cannot even be printed in decimal
        return f"number {value}" if abs(value) < 10**30 else "number"  # type: ignore[arg-type]
    if kind == FLOAT:
        return f"number {value}"
    if kind in KEYWORDS or kind in WORD_OPERATORS:
        return f'keyword "{kind}"'
    return f'"{kind}"'
