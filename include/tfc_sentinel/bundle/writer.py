"""Turn plan JSON (plus optional run metadata) into the files of a mock bundle, and write them safely.

``write_bundle`` never leaves a half-written bundle: it writes into a temporary sibling of ``dest``
(same filesystem, so the final ``rename`` is atomic) and only then moves it into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfc_sentinel.bundle.errors import BundleError
from tfc_sentinel.bundle.layout import CONFIG_FILE, sentinel_hcl
from tfc_sentinel.bundle.planjson import NOT_A_PLAN_HINT, is_plan
from tfc_sentinel.bundle.sensitive import scrub_plan
from tfc_sentinel.bundle.tfconfig import tfconfig_v1_source, tfconfig_v2_source
from tfc_sentinel.bundle.tfplan import tfplan_v1_source, tfplan_v2_source
from tfc_sentinel.bundle.tfrun import tfrun_source
from tfc_sentinel.bundle.tfstate import tfstate_v1_source, tfstate_v2_source

__all__ = ["ARCHIVE_SUFFIXES", "build_mock_files", "is_archive_path", "write_bundle"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def build_mock_files(
    plan: Mapping[str, Any], run: Mapping[str, Any] | None = None, *, scrub_sensitive: bool = False
) -> dict[str, str]:
    """Return ``{file name: text}`` for a bundle: ``sentinel.hcl`` first, then the mocks by name.

    Sensitive values are kept as the plan JSON has them unless ``scrub_sensitive`` (see ``sensitive``).
    """
    if not is_plan(plan):
        raise BundleError(f"not a Terraform plan: {NOT_A_PLAN_HINT}")
    if scrub_sensitive:
        plan = scrub_plan(plan)
    return {
        CONFIG_FILE: sentinel_hcl(),
        "mock-tfconfig-v2.sentinel": tfconfig_v2_source(plan),
        "mock-tfconfig.sentinel": tfconfig_v1_source(plan),
        "mock-tfplan-v2.sentinel": tfplan_v2_source(plan),
        "mock-tfplan.sentinel": tfplan_v1_source(plan),
        "mock-tfrun.sentinel": tfrun_source(run),
        "mock-tfstate-v2.sentinel": tfstate_v2_source(plan),
        "mock-tfstate.sentinel": tfstate_v1_source(plan),
    }


def is_archive_path(dest: str | os.PathLike[str]) -> bool:
    return str(dest).lower().endswith(ARCHIVE_SUFFIXES)


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise BundleError(f"bundle file name {name!r} must be a plain file name (bundles are flat)")


def _write_archive(files: Mapping[str, str | bytes], dest: Path) -> None:
    from tfc_sentinel.bundle.archive import pack_bundle

    data = pack_bundle(files)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _write_directory(files: Mapping[str, str | bytes], dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise BundleError(f"cannot write a bundle directory at {dest}: a file is in the way; remove it first")
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    old: Path | None = None
    try:
        for name, content in files.items():
            _check_name(name)
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            (tmp / name).write_bytes(data)
        os.chmod(tmp, 0o755)
        if dest.exists():
            # Swap in two renames so readers see the old bundle or the new one, never a mix.
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.rmdir(old)
            os.rename(dest, old)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not dest.exists():
            os.rename(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_bundle(files: Mapping[str, str | bytes], dest: str | os.PathLike[str]) -> Path:
    """Write ``files`` to ``dest`` and return its path.

    ``dest`` ending in ``.tar.gz``/``.tgz`` gets a packed archive; anything else a directory (an
    existing one is replaced as a whole). The parent directory must exist.
    """
    target = Path(dest)
    if not files:
        raise BundleError(f"refusing to write an empty bundle to {target}")
    if not target.parent.is_dir():
        raise BundleError(f"cannot write bundle {target}: directory {target.parent} does not exist")
    if is_archive_path(target):
        if target.is_dir():
            raise BundleError(f"cannot write archive {target}: a directory is in the way; remove it first")
        _write_archive(files, target)
    else:
        _write_directory(files, target)
    return target
