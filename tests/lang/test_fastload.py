"""The mock-file fast path: literals decode exactly as the parser reads them, or step aside.

The oracle is the project's parser with its own JSON shortcut switched off (``fast_literals=False``):
whatever ``literal_value`` returns must equal the value of the parsed literal tree.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tfc_sentinel.bundle import build_mock_files
from tfc_sentinel.bundle import literal as writer
from tfc_sentinel.bundle.tfplan import tfplan_v2_data
from tfc_sentinel.lang import SentinelSyntaxError, ast, fastload, parse
from tfc_sentinel.lang.fastload import NOT_LITERAL, literal_value, load_literals, split_module
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED

DATA = Path(__file__).parent.parent / "bundle" / "data"


# --- oracle and comparison -------------------------------------------------------------------------------


class _NotLiteral(Exception):
    pass


_NAMES = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}


def _node_value(node: ast.Expr) -> Any:
    """Value of a literal tree, with fastload's documented decisions (int64 range, key collisions)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.ListLit):
        return [_node_value(e) for e in node.elts]
    if isinstance(node, ast.MapLit):
        out: dict[Any, Any] = {}
        exact: set[tuple[type, Any]] = set()
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            key = _node_value(key_node)
            if not isinstance(key, str | int | float):
                raise _NotLiteral
            exact.add((type(key), key))
            out[key] = _node_value(value_node)
        if len(exact) != len(out):
            raise _NotLiteral  # 1, 1.0 and true are one Python key
        return out
    if isinstance(node, ast.String | ast.Float):
        return node.value
    if isinstance(node, ast.Int):  # the parser folds a minus sign into the literal
        if not INT64_MIN <= node.value <= INT64_MAX:
            raise _NotLiteral
        return node.value
    if isinstance(node, ast.Ident) and node.name in _NAMES:
        return _NAMES[node.name]
    if isinstance(node, ast.Unary) and node.op == "-" and isinstance(node.operand, ast.Int | ast.Float):
        value = -node.operand.value
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise _NotLiteral
        return value
    if (
        isinstance(node, ast.Binary)
        and node.op == "-"
        and isinstance(node.left, ast.Int)
        and node.left.value == -INT64_MAX
        and isinstance(node.right, ast.Int)
        and node.right.value == 1
    ):
        return INT64_MIN
    raise _NotLiteral


def oracle(text: str) -> Any:
    """What the parser makes of ``x = <text>``: a value, or NOT_LITERAL."""
    try:
        file = parse("x = " + text, fast_literals=False)
    except SentinelSyntaxError:
        return NOT_LITERAL
    if len(file.body) != 1 or file.imports or file.params:
        return NOT_LITERAL
    stmt = file.body[0]
    if not isinstance(stmt, ast.Assign) or stmt.op != "=":
        return NOT_LITERAL
    try:
        return _node_value(stmt.value)
    except _NotLiteral:
        return NOT_LITERAL


def strict(value: Any) -> Any:
    """A hashable form that tells 1, 1.0 and True (and 0.0 from -0.0) apart; map order ignored."""
    if value is UNDEFINED or value is writer.UNDEFINED:
        return ("undefined",)
    if value is NOT_LITERAL:
        return ("not literal",)
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, list | tuple):
        return ("list", tuple(strict(v) for v in value))
    if isinstance(value, dict):
        return ("map", frozenset((strict(k), strict(v)) for k, v in value.items()))
    raise AssertionError(f"unexpected {value!r}")


def same(a: Any, b: Any) -> bool:
    return strict(a) == strict(b)


@pytest.fixture
def no_careful_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the slow token-by-token translation runs: writer output must take the fast path."""
    monkeypatch.setattr(fastload, "_careful", _no_careful)


# --- round trips through the writer ----------------------------------------------------------------------

_AWKWARD = st.sampled_from(
    ['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "${x}", "//", "#", "/*", "*/", "`", "é", "雪", "😀",
     "\u2028", ",\n}", "undefined", "NaN", "Infinity", "0:", "\\u00e9", "\\/", "'"]
)  # fmt: skip
_TEXT = st.lists(
    st.one_of(_AWKWARD, st.text(st.characters(exclude_categories=["Cs"]), max_size=8)), max_size=5
).map("".join)
_INTS = st.one_of(st.integers(INT64_MIN, INT64_MAX), st.sampled_from([INT64_MIN, INT64_MAX, 0, -1, 10**18]))
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.one_of(st.none(), st.booleans(), _INTS, _FLOATS, _TEXT, st.just(writer.UNDEFINED))


def _values(keys: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=25,
    )


_FAST_KEYS = st.one_of(_TEXT, st.integers(INT64_MIN + 1, INT64_MAX))  # what the fast path handles


def _expected(value: Any) -> Any:
    if value is writer.UNDEFINED:
        return UNDEFINED
    if isinstance(value, list | tuple):
        return [_expected(v) for v in value]
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    return value


def _no_careful(source: str, start: int, end: int) -> object:
    raise AssertionError(f"careful path used for {source[start:end][:300]!r}")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values(_FAST_KEYS))
def test_writer_output_round_trips_on_the_fast_path(value: Any) -> None:
    text = writer.render(value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastload, "_careful", _no_careful)
        assert same(literal_value(text), _expected(value)), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values(st.one_of(_TEXT, _INTS, st.booleans(), _FLOATS)))
def test_writer_output_round_trips_with_any_keys(value: Any) -> None:
    text = writer.render(value)
    assert same(literal_value(text), _expected(value)), text
    assert same(oracle(text), _expected(value)), text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), _values(_FAST_KEYS)), max_size=4
    )
)
def test_writer_modules_load(assignments: list[tuple[str, Any]]) -> None:
    assume(not {name for name, _ in assignments} & (fastload._PREDECLARED | fastload._RESERVED))
    source = writer.module_source(assignments, imports=["strings"])
    module = load_literals(source, "mock.sentinel")
    expected: dict[str, Any] = {}
    for name, value in assignments:
        expected.setdefault(name, _expected(value))
    assert same(module.values, expected)
    assert [s.kind for s in module.rest if s.kind != "assign"] == ["import"]
    assert len(module.rest) == 1 + len(assignments) - len(expected)  # second bindings run in order


# --- hand-written literals -------------------------------------------------------------------------------

_GO_ESCAPES = r'"\a\b\f\n\r\t\v\\\"\x41\101\u00e9\U0001F600"'

HAND_WRITTEN: list[tuple[str, Any]] = [
    ('{"a": 1, # comment\n}', {"a": 1}),
    ('{"a": 1, // comment\n}', {"a": 1}),
    ('/* c */ {/* x */"a" /* y */: /* z */ 1 /* w */, // t\n} # end', {"a": 1}),
    ("[017, 0x1F, 0X1f, 00, 0]", [15, 31, 31, 0, 0]),
    ("[1., .5, 1e3, 2.5E-3, 1.e2, 08.5, 0e0]", [1.0, 0.5, 1000.0, 0.0025, 100.0, 8.5, 0.0]),
    ("[-1, -0, -0.0, -.5, -0x10, -017]", [-1, 0, -0.0, -0.5, -16, -15]),
    (_GO_ESCAPES, '\a\b\f\n\r\t\v\\"AAé😀'),
    (r'"\xc3\xa9 \303\251"', "é é"),
    (r'"\xff"', "\udcff"),  # not UTF-8: a lone surrogate, as the scanner keeps it
    ('`raw \\n "q" ${x}\r\nline`', 'raw \\n "q" ${x}\nline'),
    ("[`a`, `b`,\n]", ["a", "b"]),
    ('{\r\n\t"a"\t:\t1 ,\r\n\t"b" : [ 2 , ] ,\r\n}', {"a": 1, "b": [2]}),
    ("[\n1\n]", [1]),
    ('{\n"a":\n1\n}', {"a": 1}),
    ('{"a": 1,}', {"a": 1}),
    ("[1, 2, ]", [1, 2]),
    ("[1, 2 /* c */ , /* d */ ]", [1, 2]),
    ('{1: "a", -2: "b", 0x10: "c", 010: "d"}', {1: "a", -2: "b", 16: "c", 8: "d"}),
    ('{\n\t1: "a",\n\t-2: "b",\n\t"1": "c",\n}', {1: "a", -2: "b", "1": "c"}),
    ('{true: 1, false: 0, "true": 2}', {True: 1, False: 0, "true": 2}),
    ('{1.5: "x", -0.5: "y"}', {1.5: "x", -0.5: "y"}),
    ("[undefined, null, true, false]", [UNDEFINED, None, True, False]),
    ("undefined", UNDEFINED),
    ('{"a": undefined}', {"a": UNDEFINED}),
    ('{\n\t"a": undefined,\n\t"b": "undefined",\n}', {"a": UNDEFINED, "b": "undefined"}),
    ("(-9223372036854775807 - 1)", INT64_MIN),
    ("[\n\t(-9223372036854775807 - 1),\n]", [INT64_MIN]),
    ('{(-9223372036854775807 - 1): "min"}', {INT64_MIN: "min"}),
    ("-9223372036854775808", INT64_MIN),
    ("[9223372036854775807, -9223372036854775807]", [INT64_MAX, -INT64_MAX]),
    ("[0x7FFFFFFFFFFFFFFF]", [INT64_MAX]),
    ('{"a": 1, "b": 2, "a": 3}', {"a": 3, "b": 2}),
    ('{1: "x", 0x1: "y"}', {1: "y"}),
    ('"tab\there"', "tab\there"),
    ('"# not a comment // nor this /* */"', "# not a comment // nor this /* */"),
    ('"NaN Infinity undefined ,\\n}"', "NaN Infinity undefined ,\n}"),
    ("1e308", 1e308),
    ("[]", []),
    ("{}", {}),
    ("\n\t {\n}\n\n", {}),
    ("[[[[1]]]]", [[[[1]]]]),
]


@pytest.mark.parametrize(("text", "expected"), HAND_WRITTEN)
def test_hand_written_literals(text: str, expected: Any) -> None:
    assert same(literal_value(text), expected)
    assert same(oracle(text), expected)


def test_duplicate_keys_keep_the_first_position() -> None:
    assert list(literal_value('{"a": 1, "b": 2, "a": 3}')) == ["a", "b"]


NOT_LITERALS = [
    "func(x) { return x }",
    "a + b",
    "a",
    "f(1)",
    "rule { true }",
    "[1] + [2]",
    '{"a": x}',
    "[1, 2][0]",
    '{"a": 1}["a"]',
    "- 1",
    "+1",
    "-undefined",
    "!true",
    "1 else 2",
    "x.y",
    "(1)",
    "[NaN, Infinity]",
    "-Infinity",
    "[\n\t-Infinity,\n] # undefined,\n",  # a rewritten undefined in a comment must not cover for it
    "Infinity",
    "NaN",
    "{null: 1}",
    "{undefined: 1}",
    '{"k": [1, 2] + [3]}',
    "1e999",
    "-1e999",
    "9223372036854775808",
    "-9223372036854775809",
    '{9223372036854775808: "x"}',
    '{\n\t9223372036854775808: "x",\n}',
    "08",
    "0x",
    "0xG",
    "1.5.5",
    "12abc",
    '["a" "b"]',
    "[1 2]",
    "[,]",
    "{,}",
    "[\n,\n]",
    "[1,,]",
    "[1\n, 2]",
    '{"a"\n: 1}',
    '{"a": 1\n, "b": 2}',
    "[1 # c\n, 2]",
    "[1 /*\n*/, 2]",
    "[1\n,\n]",
    r'"\/"',
    r'"\ud800"',
    r'"\U00110000"',
    r'"\400"',
    r'"\q"',
    r'"\'"',
    '"unterminated',
    '"line\nbreak"',
    "`unterminated",
    "[1",
    "[1]]",
    "",
    "   ",
    "# only a comment",
    "/* open",
    '{1: "x", true: "y"}',
    '{1: "x", 1.0: "y"}',
    "1; 2",
    "{} {}",
    "1\n2",
    "x = 1",
]


@pytest.mark.parametrize("text", NOT_LITERALS)
def test_not_literals(text: str) -> None:
    assert literal_value(text) is NOT_LITERAL
    if text not in ("- 1", "+1", "(1)"):  # constant expressions, left to the evaluator by design
        assert oracle(text) is NOT_LITERAL


def test_deep_nesting_is_left_to_the_parser() -> None:
    assert literal_value("[" * 200 + "]" * 200) is not NOT_LITERAL
    assert literal_value("[" * 1200 + "]" * 1200) is NOT_LITERAL
    assert literal_value("[" * 1200 + "`raw`" + "]" * 1200) is NOT_LITERAL  # careful path too


# --- generated Sentinel text in forms the writer never emits --------------------------------------------

_GAPS = st.sampled_from(["", " ", "\t", "\n", "\r\n", " # c\n", " // c\n", "/* c */", "/* a\nb */", "\n\n  "])


@st.composite
def _int_text(draw: st.DrawFn) -> str:
    value = draw(st.integers(0, 2**64))
    form = draw(st.sampled_from(["dec", "oct", "hex", "HEX"]))
    text = {"dec": str(value), "oct": f"0{value:o}", "hex": f"0x{value:x}", "HEX": f"0X{value:X}"}[form]
    return ("-" if draw(st.booleans()) else "") + text


_FLOAT_TEXT = st.sampled_from(
    ["1.", ".5", "1e9", "2.5E-3", "1.e2", "0.0", "-0.0", "1e400", "3.14", "-.25", "07.5"]
)
_ESCAPES = st.sampled_from(
    [r"\a", r"\b", r"\f", r"\n", r"\r", r"\t", r"\v", r"\\", r"\"", r"\x41", r"\xff", r"\xc3\xa9", r"\101",
     r"\377", r"\u00e9", r"\U0001F600", r"\ud800", r"\/", r"\'", r"\x4", "é", "x", " ", "#", "//", "\t"]
)  # fmt: skip
_STRING_TEXT = st.lists(_ESCAPES, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
_RAW_TEXT = st.sampled_from(["`raw`", "`a\nb`", '`"q"`', "`\\n`", "`a\r\nb`", "``"])
_WORDS = st.sampled_from(["true", "false", "null", "undefined", "NaN", "x", "(-9223372036854775807 - 1)"])
_SCALAR_TEXT = st.one_of(_int_text(), _FLOAT_TEXT, _STRING_TEXT, _RAW_TEXT, _WORDS)


@st.composite
def _container_text(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    items = draw(st.lists(inner, max_size=4))
    if draw(st.booleans()):
        keys = draw(
            st.lists(
                st.one_of(_STRING_TEXT, _int_text(), st.sampled_from(["true", "1.5"])),
                min_size=len(items),
                max_size=len(items),
            )
        )
        items = [f"{k}{draw(_GAPS)}:{draw(_GAPS)}{v}" for k, v in zip(keys, items, strict=True)]
        open_, close = "{", "}"
    else:
        open_, close = "[", "]"
    body = "".join(item + draw(_GAPS) + "," + draw(_GAPS) for item in items)
    if items and not draw(st.booleans()):
        body = body[: body.rindex(",")] + " "
    return open_ + draw(_GAPS) + body + close


_LITERAL_TEXT = st.recursive(_SCALAR_TEXT, lambda inner: _container_text(inner), max_leaves=12)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LITERAL_TEXT)
def test_generated_literals_agree_with_the_parser(text: str) -> None:
    assert same(literal_value(text), oracle(text)), text


# --- malformed input ---------------------------------------------------------------------------------

_JUNK = st.lists(
    st.sampled_from(
        [
            *'{}[](),:;"`\\/#*-+.=\n\t 0179xeE_aunltrfsé',
            "undefined",
            "true",
            "//",
            "/*",
            "*/",
            "0x",
            "\\u",
            "NaN",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_JUNK)
def test_random_text_never_raises_and_never_disagrees(text: str) -> None:
    value = literal_value(text)
    if value is not NOT_LITERAL:
        assert same(value, oracle(text)), text
    module = load_literals(text, "junk.sentinel")
    assert "".join(s.text for s in split_module(text)) == text
    for segment in module.literals:
        assert same(module.values[segment.name], oracle(text[segment.value_start : segment.end])), text


_MODULE_PIECES = [
    'x = {\n\t"a": 1,\n}\n', "y = [\n\t1,\n]\n", "f = func(a) {\n\treturn a\n}\n", 'import "strings"\n',
    "z = x\n", "# comment\n", "/* block\nz = 2\n*/\n", "r = `raw\nq = 1\n`\n", "if true {\nw = 1\n}\n",
    "}\n", "x = [\nfoo,\n]\n", "v = 1 +\nu\n", "else {\n}\n", "true = 1\n", 's = "open\n', "\n",
    "func g() {\n\treturn 1\n}\n", 'x = {"k": undefined}\n', "param p\n", "t = -1\n", "a = - 1\n",
    "y = [1] + [2]\n", "x = 2 // two\n", "b = {\n\t0: `q`,\n}\n", "\tx = 3\n", "c = 1; d = 2\n",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_MODULE_PIECES), max_size=8).map("".join))
def test_modules_bind_exactly_what_the_parser_reads(source: str) -> None:
    module = load_literals(source, "m.sentinel")
    assert "".join(s.text for s in split_module(source)) == source
    try:
        file = parse(source, fast_literals=False)
    except SentinelSyntaxError:
        return  # the evaluator parses ``rest`` and reports the error; bound values are irrelevant then
    by_line = {file.source.line_col(s.pos)[0]: s for s in file.body}
    for segment in module.literals:
        stmt = by_line[segment.line]
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.target, ast.Ident), source
        assert stmt.target.name == segment.name and stmt.op == "="
        assert same(module.values[segment.name], _node_value(stmt.value)), source
    rest_file = parse(module.rest_source(), fast_literals=False)
    lines = set(by_line) - {s.line for s in module.literals}
    assert {rest_file.source.line_col(s.pos)[0] for s in rest_file.body} == lines
    assert len(rest_file.imports) == len(file.imports) and len(rest_file.params) == len(file.params)


def _first_literals(file: ast.File, names: set[str]) -> dict[str, Any]:
    """The first literal ``name = ...`` of each name at the top level of a parsed file."""
    first: dict[str, Any] = {}
    for stmt in file.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.target, ast.Ident) and stmt.op == "=":
            name = stmt.target.name
            if name in names and name not in first:
                with contextlib.suppress(_NotLiteral):
                    first[name] = _node_value(stmt.value)
    return first


# --- splitting -------------------------------------------------------------------------------------------


def test_segments_cover_the_source_with_lines_and_names() -> None:
    source = 'import "strings"\n\n# data\nx = {\n\t"a": 1,\n}\n\nf = func(a) {\n\treturn a\n}\n'
    segments = split_module(source)
    assert "".join(s.text for s in segments) == source
    assert [(s.kind, s.name, s.line, s.verified) for s in segments] == [
        ("import", "", 1, True),
        ("assign", "x", 4, False),
        ("assign", "f", 8, True),
    ]
    assert segments[0].text == 'import "strings"\n\n# data\n'
    assert source[segments[1].value_start :].lstrip(" ").startswith("{")


@pytest.mark.parametrize(
    "source",
    [
        "x = `\ny = 1\n`\n",  # column 0 inside a raw string
        "x = 1 /*\ny = 2\n*/\n",  # inside a block comment
    ],
)
def test_lines_inside_long_tokens_do_not_start_statements(source: str) -> None:
    assert [s.name for s in split_module(source)] == ["x"]


def test_a_backtick_in_a_comment_opens_nothing() -> None:
    assert [s.name for s in split_module('x = "a" # `\ny = 2\n')] == ["x", "y"]


@pytest.mark.parametrize(
    "source",
    [
        "f = func() {\nx = 1\nreturn x\n}\n",  # a function body written at column 0
        "x = [\nfoo,\n]\n",
        "v = a +\nb\n",
        's = "open\nt = 1\n',
        "x = `never closed\n",
        "x = 1 /* never closed\n",
    ],
)
def test_uncertain_shapes_become_one_module_segment(source: str) -> None:
    module = load_literals(source, "m.sentinel")
    assert module.values == {}
    assert [s.kind for s in module.rest] == ["module"]
    assert module.rest[0].text == source


def test_else_on_its_own_line_stays_with_its_if() -> None:
    source = "if x {\n}\nelse {\n}\ny = 1\n"
    assert [s.name for s in split_module(source)] == ["", "y"]


def test_byte_order_mark_and_crlf() -> None:
    source = '\ufeffx = {\r\n\t"a": [\r\n\t\t1,\r\n\t],\r\n}\r\n\r\ny = undefined\r\n'
    module = load_literals(source, "m.sentinel")
    assert module.values == {"x": {"a": [1]}, "y": UNDEFINED}
    assert module.literals[0].start == 0 and module.literals[1].line == 7


def test_statement_order_is_kept() -> None:
    source = 'a = {"k": 1}\nb = a.k\na = [2]\nc = [a]\nd = 4\n'
    module = load_literals(source, "m.sentinel")
    assert module.values == {"a": {"k": 1}, "d": 4}
    steps = [(s if isinstance(s, tuple) else s.text) for s in module.steps()]
    assert steps == [("a", {"k": 1}), "b = a.k\n", "a = [2]\n", "c = [a]\n", ("d", 4)]


@pytest.mark.parametrize(
    "source",
    [
        'x = 1\nimport "strings"\n',  # imports first: the parser must see the order
        "x = 1\nparam p\n",
        "true = 1\nx = [true]\n",
        "f = func() { return 1 }\nundefined = 2\nx = undefined\n",
        'import "strings" as null\nx = null\n',
    ],
)
def test_rebinding_constants_or_late_imports_disable_the_fast_path(source: str) -> None:
    module = load_literals(source, "m.sentinel")
    assert module.values == {} and [s.kind for s in module.rest] == ["module"]


def test_rest_source_keeps_lines_and_columns() -> None:
    source = 'import "strings"\n\nx = {\n\t"a": 1,\n}\n\nf = func() {\n\treturn 1 +\n}\n'
    module = load_literals(source, "m.sentinel")
    assert list(module.values) == ["x"]
    with pytest.raises(SentinelSyntaxError) as info:
        parse(module.rest_source(), "m.sentinel")
    try:
        parse(source, "m.sentinel")
    except SentinelSyntaxError as full:
        assert (info.value.line, info.value.column) == (full.line, full.column)


# --- real bundles ----------------------------------------------------------------------------------------

_PLANS = sorted(p.name for p in DATA.glob("plan_*.json"))
_FUNCTIONS = {
    "mock-tfconfig-v2.sentinel": {"strip_index"},
    "mock-tfconfig.sentinel": {"module"},
    "mock-tfplan.sentinel": {"module"},
    "mock-tfstate.sentinel": {"module"},
}


def _bundle(plan_name: str) -> dict[str, str]:
    plan = json.loads((DATA / plan_name).read_text())
    run = json.loads((DATA / "run.json").read_text())
    return {k: v for k, v in build_mock_files(plan, run).items() if k.endswith(".sentinel")}


@pytest.mark.parametrize("plan_name", _PLANS)
def test_real_bundles_load_on_the_fast_path(plan_name: str, no_careful_path: None) -> None:
    for name, source in _bundle(plan_name).items():
        module = load_literals(source, name)
        assert all(s.fast for s in module.rest), name
        rest_names = {s.name for s in module.rest if s.kind == "assign"}
        assert _FUNCTIONS.get(name, set()) <= rest_names, name
        assert not rest_names & set(module.values)
        file = parse(source, fast_literals=False)
        names = {
            s.target.name for s in file.body if isinstance(s, ast.Assign) and isinstance(s.target, ast.Ident)
        }
        assert same(module.values, _first_literals(file, names)), name
        rest = parse(module.rest_source(), name)
        assert len(rest.imports) == len(file.imports)
        assert bool(rest.body) == (name in _FUNCTIONS)


@pytest.mark.parametrize("plan_name", _PLANS)
def test_v2_plan_values_equal_the_writers_input(plan_name: str) -> None:
    plan = json.loads((DATA / plan_name).read_text())
    module = load_literals(_bundle(plan_name)["mock-tfplan-v2.sentinel"], "mock-tfplan-v2.sentinel")
    assert same(module.values, {k: _expected(v) for k, v in tfplan_v2_data(plan)})


def test_large_values_keep_float_and_int_types() -> None:
    value = {"f": 1.0, "i": 1, "big": 2**53 + 1, "neg": -(2**62), "tiny": 5e-324, "nan": "NaN"}
    assert same(literal_value(writer.render(value)), value)
    assert not math.isnan(literal_value("1.5"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values(st.one_of(_TEXT, _INTS, st.booleans(), _FLOATS)))
def test_careful_path_agrees_with_the_fast_path(value: Any) -> None:
    text = writer.render(value)
    assert same(fastload._careful(text, 0, len(text)), _expected(value)), text


def test_gc_state_is_restored() -> None:
    import gc

    assert gc.isenabled()
    literal_value("[1]")
    assert gc.isenabled()
    gc.disable()
    try:
        load_literals("x = [1]\n", "m.sentinel")
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("chunk", [1 << 20, 7])
def test_checks_see_across_chunks(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastload, "_CHUNK", chunk)
    assert literal_value("[\n\t1,\n\t12345678901234567890,\n]") is NOT_LITERAL
    assert literal_value("[\n\t1,\n\t1234567890123456789,\n]") == [1, 1234567890123456789]
    assert literal_value('["12345678901234567890"]') == ["12345678901234567890"]


@pytest.mark.parametrize(
    "text",
    ['"\udcc3\udca9\\n"', '"\udcc3\udca9"', '["\udc80", 1]', '"\ud800\\t"', "\udc80"],
)
def test_raw_surrogates_follow_the_scanner(text: str) -> None:
    """Text decoded with ``surrogateescape`` can hold lone surrogates; with an escape in the same
    string the scanner merges them as bytes (the first case is "é\\n"), JSON would not."""
    assert same(literal_value(text), oracle(text))


def test_the_key_marker_cannot_be_forged() -> None:
    assert literal_value('{"\udfffi1": 1}') is NOT_LITERAL  # a raw U+DFFF only comes from surrogatepass
    assert literal_value('{"\\udfffi1": 1}') is NOT_LITERAL  # and the escape is a Sentinel error
