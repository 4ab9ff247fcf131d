"""The ``runtime`` import: facts about the engine, ``runtime.version`` above all.

Its content is whatever the caller put in :attr:`ImportContext.runtime_info` (by default the
Sentinel version whose documented behaviour this engine follows), copied so a policy cannot change
the context through it.
"""

from __future__ import annotations

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import deep_copy
from tfc_sentinel.lang.values import Value


def build(ctx: ImportContext) -> dict[str, Value]:
    info: dict[str, Value] = deep_copy("runtime", dict(ctx.runtime_info), ctx.max_items)
    return info
