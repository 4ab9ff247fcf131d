"""Sentinel mock bundles: write them from plan JSON, pack them, unpack them safely, load them.

``build_bundle_archive(plan, run)`` gives the bytes Terraform Cloud would serve for a plan export
(``sentinel-mock-bundle-v0``); ``unpack_bundle`` is the only way archives from elsewhere should reach
disk, and ``Bundle.load`` reads an unpacked bundle's ``sentinel.hcl``.
"""

from __future__ import annotations

from tfc_sentinel.bundle.archive import build_bundle_archive, pack_bundle
from tfc_sentinel.bundle.errors import (
    ArchiveTooLargeError,
    BundleError,
    CorruptArchiveError,
    DuplicateMemberError,
    EmptyArchiveError,
    InvalidBundleError,
    NestedArchiveError,
    NotGzipError,
    TooManyMembersError,
    UnsafeMemberError,
)
from tfc_sentinel.bundle.layout import CONFIG_FILE, IMPORT_FILES, MOCK_FILES, sentinel_hcl
from tfc_sentinel.bundle.literal import UNDEFINED, render
from tfc_sentinel.bundle.model import Bundle
from tfc_sentinel.bundle.unpack import UnpackLimits, unpack_bundle
from tfc_sentinel.bundle.writer import build_mock_files, write_bundle

__all__ = [
    "CONFIG_FILE",
    "IMPORT_FILES",
    "MOCK_FILES",
    "UNDEFINED",
    "ArchiveTooLargeError",
    "Bundle",
    "BundleError",
    "CorruptArchiveError",
    "DuplicateMemberError",
    "EmptyArchiveError",
    "InvalidBundleError",
    "NestedArchiveError",
    "NotGzipError",
    "TooManyMembersError",
    "UnpackLimits",
    "UnsafeMemberError",
    "build_bundle_archive",
    "build_mock_files",
    "pack_bundle",
    "render",
    "sentinel_hcl",
    "unpack_bundle",
    "write_bundle",
]
