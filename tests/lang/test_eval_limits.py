"""Limits and robustness: steps, depth, sizes, deep nesting, positions and traces of errors, and
Python exceptions from imports wrapped as engine errors."""

from __future__ import annotations

import time

import pytest

from tfc_sentinel.lang import (
    Limits,
    SentinelLimitError,
    SentinelRuntimeError,
    compile_policy,
    default_importer,
    evaluate,
)
from tfc_sentinel.lang.values import Builtin

from .eval_helpers import error, run, value


def limit_error(source: str, limits: Limits | None = None) -> SentinelLimitError:
    start = time.perf_counter()
    result = run(source, limits=limits or Limits(max_steps=200_000, max_depth=100, max_items=100_000))
    assert time.perf_counter() - start < 10
    assert isinstance(result.error, SentinelLimitError), result.error
    assert result.error.position is not None
    return result.error


def test_step_limit_stops_nested_loops() -> None:
    err = limit_error("n = 0\nfor range(1000) as a { for range(1000) as b { n += 1 } }\nmain = true")
    assert "limit of 200000 steps" in err.message


def test_step_limit_counts_calls() -> None:
    source = "f = func(n) { if n == 0 { return 0 }\n return f(n - 1) + f(n - 1) }\nmain = f(40) > 0"
    assert "steps" in limit_error(source, Limits(max_steps=100_000, max_depth=100)).message


def test_short_circuit_refunds_steps() -> None:
    source = "main = all range(2000) as a { any range(2000) as b { b == 0 } }"
    assert run(source, limits=Limits(max_steps=50_000)).passed


def test_depth_limit_stops_runaway_recursion() -> None:
    err = limit_error("f = func(n) { return f(n + 1) }\nmain = f(0)")
    assert "call depth exceeded the limit of 100" in err.message
    assert err.position is not None and err.position.line == 1
    assert len(err.trace) <= 64


def test_deep_recursion_within_limits_works() -> None:
    source = "f = func(n) {\n  if n == 0 { return 0 }\n  return 1 + f(n - 1)\n}\nmain = f(4000) == 4000"
    result = run(source, limits=Limits(max_depth=5000))
    assert result.error is None and result.passed


def test_default_depth_is_reachable() -> None:
    source = "f = func(n) {\n  if n == 0 { return 0 }\n  return 1 + f(n - 1)\n}\nmain = f(499) == 499"
    assert evaluate(compile_policy(source, "p.sentinel")).passed


@pytest.mark.parametrize(
    "source",
    [
        's = "ab"\nfor range(40) as i { s = s + s }\nmain = true',
        "l = [1]\nfor range(40) as i { l = l + l }\nmain = true",
        "l = []\nfor range(200000) as i { append(l, i) }\nmain = true",
        'm = {}\nfor range(200) as i { for range(1000) as j { m[string(i) + "-" + string(j)] = 1 } }\nmain = true',
        "main = length(range(1000000000000)) > 0",
        "main = length(range(-1000000000000, 1000000000000, 3)) > 0",
    ],
)
def test_size_limits(source: str) -> None:
    err = limit_error(source, Limits(max_steps=10_000_000, max_items=100_000))
    assert "exceeds the limit of 100000" in err.message


def test_deeply_nested_data_fails_cleanly() -> None:
    build = "x = []\ny = []\nfor range(60000) as i { x = [x]\n y = [y] }\n"
    for tail in ("print(x)\nmain = true", "main = x == y", "main = x in [y]"):
        result = run(build + tail, limits=Limits())
        assert isinstance(result.error, SentinelRuntimeError)
        assert "nesting too deep" in result.error.message


def test_deeply_nested_expressions() -> None:
    nested = "1" + " + (1" * 450 + ")" * 450
    assert value(nested) == 451
    chain = (
        "x = 0\n"
        + "if x == 1 { x = 1 } "
        + "".join(f"else if x == {i} {{ x = {i} }} " for i in range(2, 900))
    )
    assert value("x", chain + "else { x = -1 }") == -1
    assert value(" and ".join(["true"] * 900)) is True


def test_error_positions_and_str() -> None:
    err = error("x = 1\ny = [1]\nmain = rule {\n  x + y\n}")
    assert str(err).startswith("test.sentinel:4:5: unsupported operand types for +: int and list")


def test_error_trace_lists_calls() -> None:
    source = 'inner = func(v) {\n  return v.a.b\n}\nouter = func(v) {\n  return inner(v)\n}\nmain = outer({"a": 1})'
    err = error(source)
    assert err.position is not None and (err.position.line, err.position.column) == (2, 13)
    assert err.trace == ["test.sentinel:5:10 (inner)", "test.sentinel:7:8 (outer)"]
    assert "called from test.sentinel:5:10 (inner)" in str(err)


def _importer_with(fn: object) -> object:
    return default_importer(mocks={"bad": {"f": Builtin("bad.f", fn)}})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "exc",
    [
        TypeError("oops"),
        ZeroDivisionError("division"),
        OverflowError("big"),
        ValueError("v"),
        RecursionError(),
    ],
)
def test_python_exceptions_from_imports_are_wrapped(exc: Exception) -> None:
    def boom(*args: object) -> object:
        raise exc

    result = evaluate(
        compile_policy('import "bad"\nmain = bad.f(1)', "p.sentinel"), imports=_importer_with(boom)
    )  # type: ignore[arg-type]
    assert isinstance(result.error, SentinelRuntimeError)
    assert result.error.position is not None and result.error.position.line == 2


def test_keyboard_interrupt_propagates() -> None:
    def interrupt(*args: object) -> object:
        raise KeyboardInterrupt

    program = compile_policy('import "bad"\nmain = bad.f(1)', "p.sentinel")
    with pytest.raises(KeyboardInterrupt):
        evaluate(program, imports=_importer_with(interrupt))  # type: ignore[arg-type]


def test_errors_inside_import_callbacks_keep_their_position() -> None:
    source = 'import "collection"\nmain = length(collection.filter([1, 2], func(x) { return x + "a" })) > 0'
    err = error(source)
    assert err.position is not None and err.position.line == 2 and "unsupported operand" in err.message


def test_program_is_reusable_and_evaluations_are_independent() -> None:
    program = compile_policy(
        "param n default 1\ncount = 0\nfor range(n) as i { count += 1 }\nmain = count == n", "p.sentinel"
    )
    for n in (1, 5, 3):
        assert evaluate(program, params={"n": n}).passed


def test_deeply_nested_blocks_compile_and_run() -> None:
    source = "x = 0\n" + "if true {\n" * 900 + "x = 1\n" + "}\n" * 900 + "main = x == 1\n"
    assert run(source).passed
