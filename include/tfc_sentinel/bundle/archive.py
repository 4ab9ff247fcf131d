"""Pack mock files into the flat, deterministic ``.tar.gz`` Terraform Cloud serves for a plan export.

Same input, same bytes: members are regular files with mode 0600, uid/gid 0, no owner names and a fixed
mtime, and the gzip header carries no timestamp or file name. That lets the emulator serve stable
downloads and lets tests compare archives byte for byte.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping
from typing import Any, Final

from tfc_sentinel.bundle.errors import BundleError

__all__ = ["MEMBER_MODE", "MEMBER_MTIME", "build_bundle_archive", "pack_bundle"]

MEMBER_MODE: Final = 0o600
# 2020-01-01T00:00:00Z: a fixed, plausible time (some tools warn about members dated 1970).
MEMBER_MTIME: Final = 1577836800
_COMPRESS_LEVEL: Final = 6


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise BundleError(f"bundle member name {name!r} must be a plain file name (bundles are flat)")


def pack_bundle(files: Mapping[str, str | bytes]) -> bytes:
    """Return a gzip tar holding ``files`` (name → text or bytes) at its top level, in the given order."""
    if not files:
        raise BundleError("a mock bundle needs at least sentinel.hcl; got no files to pack")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in files.items():
            _check_name(name)
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = MEMBER_MODE
            info.mtime = MEMBER_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    # GzipFile, not gzip.compress: it takes mtime=0 and writes no file name into the header.
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=_COMPRESS_LEVEL, mtime=0) as gz:
        gz.write(raw.getbuffer())
    return out.getvalue()


def build_bundle_archive(
    plan: Mapping[str, Any], run: Mapping[str, Any] | None = None, *, scrub_sensitive: bool = False
) -> bytes:
    """Return the ``sentinel-mock-bundle-v0`` archive for a ``terraform show -json`` plan and run metadata."""
    from tfc_sentinel.bundle.writer import build_mock_files

    return pack_bundle(build_mock_files(plan, run, scrub_sensitive=scrub_sensitive))
