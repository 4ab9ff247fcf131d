"""The ``version`` import: versions and constraints with the semantics of HashiCorp's go-version.

``version.new(s)`` gives a map of ``major minor patch prerelease metadata version`` plus the methods
``greater_than/gt``, ``greater_than_or_equals/gte``, ``less_than/lt``, ``less_than_or_equals/lte``,
``equals/eq``, ``compare/cmp`` and ``satisfies/sat``; their argument is a version string or a version.

go-version rules kept here: a leading ``v`` and any number of numeric segments are accepted (padded
to three, so ``version`` of ``v1.2`` is ``1.2.0``); a prerelease may follow ``-`` or start directly
with a letter (``1.0beta``); metadata never affects ordering; ``~>`` pins all but the last segment
the constraint spells out; a constraint with a prerelease matches only prereleases of the same
segments, and one without a prerelease never matches a prerelease. Malformed versions and
constraints are runtime errors. ``compare`` returns -1, 0 or 1 as its description says (one of the
documentation's examples shows the opposite sign, which contradicts that description).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import check_arity, expect_str, fail, native, type_error
from tfc_sentinel.lang.values import INT64_MAX, UNDEFINED, Builtin, Value

_IDENT: Final = r"[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*"
_BODY: Final = rf"v?([0-9]+(?:\.[0-9]+)*)(?:-({_IDENT})|([A-Za-z\-~][0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*))?(?:\+({_IDENT}))?"
_VERSION: Final = re.compile(_BODY, re.ASCII)
_CONSTRAINT: Final = re.compile(rf"\s*(=|!=|>=|<=|>|<|~>)?\s*({_BODY})\s*", re.ASCII)


class Version:
    """A parsed version: segments padded to three, plus how many the text spelled out."""

    __slots__ = ("metadata", "prerelease", "segments", "specified")

    def __init__(self, segments: list[int], specified: int, prerelease: str, metadata: str) -> None:
        self.segments = segments
        self.specified = specified
        self.prerelease = prerelease
        self.metadata = metadata

    def __str__(self) -> str:
        text = ".".join(map(str, self.segments))
        if self.prerelease:
            text += "-" + self.prerelease
        if self.metadata:
            text += "+" + self.metadata
        return text


def parse(name: str, text: str) -> Version:
    match = _VERSION.fullmatch(text)
    if match is None:
        fail(name, f"malformed version: {text!r}")
    return _from_groups(name, text, match.group(1), match.group(2) or match.group(3) or "", match.group(4))


def _from_groups(name: str, text: str, numbers: str, prerelease: str, metadata: str | None) -> Version:
    parts = numbers.split(".")
    if any(len(part.lstrip("0")) > 19 for part in parts):
        fail(name, f"malformed version: {text!r} (segment out of range)")
    segments = [int(part) for part in parts]
    if any(segment > INT64_MAX for segment in segments):
        fail(name, f"malformed version: {text!r} (segment out of range)")
    specified = len(segments)
    segments.extend([0] * (3 - specified))
    return Version(segments, specified, prerelease, metadata or "")


def _number(part: str) -> int | None:
    """A prerelease identifier's value when it is numeric within int64 (Go's ParseInt), else None."""
    if not part.isdigit() or len(part.lstrip("0")) > 19:
        return None
    value = int(part)
    return value if value <= INT64_MAX else None


def _compare_part(mine: str, other: str) -> int:
    """go-version's prerelease identifier order, quirks included (a missing part is compared too)."""
    if mine == other:
        return 0
    mine_number, other_number = _number(mine), _number(other)
    mine_numeric, other_numeric = mine_number is not None, other_number is not None
    if mine == "":
        return -1 if other_numeric else 1
    if other == "":
        return 1 if mine_numeric else -1
    if mine_numeric and not other_numeric:
        return -1
    if other_numeric and not mine_numeric:
        return 1
    if mine_number is not None and other_number is not None:
        return -1 if mine_number < other_number else 1
    return 1 if mine > other else -1


def _compare_prereleases(mine: str, other: str) -> int:
    if mine == other:
        return 0
    if not mine:
        return 1
    if not other:
        return -1
    mine_parts, other_parts = mine.split("."), other.split(".")
    for index in range(max(len(mine_parts), len(other_parts))):
        result = _compare_part(
            mine_parts[index] if index < len(mine_parts) else "",
            other_parts[index] if index < len(other_parts) else "",
        )
        if result:
            return result
    return 0


def compare(a: Version, b: Version) -> int:
    if a.segments == b.segments:
        return _compare_prereleases(a.prerelease, b.prerelease)
    for index in range(max(len(a.segments), len(b.segments))):
        if index >= len(a.segments):
            return -1 if any(b.segments[index:]) else 0
        if index >= len(b.segments):
            return 1 if any(a.segments[index:]) else 0
        if a.segments[index] != b.segments[index]:
            return -1 if a.segments[index] < b.segments[index] else 1
    return 0


def _prerelease_ok(v: Version, c: Version) -> bool:
    if c.prerelease and v.prerelease:
        return c.segments == v.segments
    return not (v.prerelease and not c.prerelease)


def _pessimistic(v: Version, c: Version) -> bool:
    if not _prerelease_ok(v, c) or (c.prerelease and not v.prerelease):
        return False
    if compare(v, c) < 0:
        return False
    if len(c.segments) > len(v.segments):
        return False
    if v.segments[: c.specified - 1] != c.segments[: c.specified - 1]:
        return False
    return c.segments[len(c.segments) - 1] <= v.segments[len(c.segments) - 1]


_OPERATORS: Final[dict[str, Callable[[Version, Version], bool]]] = {
    "": lambda v, c: compare(v, c) == 0,
    "=": lambda v, c: compare(v, c) == 0,
    "!=": lambda v, c: compare(v, c) != 0,
    ">": lambda v, c: _prerelease_ok(v, c) and compare(v, c) > 0,
    "<": lambda v, c: _prerelease_ok(v, c) and compare(v, c) < 0,
    ">=": lambda v, c: _prerelease_ok(v, c) and compare(v, c) >= 0,
    "<=": lambda v, c: _prerelease_ok(v, c) and compare(v, c) <= 0,
    "~>": _pessimistic,
}


def parse_constraints(name: str, text: str) -> list[tuple[str, Version]]:
    constraints = []
    for piece in text.split(","):
        match = _CONSTRAINT.fullmatch(piece)
        if match is None:
            fail(name, f"malformed constraint: {piece.strip()!r}")
        version = _from_groups(
            name, piece, match.group(3), match.group(4) or match.group(5) or "", match.group(6)
        )
        constraints.append((match.group(1) or "", version))
    return constraints


def satisfies(v: Version, constraints: list[tuple[str, Version]]) -> bool:
    return all(_OPERATORS[op](v, c) for op, c in constraints)


class VersionObject(dict[str, Value]):
    """A version's map that also carries the parsed version."""

    __slots__ = ("parsed",)
    parsed: Version


def _to_version(name: str, value: Value, index: int) -> Version:
    if isinstance(value, VersionObject):
        return value.parsed
    if isinstance(value, str):
        return parse(name, value)
    if isinstance(value, dict) and isinstance(value.get("version"), str):
        return parse(name, value["version"])  # a copied version map
    type_error(name, "a version string or version", index, value)


def _comparison(*accept: int) -> Callable[..., Value]:
    def method(name: str, self: Version, *args: Value) -> Value:
        check_arity(name, args, 1)
        if args[0] is UNDEFINED:
            return UNDEFINED
        return compare(self, _to_version(name, args[0], 1)) in accept

    return method


def _compare_method(name: str, self: Version, *args: Value) -> Value:
    check_arity(name, args, 1)
    if args[0] is UNDEFINED:
        return UNDEFINED
    return compare(self, _to_version(name, args[0], 1))


def _satisfies_method(name: str, self: Version, *args: Value) -> Value:
    check_arity(name, args, 1)
    if args[0] is UNDEFINED:
        return UNDEFINED
    return satisfies(self, parse_constraints(name, expect_str(name, args[0], 1)))


_METHODS: Final[tuple[tuple[tuple[str, ...], Callable[..., Value]], ...]] = (
    (("greater_than", "gt"), _comparison(1)),
    (("greater_than_or_equals", "gte"), _comparison(0, 1)),
    (("less_than", "lt"), _comparison(-1)),
    (("less_than_or_equals", "lte"), _comparison(-1, 0)),
    (("equals", "eq"), _comparison(0)),
    (("compare", "cmp"), _compare_method),
    (("satisfies", "sat"), _satisfies_method),
)
_METHOD_NAMES: Final = tuple((alias, f"version.{alias}", fn) for names, fn in _METHODS for alias in names)


def make(parsed: Version) -> VersionObject:
    obj = VersionObject(
        major=parsed.segments[0],
        minor=parsed.segments[1],
        patch=parsed.segments[2],
        prerelease=parsed.prerelease,
        metadata=parsed.metadata,
        version=str(parsed),
    )
    obj.parsed = parsed
    for alias, qualified, fn in _METHOD_NAMES:
        obj[alias] = Builtin(qualified, partial(fn, qualified, parsed))
    return obj


def new(v: Value) -> VersionObject:
    return make(parse("version.new", expect_str("version.new", v, 1)))


def build(ctx: ImportContext) -> dict[str, Value]:
    return {"new": native("version.new", new, 1)}
