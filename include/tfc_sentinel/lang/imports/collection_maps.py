"""The ``collection/maps`` import: ``get``, ``has``, ``pick``, ``set`` and (Sentinel 0.27+) ``unset``, ``omit``.

A path is keys joined by ``.``: ``"foo.0.bar"`` enters key ``foo``, then list index 0 (negative
indexes count from the end, as in Sentinel), then key ``bar``. A numeric segment also finds an int
map key (v1 mocks key modules by int) when no string key matches. ``*`` (splat) applies the rest of
the path to every element of a list; a literal ``*`` key wins when present. Keys containing ``.``
cannot be addressed.

Choices where the documentation is silent:

- splat also walks a map's values, so ``"resource_changes.*.type"`` works on maps keyed by address;
- ``get`` with a splat collects the elements that have the rest of the path, skipping the others;
- ``get`` returns the default for an undefined or null object and for an undefined path, since the
  documentation promises the default whenever nothing is found; ``has`` is true when the path exists
  (with a splat: for at least one element), even if the value stored there is null;
- ``pick`` keeps the original nesting, lists included: picked list elements keep their order but
  not their indexes (``pick(o, ["baz.1.qux"])`` gives ``{"baz": [{"qux": 10}]}``, as documented);
- ``set`` creates missing map keys along the path but gives undefined when the path runs into a
  scalar, a null or a list index out of range (rather than overwriting data or failing);
- ``unset``/``omit`` remove list elements too, closing the gap, and ignore missing paths.

Results are deep copies, never sharing lists or maps with the arguments.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import deep_copy, expect_list, expect_str, native, type_error
from tfc_sentinel.lang.values import UNDEFINED, Value

_INDEX: Final = re.compile(r"-?[0-9]{1,19}", re.ASCII)
_SPLAT: Final = "*"


class _Missing:
    __slots__ = ()


_MISSING: Final = _Missing()


def _segments(name: str, path: Value, index: int = 2) -> list[str]:
    return expect_str(name, path, index).split(".")


def _map_key(node: dict[Value, Value], segment: str) -> tuple[bool, Value]:
    if segment in node:
        return True, segment
    if _INDEX.fullmatch(segment):
        number = int(segment)
        if number in node:
            return True, number
    return False, None


def _list_index(node: list[Value], segment: str) -> int | None:
    if not _INDEX.fullmatch(segment):
        return None
    index = int(segment)
    if index < 0:
        index += len(node)
    return index if 0 <= index < len(node) else None


def _is_splat(node: Value, segment: str) -> bool:
    return segment == _SPLAT and not (isinstance(node, dict) and _SPLAT in node)


def _children(node: Value) -> list[Value]:
    return list(node.values()) if isinstance(node, dict) else list(node)


def _step(node: Value, segment: str) -> Value:
    """The child of ``node`` at one path segment, or _MISSING."""
    if isinstance(node, dict):
        found, key = _map_key(node, segment)
        return node[key] if found else _MISSING
    if isinstance(node, list):
        index = _list_index(node, segment)
        return _MISSING if index is None else node[index]
    return _MISSING


def _lookup(node: Value, segments: list[str], start: int) -> Value:
    for position in range(start, len(segments)):
        segment = segments[position]
        if isinstance(node, (dict, list)) and _is_splat(node, segment):
            results = []
            for child in _children(node):
                found = _lookup(child, segments, position + 1)
                if found is not _MISSING and found is not UNDEFINED:
                    results.append(found)
            return results
        node = _step(node, segment)
        if node is _MISSING:
            return _MISSING
    return node


def _exists(node: Value, segments: list[str], start: int) -> bool:
    for position in range(start, len(segments)):
        segment = segments[position]
        if isinstance(node, (dict, list)) and _is_splat(node, segment):
            return any(_exists(child, segments, position + 1) for child in _children(node))
        node = _step(node, segment)
        if node is _MISSING:
            return False
    return True


def _collection(name: str, obj: Value) -> dict[Value, Value] | list[Value]:
    if isinstance(obj, (dict, list)):
        return obj
    type_error(name, "a map", 1, obj)


def get(obj: Value, path: Value, default: Value = UNDEFINED) -> Value:
    name = "maps.get"
    if obj is UNDEFINED or obj is None or path is UNDEFINED:
        return default
    found = _lookup(_collection(name, obj), _segments(name, path), 0)
    return default if found is _MISSING or found is UNDEFINED else found


def has(obj: Value, path: Value) -> bool:
    name = "maps.has"
    if obj is None:
        return False
    return _exists(_collection(name, obj), _segments(name, path), 0)


def _pick(ctx: ImportContext, node: Value, paths: list[list[str]]) -> Value:
    if any(not path for path in paths):
        return deep_copy("maps.pick", node, ctx.max_items)
    if isinstance(node, dict):
        groups: dict[Value, list[list[str]]] = {}
        for path in paths:
            if _is_splat(node, path[0]):
                keys = list(node)
            else:
                found, key = _map_key(node, path[0])
                keys = [key] if found else []
            for key in keys:
                groups.setdefault(key, []).append(path[1:])
        picked = {}
        for key, value in node.items():
            if key in groups and (sub := _pick(ctx, value, groups[key])) is not _MISSING:
                picked[key] = sub
        return picked if picked else _MISSING
    if isinstance(node, list):
        by_index: dict[int, list[list[str]]] = {}
        for path in paths:
            if path[0] == _SPLAT:
                indexes: list[int] = list(range(len(node)))
            else:
                index = _list_index(node, path[0])
                indexes = [] if index is None else [index]
            for index in indexes:
                by_index.setdefault(index, []).append(path[1:])
        items = [_pick(ctx, node[index], by_index[index]) for index in sorted(by_index)]
        kept = [item for item in items if item is not _MISSING]
        return kept if kept else _MISSING
    return _MISSING


def pick(ctx: ImportContext, obj: Value, paths: Value) -> Value:
    name = "maps.pick"
    root = _collection(name, obj)
    segment_lists = [_segments(name, path, 2) for path in expect_list(name, paths, 2)]
    picked = _pick(ctx, root, segment_lists) if segment_lists else _MISSING
    if picked is _MISSING:
        return {} if isinstance(root, dict) else []
    return picked


def _assign(ctx: ImportContext, node: Value, segments: list[str], position: int, value: Value) -> bool:
    """Set ``value`` at the path inside ``node`` (a private copy); False when the path is invalid."""
    segment = segments[position]
    last = position == len(segments) - 1
    if isinstance(node, dict):
        if _is_splat(node, segment):
            keys = list(node)
        else:
            found, key = _map_key(node, segment)
            keys = [key if found else segment]
        for key in keys:
            if last:
                node[key] = deep_copy("maps.set", value, ctx.max_items)
                continue
            if key not in node:
                node[key] = {}
            if not _assign(ctx, node[key], segments, position + 1, value):
                return False
        return True
    if isinstance(node, list):
        if segment == _SPLAT:
            indexes: list[int] = list(range(len(node)))
        else:
            index = _list_index(node, segment)
            if index is None:
                return False
            indexes = [index]
        for index in indexes:
            if last:
                node[index] = deep_copy("maps.set", value, ctx.max_items)
            elif not _assign(ctx, node[index], segments, position + 1, value):
                return False
        return True
    return False


def set_(ctx: ImportContext, obj: Value, path: Value, value: Value) -> Value:
    name = "maps.set"
    root = deep_copy(name, _collection(name, obj), ctx.max_items)
    return root if _assign(ctx, root, _segments(name, path), 0, value) else UNDEFINED


def _remove(node: Value, segments: list[str], position: int) -> None:
    segment = segments[position]
    last = position == len(segments) - 1
    if isinstance(node, dict):
        if _is_splat(node, segment):
            keys = list(node)
        else:
            found, key = _map_key(node, segment)
            keys = [key] if found else []
        for key in keys:
            if last:
                del node[key]
            else:
                _remove(node[key], segments, position + 1)
    elif isinstance(node, list):
        if segment == _SPLAT:
            indexes: list[int] = list(range(len(node)))
        else:
            index = _list_index(node, segment)
            indexes = [] if index is None else [index]
        for index in sorted(indexes, reverse=True):
            if last:
                del node[index]
            else:
                _remove(node[index], segments, position + 1)


def unset(ctx: ImportContext, obj: Value, path: Value) -> Value:
    name = "maps.unset"
    root = deep_copy(name, _collection(name, obj), ctx.max_items)
    _remove(root, _segments(name, path), 0)
    return root


def omit(ctx: ImportContext, obj: Value, paths: Value) -> Value:
    name = "maps.omit"
    root = deep_copy(name, _collection(name, obj), ctx.max_items)
    for path in expect_list(name, paths, 2):
        _remove(root, _segments(name, path), 0)
    return root


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "get": native("maps.get", get, 2, 3, undefined=False),
        "has": native("maps.has", has, 2),
        "omit": native("maps.omit", partial(omit, ctx), 2),
        "pick": native("maps.pick", partial(pick, ctx), 2),
        "set": native("maps.set", partial(set_, ctx), 3),
        "unset": native("maps.unset", partial(unset, ctx), 2),
    }
