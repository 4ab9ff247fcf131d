"""One rule for tests that need something outside Python (a schema file, curl, chromium)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    """Fail under ``CI=true`` (CI must provide it); skip on a developer machine that lacks it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must provide it)")
    pytest.skip(message)  # never reached under CI=true
