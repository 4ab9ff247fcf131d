"""Deep nesting: realistic depth parses, deeper input fails with SentinelSyntaxError, never RecursionError."""

from __future__ import annotations

import sys
import threading

import pytest

from tfc_sentinel.lang import SentinelSyntaxError, ast, parse


def nested_maps(depth: int, *, plain: bool) -> str:
    """``{"k": {"k": ... 1 ...}}``; integer keys keep it off the JSON fast path."""
    key = '"k"' if plain else "0"
    return "x = " + f"{{{key}: " * depth + "1" + "}" * depth


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("fast_literals", [True, False])
def test_200_levels_of_maps(plain: bool, fast_literals: bool) -> None:
    file = parse(nested_maps(200, plain=plain), fast_literals=fast_literals)
    node = file.body[0].value  # type: ignore[attr-defined]
    if plain and fast_literals:
        assert isinstance(node, ast.Constant)
    else:
        depth = 0
        while isinstance(node, ast.MapLit):
            node = node.values[0]
            depth += 1
        assert depth == 200


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 200 + "1" + ")" * 200,
        "x = " + "f(" * 200 + ")" * 200,
        "x = " + "[0, " * 200 + "1" + "]" * 200,
        "x = " + "a[" * 200 + "0" + "]" * 200,
        "x = " + "rule { " * 200 + "true" + " }" * 200,
        "x = " + "all xs as x { " * 200 + "x" + " }" * 200,
        "f = " + "func() { return " * 200 + "1" + " }" * 200,
        "for xs as x {\n" * 200 + "y = x\n" + "}\n" * 200,
        "if a {\n" * 200 + "y = 1\n" + "}\n" * 200,
        "x = " + " + ".join(["a"] * 900),
        "x = " + "-" * 900 + "a",
        "x = a" + ".b" * 900,
    ],
)
def test_realistic_deep_input_parses(source: str) -> None:
    parse(source)


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "[" * 100_000,
        "x = " + "{" * 100_000,
        "x = " + "(" * 100_000,
        "x = " + "f(" * 100_000,
        "x = " + "-" * 100_000 + "a",
        "x = " + "not " * 100_000 + "a",
        "x = " + " + ".join(["a"] * 100_000),
        "x = a" + ".b" * 100_000,
        "x = a" + "[0]" * 100_000,
        "x = " + "[0, " * 100_000 + "]" * 100_000,
        "x = " + "[" * 100_000 + "]" * 100_000,
        "x = " + "{0: " * 100_000 + "1" + "}" * 100_000,
        "if a {\n" * 100_000,
        "if a { b } " + "else if a { b } " * 100_000,
        "x = " + "rule { " * 100_000,
    ],
)
def test_too_deep_input_fails_cleanly(source: str) -> None:
    limit = sys.getrecursionlimit()
    with pytest.raises(SentinelSyntaxError, match="nesting too deep"):
        parse(source)
    assert sys.getrecursionlimit() == limit  # raised only while parsing


def test_max_depth_is_configurable() -> None:
    source = "x = " + "(" * 50 + "1" + ")" * 50
    parse(source, max_depth=60)
    with pytest.raises(SentinelSyntaxError, match=r"nesting too deep \(more than 40 levels\)") as info:
        parse(source, max_depth=40)
    assert info.value.line == 1
    parse("x = " + "(" * 3000 + "1" + ")" * 3000, max_depth=5000)


def test_deep_parse_in_a_thread() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            parse(nested_maps(500, plain=False))
            with pytest.raises(SentinelSyntaxError):
                parse("x = " + "[" * 50_000)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_parse_called_from_deep_in_the_stack() -> None:
    source = "x = " + "{0: " * 300 + "1" + "}" * 300 + "\ny = [" + "[" * 100 + "]" * 101

    def recurse(n: int) -> ast.File:
        return parse(source) if n == 0 else recurse(n - 1)

    file = recurse(sys.getrecursionlimit() - 80)
    assert len(file.body) == 2
