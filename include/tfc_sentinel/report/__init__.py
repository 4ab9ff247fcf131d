"""Policy results: one model for ``test`` and ``apply``, rendered as JSON, JUnit, HTML, Markdown and text.

Build a :class:`RunResult` (the runner and the backends do), then pick a renderer:

* :func:`tfc_sentinel.report.json.to_json` / ``from_json`` - the versioned JSON report (``SCHEMA.md``);
* :func:`tfc_sentinel.report.junit.render_junit` - JUnit XML for CI;
* :func:`tfc_sentinel.report.html.render_html` - one self-contained page;
* :func:`tfc_sentinel.report.markdown.render_markdown` - Terraform Cloud comments and run tasks;
* :func:`tfc_sentinel.report.text.render_text` - the terminal (``sentinel test`` layout);
* :func:`tfc_sentinel.report.sentinel_json.to_sentinel_test_json` - the ``sentinel test -json`` shape.

Renderers are imported lazily (``render(run, "html")``) so reading a report costs only the model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Final

from .model import (
    AssertionResult,
    CaseResult,
    Counts,
    EnforcementLevel,
    EngineInfo,
    Outcome,
    PolicyResult,
    Position,
    RuleResult,
    RunKind,
    RunOutcome,
    RunResult,
    Violation,
    outcome_from_cases,
)
from .violations import find_violations

__all__ = [
    "FORMATS",
    "AssertionResult",
    "CaseResult",
    "Counts",
    "EnforcementLevel",
    "EngineInfo",
    "Outcome",
    "PolicyResult",
    "Position",
    "RuleResult",
    "RunKind",
    "RunOutcome",
    "RunResult",
    "Violation",
    "find_violations",
    "outcome_from_cases",
    "render",
]

FORMATS: Final[dict[str, tuple[str, str]]] = {
    "json": ("json", "to_json"),
    "junit": ("junit", "render_junit"),
    "html": ("html", "render_html"),
    "markdown": ("markdown", "render_markdown"),
    "text": ("text", "render_text"),
    "sentinel-json": ("sentinel_json", "to_sentinel_test_json"),
    "sentinel-apply-json": ("sentinel_json", "to_sentinel_apply_json"),
}
"""Format name -> (module, function); each function takes the run and returns text."""


def render(run: RunResult, fmt: str) -> str:
    """The run rendered in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        module_name, function_name = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; use one of: {', '.join(FORMATS)}") from None
    module = importlib.import_module(f"{__name__}.{module_name}")
    function: Callable[[RunResult], str] = getattr(module, function_name)
    return function(run)
