"""Syntax errors: position, source line, caret, and what was expected versus found."""

from __future__ import annotations

import pickle

import pytest

from tfc_sentinel.lang import SentinelSyntaxError, parse


def error(source: str, filename: str = "p.sentinel") -> SentinelSyntaxError:
    with pytest.raises(SentinelSyntaxError) as info:
        parse(source, filename)
    return info.value


def test_str_shows_position_source_line_and_caret() -> None:
    exc = error("main = rule {\n  x == 1 +\n}\n")
    assert str(exc) == 'p.sentinel:3:1: expected an expression, found "}"\n}\n^'
    assert (exc.filename, exc.line, exc.column, exc.offset) == ("p.sentinel", 3, 1, 25)


def test_unclosed_map_names_where_it_was_opened() -> None:
    exc = error('x = 1\n\nmock = {\n\t"a": {\n\t\t"b": 1,\n')
    assert exc.message == 'expected "}" to close the map opened at 4:7, found end of file'
    assert str(exc).splitlines() == [
        'p.sentinel:5:10: expected "}" to close the map opened at 4:7, found end of file',
        '\t\t"b": 1,',
        "\t\t       ^",  # tabs are kept so the caret lines up
    ]


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        (
            "x = [1, 2",
            'expected "," or "]" after the list element (list opened at 1:5), found end of file',
            1,
            10,
        ),
        (
            "x = [1 2]",
            'expected "," or "]" after the list element (list opened at 1:5), found number 2',
            1,
            8,
        ),
        ('x = {"a" 1}', 'expected ":" after the map key, found number 1', 1, 10),
        (
            'x = {"a": 1\n"b": 2}',
            'expected "," or "}" after the map element (map opened at 1:5), found string "b"',
            2,
            1,
        ),
        ("x = f(1, 2", 'expected "," or ")" in the call opened at 1:6, found end of file', 1, 11),
        ("x = (1 + 2", 'expected ")" to close the parenthesis opened at 1:5, found end of file', 1, 11),
        ("x = a[]", 'expected an index expression, found "]"', 1, 7),
        ("x = a[1:2", 'expected "]" to close the index opened at 1:6, found end of file', 1, 10),
        (
            "f = func() {\n  return 1\n",
            'expected "}" to close the function body opened at 1:12, found end of file',
            2,
            11,
        ),
        ("if x {\n", 'expected "}" to close the if block opened at 1:6, found end of file', 1, 7),
        ("if x y = 1", 'expected "{" to start the if block, found identifier "y"', 1, 6),
        ("if x {} else y", 'expected "if" or "{" after "else", found identifier "y"', 1, 14),
        ("if x {\n}\nelse {\n}", '"else" must be on the same line as the "}" that closes the if block', 3, 1),
        ("else { }", 'unexpected "else" without "if"', 1, 1),
        ("x = 1 +", "expected an expression, found end of file", 1, 8),
        ("x = 1 2", 'expected end of statement (newline or ";"), found number 2', 1, 7),
        ("x = a\n  or b", 'expected an expression, found keyword "or"', 2, 3),
        ("x = a not b", 'expected "in", "contains" or "matches" after "not", found identifier "b"', 1, 11),
        ("x = a.", 'expected a field name after ".", found end of file', 1, 7),
        ("x = a.1", 'expected end of statement (newline or ";"), found number 0.1', 1, 6),
        ("for xs v { }", 'expected "as" after the collection of the for, found identifier "v"', 1, 8),
        ("for xs as { }", 'expected an identifier after "as", found "{"', 1, 11),
        ("for xs as k, { }", 'expected a second identifier after ",", found "{"', 1, 14),
        (
            "x = all xs { true }",
            'expected "as" after the collection of the "all" expression, found "{"',
            1,
            12,
        ),
        (
            "x = any xs as v v",
            'expected "{" to start the body of the "any" expression, found identifier "v"',
            1,
            17,
        ),
        ("x = rule { }", 'expected an expression in the body of the rule, found "}"', 1, 12),
        (
            "x = rule { a b }",
            'expected "}" to close the rule body opened at 1:10, found identifier "b"',
            1,
            14,
        ),
        ("case x { foo }", 'expected "when", "else" or "}" in case, found identifier "foo"', 1, 10),
        ("case x { when 1 y = 2 }", 'expected ":" after the "when" expressions, found identifier "y"', 1, 17),
        ("case x {\nwhen 1:\n", 'expected "}" to close the case opened at 1:8, found end of file', 2, 8),
        ("func f(a, a) { return a }", 'duplicate parameter "a"', 1, 11),
        (
            "func f(a b) { return a }",
            'expected "," or ")" in the parameter list opened at 1:7, found identifier "b"',
            1,
            10,
        ),
        ("x = func 1", 'expected "(" to start the parameter list after "func", found number 1', 1, 10),
        (
            "x = func f() { return 1 }",
            "a function declaration (func name(...)) is a statement, not a value",
            1,
            10,
        ),
        ("import strings", 'expected an import name string after "import", found identifier "strings"', 1, 8),
        ('import "a" as', 'expected an identifier after "as", found end of file', 1, 14),
        ('import "a"\nimport "a"', '"a" is already imported at 1:1', 2, 1),
        ('import "a" as x\nimport "b" as x', 'import name "x" is already used at 1:1', 2, 1),
        ('x = 1\nimport "a"', "imports must come first in the file, before the statement at 1:1", 2, 1),
        ('param p\nimport "a"', "imports must come first in the file, before the param at 1:1", 2, 1),
        (
            "x = 1\nparam p",
            "params must come after the imports and before other statements (first statement at 1:1)",
            2,
            1,
        ),
        ('f = func() { import "a" }', '"import" declarations must be at the top of the file', 1, 14),
        ("param 1", 'expected a parameter name after "param", found number 1', 1, 7),
        ("break", '"break" outside of a "for" loop', 1, 1),
        ("for x as y { f = func() { continue } }", '"continue" outside of a "for" loop', 1, 27),
        (
            "f = func() { return }",
            'expected an expression after "return" (write "return undefined" for no value), found "}"',
            1,
            21,
        ),
        ('x = "abc', "string literal not terminated", 1, 5),
    ],
)
def test_messages(source: str, message: str, line: int, column: int) -> None:
    exc = error(source)
    assert exc.message == message
    assert (exc.line, exc.column) == (line, column)
    lines = str(exc).splitlines()
    assert lines[0] == f"p.sentinel:{line}:{column}: {message}"
    assert lines[1] == source.splitlines()[line - 1] if source.splitlines()[line - 1 :] else lines[1] == ""
    assert lines[2].endswith("^") and len(lines[2]) == column


def test_columns_count_characters_not_bytes() -> None:
    exc = error('x = "日本語" @')
    assert exc.column == 11


def test_very_long_lines_are_shown_around_the_column() -> None:
    source = "x = [" + "1, " * 500 + "@" + ", 2" * 500 + "]"
    exc = error(source)
    lines = str(exc).splitlines()
    assert exc.column == 1506
    assert len(lines[1]) == 200
    assert lines[1][len(lines[2]) - 1] == "@"


def test_errors_pickle() -> None:
    exc = error("x = (")
    copy = pickle.loads(pickle.dumps(exc))
    assert str(copy) == str(exc)
    assert copy.position == exc.position


def test_default_filename() -> None:
    with pytest.raises(SentinelSyntaxError) as info:
        parse("x = (")
    assert str(info.value).startswith("<input>:1:6: ")
