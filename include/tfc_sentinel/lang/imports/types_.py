"""The ``types`` import: ``type_of(x)`` names a value's type.

Named ``types_`` so it never shadows Python's ``types`` module. Besides the documented names
(``bool string int float null undefined list map``) it reports ``func`` and ``rule``; import
objects and the objects imports return (decimals, timespaces, versions) are maps, so they report
``map``.
"""

from __future__ import annotations

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import native
from tfc_sentinel.lang.values import Value, type_name


def type_of(value: Value) -> str:
    return type_name(value)


def build(ctx: ImportContext) -> dict[str, Value]:
    return {"type_of": native("types.type_of", type_of, 1, undefined=False)}
