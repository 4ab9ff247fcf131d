"""Engine bugs found by fuzzing and by the sandbox tests (issue 9, item 4), one test each, so they stay fixed.

Each test names what went wrong before the fix.
"""

from __future__ import annotations

import sys
from typing import Final

from tfc_sentinel.lang import Limits, SentinelLimitError, SentinelUserError

from .eval_helpers import error, run, value


def test_a_chain_of_rules_returning_rules_is_counted_against_max_depth() -> None:
    """Before: ``Rule.force`` forced a rule-valued result after giving its depth back, so a function
    returning a rule that calls the function again recursed in Python until the interpreter's recursion
    limit ("nesting too deep: the interpreter's recursion limit was reached"), never meeting
    ``max_depth``; with a larger ``max_depth`` the raised recursion limit let it run far deeper than
    allowed."""
    err = error("r = func() { return rule { r() } }\nmain = r()", limits=Limits(max_depth=40))
    assert isinstance(err, SentinelLimitError)
    assert "exceeded the limit of 40" in err.message
    assert "recursion limit" not in str(err)
    # Independent of the interpreter's own limit: still the engine's error with a tiny one.
    saved = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(200)
        err = error("r = func() { return rule { r() } }\nmain = r()", limits=Limits(max_depth=40))
        assert "exceeded the limit of 40" in err.message
    finally:
        sys.setrecursionlimit(saved)


def test_a_short_chain_of_rules_still_evaluates_to_the_innermost_value() -> None:
    prelude = "a = rule { true }\nb = rule { a }\nc = rule { b }\n"
    assert value("c", prelude) is True
    assert value("rule { rule { rule { 7 } } }") == 7


def test_printing_a_value_that_contains_itself() -> None:
    """Before: ``print``/``error`` of a map or list holding itself (``violations[address] = violations``,
    found by the fuzzer in a mutated mandatory-tags policy) recursed until the interpreter's recursion
    limit. Lists and maps are shared, so such values are legal: the inner occurrence prints as
    ``{...}``/``[...]``, as Python shows them."""
    result = run('m = {"k": 1}\nm["self"] = m\nl = [1]\nappend(l, l)\nprint(m, l)\nmain = true')
    assert result.error is None and result.passed
    assert result.prints == '{"k": 1, "self": {...}} [1, [...]]\n'
    err = error('m = {}\nm["a"] = {"b": m}\nerror(m)')
    assert isinstance(err, SentinelUserError) and err.message == '{"a": {"b": {...}}}'


def test_printing_data_nested_too_deep_is_a_limit_error() -> None:
    err = error("x = []\nfor range(5000) as i { x = [x] }\nprint(x)\nmain = true")
    assert isinstance(err, SentinelLimitError)
    assert "nesting too deep: cannot print a value nested deeper than 1000 levels" in err.message
    printed = run("x = []\nfor range(999) as i { x = [x] }\nprint(x)\nmain = true")
    assert printed.error is None and printed.prints == "[" * 1000 + "]" * 1000 + "\n"


QUADRATIC: Final = """
m = {}
for range(200) as i { for range(1000) as j { m[string(i) + "-" + string(j)] = keys(m) } }
main = true
"""


def test_work_that_grows_faster_than_the_steps_stops_at_the_cpu_time_limit() -> None:
    """Before: found by the fuzzer, this ran for hours within 100,000 steps and items: each step copies
    a map of up to 100,000 keys (and keeps the copy). Steps count loop iterations, not the work inside
    one, so ``max_seconds`` bounds CPU time too; the clock is read every few dozen iterations."""
    limits = Limits(max_steps=100_000, max_items=100_000, max_seconds=0.5)
    err = error(QUADRATIC, limits=limits)
    assert isinstance(err, SentinelLimitError)
    assert "exceeded the limit of 0.5 seconds of CPU time" in err.message
    assert err.position is not None and err.position.line == 3
    # Inside one long loop charged up front (one step per iteration, no calls): still stopped.
    one_loop = (
        "m = {}\nfor range(50000) as i { m[i] = i }\nfor range(50000) as i { k = keys(m) }\nmain = true"
    )
    err = error(one_loop, limits=Limits(max_steps=200_000, max_items=100_000, max_seconds=0.5))
    assert "seconds of CPU time" in err.message and err.position is not None and err.position.line == 3
    # In a quantifier too.
    quantified = (
        "m = {}\nfor range(50000) as i { m[i] = i }\nmain = all range(50000) as i { length(keys(m)) > 0 }"
    )
    err = error(quantified, limits=Limits(max_steps=200_000, max_items=100_000, max_seconds=0.5))
    assert "seconds of CPU time" in err.message


def test_the_step_limit_still_counts_every_step_across_chunks() -> None:
    """Steps are handed out a few thousand at a time; the total is still exactly ``max_steps``."""
    assert value("n", "n = 0\nfor range(9999) as i { n += 1 }", limits=Limits(max_steps=10_000)) == 9999
    err = error("n = 0\nfor range(10001) as i { n += 1 }\nmain = true", limits=Limits(max_steps=10_000))
    assert "limit of 10000 steps" in err.message
    # 5,000 iterations and 5,000 calls, then 4,999 and 4,999: 19,998 steps, spread over several chunks.
    calls = (
        "f = func(n) { return n }\nfor range(5000) as i { f(i) }\nfor range(4999) as i { f(i) }\nmain = true"
    )
    assert run(calls, limits=Limits(max_steps=19_998)).passed
    assert "limit of 19997 steps" in error(calls, limits=Limits(max_steps=19_997)).message
