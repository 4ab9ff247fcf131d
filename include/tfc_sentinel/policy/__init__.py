"""Policy sets: ``sentinel.hcl`` configuration, ``sentinel test`` discovery, and engine backends.

Importing this package is cheap: python-hcl2 is loaded only when a file is parsed.
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
    "discover_policies",
    "filter_policies",
    "is_remote_source",
    "load_policy_set",
    "load_test_case",
]
