"""Scanner: literal forms, escapes, comments, keywords and automatic semicolons."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang import SentinelSyntaxError
from tfc_sentinel.lang.syntax import tokenize
from tfc_sentinel.lang.syntax.errors import Source
from tfc_sentinel.lang.syntax.scanner import scan


def kinds(text: str) -> list[str]:
    return [t.kind for t in tokenize(text)]


def pairs(text: str) -> list[tuple[str, object]]:
    """(kind, value) of every token except the final semicolon and EOF."""
    tokens = list(tokenize(text))
    assert tokens[-1].kind == "EOF"
    tokens = tokens[:-1]
    if tokens and tokens[-1].kind == ";":
        tokens = tokens[:-1]
    return [(t.kind, t.value) for t in tokens]


def value(text: str) -> object:
    """The value of a source holding exactly one literal token."""
    ((kind, val),) = pairs(text)
    assert kind in ("INT", "FLOAT", "STRING")
    return val


# --- literals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("017", 15),
        ("0600", 384),
        ("00", 0),
        ("0x1F", 31),
        ("0XbadFace", 0xBADFACE),
        ("9223372036854775807", 2**63 - 1),
        ("170141183460469231731687303715884105727", 2**127 - 1),  # kept exact; the evaluator wraps
    ],
)
def test_int_literals(text: str, expected: int) -> None:
    assert value(text) == expected
    assert type(value(text)) is int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", 1.5),
        ("1.", 1.0),
        ("0.", 0.0),
        (".5", 0.5),
        ("1e9", 1e9),
        ("1E6", 1e6),
        ("2.5E-3", 2.5e-3),
        ("1.e+0", 1.0),
        ("072.40", 72.4),  # a float with a leading zero is decimal
        (".12345E+5", 12345.0),
        ("6.67428e-11", 6.67428e-11),
    ],
)
def test_float_literals(text: str, expected: float) -> None:
    assert value(text) == expected
    assert type(value(text)) is float


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('""', ""),
        ('"abc"', "abc"),
        ('"日本語"', "日本語"),
        (r'"\a\b\f\n\r\t\v\\\""', '\a\b\f\n\r\t\v\\"'),
        (r'"\x41\101"', "AA"),
        (r'"\u65e5本\U00008a9e"', "日本語"),
        (r'"\xc3\xbf"', "ÿ"),  # byte escapes forming valid UTF-8 decode to the character
        (r'"\u00FF"', "ÿ"),
        (r'"\U000000FF"', "ÿ"),
        (r'"\000"', "\x00"),
        ('"# not a comment // nor this"', "# not a comment // nor this"),
        ('"tab\tinside"', "tab\tinside"),  # raw tabs are allowed in strings
    ],
)
def test_string_literals(text: str, expected: str) -> None:
    assert value(text) == expected


def test_non_utf8_bytes_are_surrogate_escaped() -> None:
    text = value(r'"\xff\u00FF\377"')
    assert text == "\udcffÿ\udcff"
    assert text.encode("utf-8", "surrogateescape") == b"\xff\xc3\xbf\xff"  # the exact bytes, 4 of them


def test_raw_strings_have_no_escapes_and_span_lines() -> None:
    assert value("`abc`") == "abc"
    assert value("`\\n\n\\n`") == "\\n\n\\n"
    assert value('`say "hi"`') == 'say "hi"'
    assert value("`a\r\nb`") == "a\nb"  # carriage returns are dropped, as in Go


# --- words, operators, comments -------------------------------------------------------------------------


def test_keywords() -> None:
    words = "all any as break case continue default defined else empty filter for func if import map param"
    words += " return rule when"
    assert [k for k in kinds(words) if k not in (";", "EOF")] == words.split()


def test_predeclared_names_and_const_are_identifiers() -> None:
    assert pairs("true false null undefined const _x αβ x1") == [
        ("IDENT", name) for name in ["true", "false", "null", "undefined", "const", "_x", "αβ", "x1"]
    ]


def test_word_operators_are_keywords() -> None:
    assert kinds("a and b or c xor not d in e contains f matches g is h") == [
        "IDENT", "and", "IDENT", "or", "IDENT", "xor", "not", "IDENT", "in", "IDENT",
        "contains", "IDENT", "matches", "IDENT", "is", "IDENT", ";", "EOF",
    ]  # fmt: skip


def test_punctuation() -> None:
    text = "+ - * / % += -= *= /= %= == != < <= > >= = ! ( ) [ ] { } , . : ;"
    assert [k for k in kinds(text) if k != "EOF"] == text.split()


def test_keywords_after_a_dot_are_identifiers() -> None:
    assert pairs("x.map.default.rule.and.if") == [
        ("IDENT", "x"), (".", None), ("IDENT", "map"), (".", None), ("IDENT", "default"),
        (".", None), ("IDENT", "rule"), (".", None), ("IDENT", "and"), (".", None), ("IDENT", "if"),
    ]  # fmt: skip


def test_comments_are_skipped() -> None:
    assert pairs("a # one\nb // two\nc /* three */ d") == [
        ("IDENT", "a"), (";", "\n"), ("IDENT", "b"), (";", "\n"), ("IDENT", "c"), ("IDENT", "d"),
    ]  # fmt: skip


def test_division_is_not_a_comment() -> None:
    assert kinds("a / b /= c") == ["IDENT", "/", "IDENT", "/=", "IDENT", ";", "EOF"]


def test_offsets_point_at_token_starts() -> None:
    tokens = list(tokenize('x  = "s"\n  y'))
    assert [(t.kind, t.offset) for t in tokens] == [
        ("IDENT", 0), ("=", 3), ("STRING", 5), (";", 8), ("IDENT", 11), (";", 12), ("EOF", 12),
    ]  # fmt: skip


def test_byte_order_mark_is_ignored() -> None:
    assert pairs("\ufeffx") == [("IDENT", "x")]


# --- automatic semicolons ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "last",
    ["x", "1", "1.5", '"s"', "`raw`", "break", "continue", "return", ")", "]", "}", "empty", "defined"],
)
def test_semicolon_after_line_ending_tokens(last: str) -> None:
    tokens = list(tokenize(f"{last}\nnext"))
    semis = [t for t in tokens if t.kind == ";"]
    assert semis[0].value == "\n"
    assert semis[0].offset == len(last)


@pytest.mark.parametrize(
    "last", ["+", "and", "or", "else", "(", "[", "{", ",", "=", ":", "not", "in", "is", "."]
)
def test_no_semicolon_after_operators_and_openers(last: str) -> None:
    assert ";" not in kinds(f"a {last}\nb")[:-2]


def test_semicolon_after_selector_keyword() -> None:
    assert kinds("x.default\ny") == ["IDENT", ".", "IDENT", ";", "IDENT", ";", "EOF"]


def test_blank_lines_and_comments_give_one_semicolon() -> None:
    assert kinds("a\n\n  # c\n\n// d\nb") == ["IDENT", ";", "IDENT", ";", "EOF"]


def test_block_comment_with_newline_acts_as_newline() -> None:
    assert kinds('"1" /* x */ "2"') == ["STRING", "STRING", ";", "EOF"]
    assert kinds('"1" /*\nx */ "2"') == ["STRING", ";", "STRING", ";", "EOF"]


def test_semicolon_at_end_of_file_and_explicit_semicolons() -> None:
    tokens = list(tokenize("a; b"))
    assert [(t.kind, t.value) for t in tokens] == [
        ("IDENT", "a"), (";", ";"), ("IDENT", "b"), (";", "\n"), ("EOF", None),
    ]  # fmt: skip


def test_crlf_line_endings() -> None:
    assert kinds("a\r\nb\r\n") == ["IDENT", ";", "IDENT", ";", "EOF"]


# --- fast literal tokens ----------------------------------------------------------------------------------


def test_plain_data_literal_becomes_one_token_when_enabled() -> None:
    source = Source('x = {"a": [1, 2.5, "s", true, null],\n}\ny = 1')
    kinds_, values, offsets = scan(source, fast_literals=True)
    assert kinds_ == ["IDENT", "=", "CONST", ";", "IDENT", "=", "INT", ";", "EOF"]
    assert values[2] == {"a": [1, 2.5, "s", True, None]}
    assert offsets[2] == 4
    assert scan(source).kinds[2] == "{"  # off by default


def test_index_brackets_are_never_literals() -> None:
    assert scan(Source("x = y[0]"), fast_literals=True).kinds[:4] == ["IDENT", "=", "IDENT", "["]


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ('x = "abc', "string literal not terminated", 5),
        ('x = "a\nb"', "string literal not terminated", 5),
        ("x = `abc", "raw string literal not terminated", 5),
        ("x = /* abc", "comment not terminated", 5),
        (r'x = "a\qb"', "unknown escape sequence", 7),
        (r'x = "\x4"', "unknown escape sequence", 6),
        (r'x = "\uD800"', "escape sequence is an invalid Unicode code point", 6),
        (r'x = "\U00110000"', "escape sequence is an invalid Unicode code point", 6),
        (r'x = "\400"', "octal escape value > 255", 6),
        ("x = 09", "invalid digit '9' in octal literal", 6),
        ("x = 0x", "hexadecimal literal has no digits", 5),
        ("x = 0x1G", "invalid character 'G' in hexadecimal literal", 8),
        ("x = 1e999", "floating-point literal out of range", 5),
        ("x = 1 @ 2", "unexpected character '@'", 7),
        ("x = 1\f", "unexpected character '\\x0c'", 6),
        ("x = " + "9" * 5000, "integer literal too large", 5),
    ],
)
def test_lexical_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(SentinelSyntaxError) as info:
        list(tokenize(text, "s.sentinel"))
    assert info.value.message == message
    assert (info.value.filename, info.value.column) == ("s.sentinel", column)
