"""Policy sets: ``sentinel.hcl`` configuration, ``sentinel test`` discovery, engine backends, the runner.

:func:`run_tests` and :func:`apply_policy_set` are what the CLI and Airflow call. Importing this package
is cheap: python-hcl2 is loaded only when a file is parsed.
"""

from __future__ import annotations

from .config import (
    CONFIG_FILES,
    EnforcementLevel,
    ImportConfig,
    ImportKind,
    Location,
    MockConfig,
    ModuleSource,
    PolicyConfig,
    PolicySetConfig,
    TestCase,
    is_remote_source,
    load_policy_set,
    load_test_case,
)
from .discovery import DiscoveredCase, DiscoveredPolicy, discover_policies, filter_policies
from .errors import (
    BackendError,
    BackendOutputError,
    BackendTimeoutError,
    BinaryNotFoundError,
    ConfigError,
    ConfigSyntaxError,
    DiscoveryError,
    PolicyError,
    UnsupportedConfigError,
)
from .runner import apply_policy_set, run_tests

__all__ = [
    "CONFIG_FILES",
    "BackendError",
    "BackendOutputError",
    "BackendTimeoutError",
    "BinaryNotFoundError",
    "ConfigError",
    "ConfigSyntaxError",
    "DiscoveredCase",
    "DiscoveredPolicy",
    "DiscoveryError",
    "EnforcementLevel",
    "ImportConfig",
    "ImportKind",
    "Location",
    "MockConfig",
    "ModuleSource",
    "PolicyConfig",
    "PolicyError",
    "PolicySetConfig",
    "TestCase",
    "UnsupportedConfigError",
    "apply_policy_set",
    "discover_policies",
    "filter_policies",
    "is_remote_source",
    "load_policy_set",
    "load_test_case",
    "run_tests",
]
