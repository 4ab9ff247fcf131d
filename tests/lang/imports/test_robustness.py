"""Every import function, fed a spread of wrong-typed arguments, answers or raises an engine error.

No Python exception other than :class:`SentinelRuntimeError` (and its subclasses) may escape an
import: the evaluator turns only those into positioned policy errors.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.imports import STDLIB_NAMES
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED, Builtin, Value

from .helpers import imp


def _raise(*args: Value) -> Value:
    raise SentinelRuntimeError("callback failed")


def _nested(depth: int) -> list[Value]:
    value: list[Value] = []
    for _ in range(depth):
        value = [value]
    return value


POOL: list[Value] = [
    UNDEFINED,
    None,
    True,
    False,
    0,
    -1,
    INT64_MAX,
    INT64_MIN,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    "",
    "abc",
    "1.5",
    "é\udcff",
    "10.0.0.0/8",
    "2019-11-16T01:20:30Z",
    ">= 1.0, < 2.0",
    "a.0.b",
    "*",
    [],
    [1, "a", None],
    [[1, [2]], {"a": 1}],
    [UNDEFINED],
    {},
    {"a": [1, {"b": 2}], 0: "zero"},
    {"*": {"x": UNDEFINED}},
    "9" * 5000,
    "1.0.0-" + "7" * 5000,
    "[" * 5000,
    _nested(5000),
    lambda *args: True,
    lambda *args: UNDEFINED,
    Builtin("test.raise", _raise),
]


def _builtins() -> Iterator[tuple[str, Builtin]]:
    """Every function of every import, plus the methods of the objects imports return."""
    for name in STDLIB_NAMES:
        if name == "http":
            continue
        for key, value in imp(name).items():
            if isinstance(value, Builtin):
                yield f"{name}.{key}", value
    objects = {
        "decimal": imp("decimal")["new"]("1.5"),
        "time": imp("time")["now"],
        "version": imp("version")["new"]("1.2.3-beta+7"),
    }
    for name, obj in objects.items():
        for key, value in obj.items():
            if isinstance(value, Builtin):
                yield f"{name}#{key}", value


BUILTINS = dict(_builtins())


def call(fn: Builtin, args: tuple[Value, ...]) -> None:
    with contextlib.suppress(SentinelRuntimeError):
        fn(*args)


@pytest.mark.parametrize("label", sorted(BUILTINS))
def test_every_one_or_two_argument_combination(label: str) -> None:
    fn = BUILTINS[label]
    call(fn, ())
    for value in POOL:
        call(fn, (value,))
    for pair in itertools.product(POOL, repeat=2):
        call(fn, pair)


@pytest.mark.parametrize("label", sorted(BUILTINS))
def test_three_and_four_arguments_vary_one_position(label: str) -> None:
    fn = BUILTINS[label]
    bases: list[tuple[Value, ...]] = [
        ({"a": [{"b": 1}]}, "a.*.b", 1),
        (["x", "y"], ",", "z", 1),
        ("abc", "b", "c", -1),
        ([1, 2], [2, 3], [3, 4], [4]),
    ]
    for base in bases:
        for position in range(len(base)):
            for value in POOL:
                call(fn, (*base[:position], value, *base[position + 1 :]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BUILTINS)), st.lists(st.sampled_from(POOL), max_size=5))
def test_random_argument_lists(label: str, args: list[Value]) -> None:
    call(BUILTINS[label], tuple(args))


def _cyclic() -> list[Value]:
    items: list[Value] = [1]
    items.append(items)
    return items


@pytest.mark.parametrize(
    ("label", "args"),
    [
        ("json.marshal", (_nested(5000),)),
        ("json.marshal", (_cyclic(),)),
        ("json.unmarshal", ("[" * 5000 + "]" * 5000,)),
        ("json.valid", ("[" * 5000 + "]" * 5000,)),
        ("collection/lists.union", ([_nested(5000)],)),
        ("collection/lists.difference", ([1], [_cyclic()])),
        ("collection/maps.set", ({"a": _cyclic()}, "b", 1)),
        ("collection/maps.pick", ({"a": _nested(5000)}, ["a"])),
        ("collection.matches", ([{"a": _nested(5000)}], {"a": _nested(5000)})),
    ],
)
def test_deep_or_cyclic_values_hit_the_nesting_limit(label: str, args: tuple[Value, ...]) -> None:
    """Even with the high recursion limit the evaluator sets, helpers stop at a fixed depth."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        with pytest.raises(SentinelLimitError, match=r"nested deeper than 1000 levels"):
            BUILTINS[label](*args)
    finally:
        sys.setrecursionlimit(previous)


def test_nesting_within_the_limit_works_under_the_evaluators_recursion_limit() -> None:
    deep = _nested(900)
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        assert imp("json")["unmarshal"](imp("json")["marshal"](deep)) == deep
        assert imp("collection/lists")["union"]([deep], [deep]) == [deep]
    finally:
        sys.setrecursionlimit(previous)


def test_python_recursion_limit_is_an_engine_error_too() -> None:
    union = imp("collection/lists")["union"]
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        with pytest.raises(SentinelLimitError, match=r"^lists\.union: value nested too deeply$"):
            union([_nested(990)])
    finally:
        sys.setrecursionlimit(previous)
