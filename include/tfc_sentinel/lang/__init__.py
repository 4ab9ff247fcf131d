"""Pure-Python Sentinel language engine.

Knows nothing of files on disk, HTTP or Airflow: callers pass source text and a display filename.
The syntax half (scanner, AST, parser) lives in :mod:`tfc_sentinel.lang.syntax`; the evaluator
(:func:`compile_policy`, :func:`evaluate`) in :mod:`tfc_sentinel.lang.program`.
"""

from .errors import (
    SentinelError,
    SentinelImportError,
    SentinelLimitError,
    SentinelRuntimeError,
    SentinelUserError,
)
from .limits import Limits
from .program import (
    Importer,
    ModuleImporter,
    Program,
    compile_module,
    compile_policy,
    default_importer,
    evaluate,
    evaluate_module,
    stdlib_importer,
)
from .result import PolicyResult, RuleOutcome
from .syntax import ast
from .syntax.errors import Position, SentinelSyntaxError
from .syntax.parser import DEFAULT_MAX_DEPTH, parse

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "Importer",
    "Limits",
    "ModuleImporter",
    "PolicyResult",
    "Position",
    "Program",
    "RuleOutcome",
    "SentinelError",
    "SentinelImportError",
    "SentinelLimitError",
    "SentinelRuntimeError",
    "SentinelSyntaxError",
    "SentinelUserError",
    "ast",
    "compile_module",
    "compile_policy",
    "default_importer",
    "evaluate",
    "evaluate_module",
    "parse",
    "stdlib_importer",
]
