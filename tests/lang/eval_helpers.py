"""Helpers for evaluator tests: run a snippet, get main's value or the error."""

from __future__ import annotations

from typing import Any

from tfc_sentinel.lang import (
    Limits,
    PolicyResult,
    SentinelRuntimeError,
    compile_policy,
    default_importer,
    evaluate,
)

FILENAME = "test.sentinel"


def run(source: str, **kwargs: Any) -> PolicyResult:
    """Evaluate ``source``; ``mocks``/``modules`` build the importer, other keywords go to evaluate."""
    mocks = kwargs.pop("mocks", None)
    modules = kwargs.pop("modules", None)
    if "imports" not in kwargs:
        kwargs["imports"] = default_importer(mocks=mocks, modules=modules)
    kwargs.setdefault("limits", Limits(max_steps=2_000_000, max_depth=200))
    return evaluate(compile_policy(source, FILENAME), **kwargs)


def value(expr: str, prelude: str = "", **kwargs: Any) -> Any:
    """main's value for ``main = expr`` after ``prelude``; an error fails the test with its text."""
    result = run(f"{prelude}\nmain = {expr}\n", **kwargs)
    if result.error is not None:
        raise AssertionError(f"unexpected error: {result.error}")
    return result.result


def error(source: str, **kwargs: Any) -> SentinelRuntimeError:
    """The runtime error of ``source`` (which must fail with one)."""
    result = run(source, **kwargs)
    assert result.error is not None, f"expected an error, got result {result.result!r}"
    assert result.passed is False
    return result.error


def expr_error(expr: str, prelude: str = "") -> SentinelRuntimeError:
    return error(f"{prelude}\nmain = {expr}\n")
