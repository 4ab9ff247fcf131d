"""Fuzzing: on any input the parser returns a File or raises SentinelSyntaxError, nothing else, and
the JSON fast path never changes the outcome."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfc_sentinel.lang import SentinelSyntaxError, parse

from .test_realistic import MOCK, POLICY

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    *"all any as break case continue default defined else empty filter for func if import map param".split(),
    *"return rule when and or xor not in contains matches is true false null undefined x y _".split(),
    *"+ - * / % += -= *= /= %= == != < <= > >= = ! ( ) [ ] { } , . : ;".split(),
    '"s"', '"\\n\\x41"', '"\\q"', "`raw`", "0", "017", "09", "0x1F", "1.5", ".5", "1e9", "1e999",
    "#c\n", "//c\n", "/*c*/", "/*\n*/", "\n", "\t", " ", '"', "`", "/*", "@", "\\", "'",
]  # fmt: skip
SEPARATORS = st.sampled_from([" ", "", "\n", "\t", "  "])


def outcome(source: str, *, fast_literals: bool) -> str:
    """The dump of the parsed file, or ``error`` — anything else escaping fails the test."""
    try:
        return repr(parse(source, "fuzz.sentinel", fast_literals=fast_literals, max_depth=200))
    except SentinelSyntaxError as exc:
        assert exc.filename == "fuzz.sentinel"
        assert exc.line >= 1 and exc.column >= 1
        assert str(exc).startswith(f"fuzz.sentinel:{exc.line}:{exc.column}: ")
        return "error"


def check(source: str) -> None:
    assert outcome(source, fast_literals=True) == outcome(source, fast_literals=False)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(source: str) -> None:
    check(source)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(TOKENS), SEPARATORS), max_size=60))
def test_token_soup(parts: list[tuple[str, str]]) -> None:
    check("".join(token + sep for token, sep in parts))


@FUZZ
@given(st.sampled_from([POLICY, MOCK]), st.data())
def test_mutated_real_files(base: str, data: st.DataObject) -> None:
    source = base
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        index = data.draw(st.integers(min_value=0, max_value=len(source)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        token = data.draw(st.sampled_from(TOKENS))
        if action == "delete":
            source = source[:index] + source[index + data.draw(st.integers(1, 8)) :]
        elif action == "insert":
            source = source[:index] + token + source[index:]
        else:
            source = source[:index] + token + source[index + len(token) :]
    check(source)


json_like = st.recursive(
    st.sampled_from(['"a"', '"\\/"', '"\\ud800"', "1", "-2", "1.5", "017", "true", "null", "undefined", "x"]),
    lambda inner: (
        st.builds(
            lambda items, close: "[\n" + ",\n".join(items) + close,
            st.lists(inner, max_size=3),
            st.sampled_from(["]", ",\n]", ",]", "\n]"]),
        )
        | st.builds(
            lambda items, close: "{\n" + ",\n".join(f"{k}: {v}" for k, v in items) + close,
            st.lists(st.tuples(st.sampled_from(['"k"', '"j"', "1", "true"]), inner), max_size=3),
            st.sampled_from(["}", ",\n}", ",}", "\n}", "\n,\n}"]),
        )
    ),
    max_leaves=12,
)


@FUZZ
@given(json_like)
def test_json_like_literals(literal: str) -> None:
    check(f"x = {literal}\ny = [{literal}, f({literal})]\n")
