"""Errors raised while writing, packing or unpacking mock bundles.

Every message names the archive (and member, when there is one) and says what to do, because these
errors end up in Airflow task logs read by people who did not write the bundle.
"""

from __future__ import annotations

__all__ = [
    "ArchiveTooLargeError",
    "BundleError",
    "CorruptArchiveError",
    "DuplicateMemberError",
    "EmptyArchiveError",
    "InvalidBundleError",
    "NestedArchiveError",
    "NotGzipError",
    "TooManyMembersError",
    "UnsafeMemberError",
]


class BundleError(Exception):
    """Base class: a mock bundle could not be written, packed, unpacked or loaded."""


class NotGzipError(BundleError):
    """The file is not gzip-compressed (wrong download, an HTML error page, a plain tar)."""


class CorruptArchiveError(BundleError):
    """The gzip stream or tar structure is damaged or truncated."""


class EmptyArchiveError(BundleError):
    """The archive holds no files."""


class UnsafeMemberError(BundleError):
    """A member would escape the destination or is not a regular file: absolute path, ``..``, link, device."""


class DuplicateMemberError(BundleError):
    """Two members have the same name; which one wins would depend on the unpacker."""


class TooManyMembersError(BundleError):
    """More members than ``UnpackLimits.max_members``."""


class ArchiveTooLargeError(BundleError):
    """A member or the total decompressed size exceeds the limits (e.g. a gzip bomb)."""


class NestedArchiveError(BundleError):
    """A member is itself an archive; bundles are flat Sentinel source and never nest archives."""


class InvalidBundleError(BundleError):
    """An unpacked directory is not a usable mock bundle (no or bad ``sentinel.hcl``, missing files)."""
