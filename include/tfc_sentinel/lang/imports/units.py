"""The ``units`` import: base-2 byte units as ints, so ``size * units.gigabyte`` stays exact."""

from __future__ import annotations

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.values import Value


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "kilobyte": 1024,
        "megabyte": 1024**2,
        "gigabyte": 1024**3,
        "terabyte": 1024**4,
        "petabyte": 1024**5,
    }
