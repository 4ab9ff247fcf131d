"""Syntax half of the Sentinel engine: tokens, scanner, AST and parser (no evaluation here)."""

from . import ast
from .errors import Position, SentinelSyntaxError, Source
from .parser import DEFAULT_MAX_DEPTH, parse
from .scanner import Token, tokenize

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "Position",
    "SentinelSyntaxError",
    "Source",
    "Token",
    "ast",
    "parse",
    "tokenize",
]
