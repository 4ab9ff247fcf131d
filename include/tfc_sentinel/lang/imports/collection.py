"""The ``collection`` import (Sentinel 0.26+): ``filter``, ``find``, ``matches``, ``reduce``, ``reject``.

``items`` is a list or a map; a map's elements are its values. Results are lists, as documented
("returning a list of elements"), also for map input. Only a predicate result of exactly ``true``
selects an element: anything else (``false``, undefined, a non-bool) does not, so ``reject`` keeps
it. The collection is read once before any callback runs, so a callback that appends to it does not
change the iteration.

Callback arguments follow lodash, which this import's names and the documentation's examples
(finding "based on its value" and "based on its key") mirror: ``predicate(value[, key])`` and
``accumulator(acc, value[, key])``, where the key of a list element is its index; the optional
argument is passed only to callbacks declaring it (see the package docstring). ``reduce`` without
``initial`` starts from the first element (undefined for an empty collection).

``matches(items, partial)`` keeps the elements that contain ``partial``: every key of a partial map
must be present with a matching value, every element of a partial list must match some element of
the list it is compared with, and other values must be equal (ints and floats compare by value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import (
    callback_arity,
    check_depth,
    equal,
    expect_func,
    extra_args,
    native,
    type_error,
)
from tfc_sentinel.lang.values import UNDEFINED, Value


def elements(name: str, items: Value) -> list[tuple[Value, Value]]:
    """(value, key or index) pairs of a list or map, snapshotted before callbacks run."""
    if isinstance(items, list):
        return [(value, index) for index, value in enumerate(items)]
    if isinstance(items, dict):
        return [(value, key) for key, value in items.items()]
    type_error(name, "a list or map", 1, items)


def _verdicts(name: str, items: Value, predicate: Value) -> Iterator[tuple[Value, Value]]:
    pairs = elements(name, items)
    fn = expect_func(name, predicate, 2)
    with_key = extra_args(callback_arity(fn), 1, 1) > 0
    for value, key in pairs:
        yield value, (fn(value, key) if with_key else fn(value))


def filter_(items: Value, predicate: Value) -> list[Value]:
    return [value for value, verdict in _verdicts("collection.filter", items, predicate) if verdict is True]


def reject(items: Value, predicate: Value) -> list[Value]:
    return [
        value for value, verdict in _verdicts("collection.reject", items, predicate) if verdict is not True
    ]


def find(items: Value, predicate: Value) -> Value:
    for value, verdict in _verdicts("collection.find", items, predicate):
        if verdict is True:
            return value
    return UNDEFINED


def is_match(value: Value, pattern: Value, depth: int = 0) -> bool:
    """Deep partial comparison of ``value`` against ``pattern``."""
    if isinstance(pattern, dict):
        check_depth(depth)
        if not isinstance(value, dict):
            return False
        return all(
            key in value and is_match(value[key], wanted, depth + 1) for key, wanted in pattern.items()
        )
    if isinstance(pattern, list):
        check_depth(depth)
        if not isinstance(value, list):
            return False
        return all(any(is_match(item, wanted, depth + 1) for item in value) for wanted in pattern)
    return equal(value, pattern, depth)


def matches(items: Value, partial: Value) -> list[Value]:
    name = "collection.matches"
    pairs = elements(name, items)
    if not isinstance(partial, dict):
        type_error(name, "a map", 2, partial)
    return [value for value, _ in pairs if is_match(value, partial)]


def reduce(items: Value, accumulator: Value, *initial: Value) -> Value:
    name = "collection.reduce"
    pairs = elements(name, items)
    fn: Callable[..., Value] = expect_func(name, accumulator, 2)
    if initial:
        acc = initial[0]
    elif pairs:
        acc = pairs.pop(0)[0]
    else:
        return UNDEFINED
    with_key = extra_args(callback_arity(fn), 2, 1) > 0
    for value, key in pairs:
        acc = fn(acc, value, key) if with_key else fn(acc, value)
    return acc


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "filter": native("collection.filter", filter_, 2),
        "find": native("collection.find", find, 2),
        "matches": native("collection.matches", matches, 2),
        "reduce": native("collection.reduce", reduce, 2, 3),
        "reject": native("collection.reject", reject, 2),
    }
