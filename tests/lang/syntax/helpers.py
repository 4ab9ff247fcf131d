"""Test helpers: the plain value of a literal AST, and Sentinel text for JSON-like data."""

from __future__ import annotations

import json

from tfc_sentinel.lang import ast

_NAMES = {"true": True, "false": False, "null": None}


def literal_value(node: ast.Expr) -> object:
    """Python data of a literal subtree, whether it came as nodes or as one :class:`ast.Constant`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.MapLit):
        return {literal_value(k): literal_value(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.ListLit):
        return [literal_value(e) for e in node.elts]
    if isinstance(node, (ast.String, ast.Int, ast.Float)):
        return node.value
    if isinstance(node, ast.Ident) and node.name in _NAMES:
        return _NAMES[node.name]
    raise AssertionError(f"not a literal: {node!r}")


def to_sentinel(value: object, indent: str = "") -> str:
    """Sentinel text for JSON data, formatted like generated mocks (tabs, trailing commas)."""
    inner = indent + "\t"
    if isinstance(value, dict) and value:
        items = "".join(
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_sentinel(v, inner)},\n"
            for k, v in value.items()
        )
        return "{\n" + items + indent + "}"
    if isinstance(value, list) and value:
        return "[\n" + "".join(f"{inner}{to_sentinel(v, inner)},\n" for v in value) + indent + "]"
    return json.dumps(value, ensure_ascii=False)
