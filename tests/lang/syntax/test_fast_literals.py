"""The JSON fast path for plain-data literals: same meaning as the node tree, and it steps aside for
everything JSON and Sentinel disagree on."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfc_sentinel.lang import SentinelSyntaxError, ast, parse

from .helpers import literal_value, to_sentinel


def rhs(source: str, *, fast_literals: bool = True, max_depth: int = 1000) -> ast.Expr:
    stmt = parse(source, fast_literals=fast_literals, max_depth=max_depth).body[0]
    assert isinstance(stmt, ast.Assign)
    return stmt.value


def test_plain_data_becomes_one_constant() -> None:
    node = rhs('x = {\n\t"a": [1, -2, 2.5e-3, "s", true, false, null],\n\t"b": {},\n}')
    assert isinstance(node, ast.Constant)
    assert node.value == {"a": [1, -2, 2.5e-3, "s", True, False, None], "b": {}}
    assert node.pos == 4
    assert repr(node) == '{"a": [1, -2, 0.0025, "s", true, false, null], "b": {}}'


@pytest.mark.parametrize(
    "context",
    ["x = {}", "x += {}", 'x = {"k": {}}', "x = [{}]", "x = f({})", "x = f(1, {})", "x = a[{}]",
     "param p default {}", "f = func() { return {} }"],
)  # fmt: skip
def test_contexts_that_start_a_literal(context: str) -> None:
    nodes = list(ast.walk(parse(context.replace("{}", '{"a": [1]}'))))
    assert any(isinstance(n, ast.Constant) for n in nodes)
    assert not any(isinstance(n, (ast.MapLit, ast.ListLit)) for n in nodes)


@pytest.mark.parametrize(
    "source",
    [
        'x = {"a": 1, # comment\n}',
        'x = {"a": undefined}',
        'x = {1: "int key"}',
        'x = {true: "bool key"}',
        "x = [017]",
        "x = [.5]",
        "x = [1.]",
        "x = [0x1F]",
        "x = [1 + 2]",
        "x = [- 1]",
        "x = [1, 2,]",  # a trailing comma without a line break stays on the token path
        'x = ["tab\there"]',  # raw control characters: JSON rejects them, Sentinel allows them
        'x = ["\\a\\v\\x41\\101\\U0001F600"]',  # Go-only escapes
        "x = [`raw`]",
        "x = [NaN, Infinity]",  # identifiers in Sentinel
        'x = {"a": 1}["a"]',
        "x = [1] + [2]",
        'x = {\n"k": 1,\n"k": 2,\n}',  # duplicate keys: the node tree keeps both entries
    ],
)
def test_other_literals_keep_the_node_tree(source: str) -> None:
    fast = rhs(source)
    slow = rhs(source, fast_literals=False)
    assert not isinstance(fast, ast.Constant)
    assert repr(fast) == repr(slow)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('x = ["\\/"]', "unknown escape sequence"),  # valid JSON, not Sentinel
        ('x = ["\\ud83d\\ude00"]', "escape sequence is an invalid Unicode code point"),
        ("x = [\n,\n]", "expected an expression"),
        ("x = {\n,\n}", "expected an expression"),
        ("x = [1e999]", "floating-point literal out of range"),
        ('x = ["a\nb"]', "string literal not terminated"),
    ],
)
def test_json_only_syntax_is_still_an_error(source: str, message: str) -> None:
    for fast in (True, False):
        with pytest.raises(SentinelSyntaxError, match=message):
            parse(source, fast_literals=fast)


def test_binding_true_false_or_null_disables_the_fast_path() -> None:
    for binding in [
        "true = 1",
        "null = 0",
        "param false",
        "for xs as true { }",
        "f = func(null) { return 1 }",
    ]:
        file = parse(f"{binding}\nx = [true, null]")
        value = file.body[-1].value  # type: ignore[attr-defined]
        assert isinstance(value, ast.ListLit), binding
        assert repr(value) == "[true, null]"


def test_max_depth_applies_to_constants() -> None:
    nested = "[" * 150 + "1" + "]" * 150
    assert isinstance(rhs(f"x = {nested}"), ast.Constant)
    for source in (f"x = {nested}", f"x = {{1: {nested}}}", f"x = [{{1: {nested}}}]"):
        with pytest.raises(SentinelSyntaxError, match="nesting too deep"):
            parse(source, max_depth=100)
    node = rhs(f"x = {{1: {nested}}}", max_depth=152)
    assert isinstance(node, ast.MapLit) and isinstance(node.values[0], ast.Constant)


def test_unicode_strings() -> None:
    node = rhs('x = ["日本語", "\\u00e9", "é"]')
    assert isinstance(node, ast.Constant) and node.value == ["日本語", "é", "é"]


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_data = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, database=None)
@given(json_data)
def test_fast_and_slow_paths_agree_on_json_data(data: object) -> None:
    source = f"x = {to_sentinel(data)}\n"
    fast = rhs(source)
    slow = rhs(source, fast_literals=False)
    assert repr(fast) == repr(slow)
    for node in (fast, slow):
        value = literal_value(node)
        assert value == data or (isinstance(data, float) and math.isclose(value, data))  # type: ignore[arg-type]
    if isinstance(data, (dict, list)) and "\\" not in source:  # "\\/" is declined to be safe
        assert isinstance(fast, ast.Constant)
