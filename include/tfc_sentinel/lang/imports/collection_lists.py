"""The ``collection/lists`` import: ``concat``, ``sort``, ``sum`` and (Sentinel 0.29+) ``difference``,
``union``, ``intersection``.

Every function returns a new list and leaves its arguments alone. ``sort`` takes a comparison
function returning an int (negative, zero or positive, as the builtin ``compare`` does) and is
stable; any other result is a runtime error. ``sum`` adds ints and floats into a float, as
documented; an undefined element makes it undefined and any other element is an error.

The set helpers are not described beyond their names, so they follow lodash, whose names the
collection imports reuse: ``difference(items, others...)`` keeps the elements of ``items`` found in
none of the others (duplicates in ``items`` are kept); ``union(lists...)`` and
``intersection(lists...)`` give unique elements in first-seen order. Elements compare with Sentinel
equality (``1 == 1.0``, lists and maps by content).
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import cmp_to_key, partial

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import (
    MANY,
    canonical,
    expect_func,
    expect_list,
    fail,
    is_int,
    is_number,
    native,
)
from tfc_sentinel.lang.values import UNDEFINED, Value, type_name


def _lists(name: str, args: tuple[Value, ...]) -> list[list[Value]]:
    return [expect_list(name, arg, index) for index, arg in enumerate(args, start=1)]


def concat(ctx: ImportContext, *args: Value) -> list[Value]:
    name = "lists.concat"
    lists = _lists(name, args)
    ctx.check_size(name, sum(map(len, lists)))
    return [item for items in lists for item in items]


def sort(items: Value, sort_function: Value) -> list[Value]:
    name = "lists.sort"
    values = list(expect_list(name, items, 1))
    fn = expect_func(name, sort_function, 2)

    def order(a: Value, b: Value) -> int:
        result = fn(a, b)
        if not is_int(result):
            fail(name, f"the sort function must return an int, got {type_name(result)}")
        return int(result)

    return sorted(values, key=cmp_to_key(order))


def sum_(items: Value) -> Value:
    name = "lists.sum"
    total = 0.0
    for item in expect_list(name, items, 1):
        if item is UNDEFINED:
            return UNDEFINED
        if not is_number(item):
            fail(name, f"can only sum ints and floats, found a {type_name(item)}")
        total += item
    return total


def _unique(values: list[Value], seen: set[Hashable]) -> list[Value]:
    out = []
    for value in values:
        key = canonical(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def difference(*args: Value) -> list[Value]:
    first, *others = _lists("lists.difference", args)
    excluded = {canonical(value) for items in others for value in items}
    return [value for value in first if canonical(value) not in excluded]


def union(ctx: ImportContext, *args: Value) -> list[Value]:
    name = "lists.union"
    lists = _lists(name, args)
    ctx.check_size(name, sum(map(len, lists)))
    return _unique([value for items in lists for value in items], set())


def intersection(*args: Value) -> list[Value]:
    first, *others = _lists("lists.intersection", args)
    common = [{canonical(value) for value in items} for items in others]
    candidates = [value for value in first if all(canonical(value) in keys for keys in common)]
    return _unique(candidates, set())


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "concat": native("lists.concat", partial(concat, ctx), 2, MANY),
        "difference": native("lists.difference", difference, 1, MANY),
        "intersection": native("lists.intersection", intersection, 1, MANY),
        "sort": native("lists.sort", sort, 2),
        "sum": native("lists.sum", sum_, 1),
        "union": native("lists.union", partial(union, ctx), 1, MANY),
    }
