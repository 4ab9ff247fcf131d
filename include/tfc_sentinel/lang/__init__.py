"""Pure-Python Sentinel language engine.

Knows nothing of files on disk, HTTP or Airflow: callers pass source text and a display filename.
The syntax half (scanner, AST, parser) lives in :mod:`tfc_sentinel.lang.syntax`.
"""

from .syntax import ast
from .syntax.errors import Position, SentinelSyntaxError
from .syntax.parser import DEFAULT_MAX_DEPTH, parse

__all__ = ["DEFAULT_MAX_DEPTH", "Position", "SentinelSyntaxError", "ast", "parse"]
