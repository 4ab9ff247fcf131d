"""Packing (flat, 0600, uid/gid 0, deterministic) and atomic writing of bundles."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tfc_sentinel.bundle import (
    BundleError,
    build_bundle_archive,
    build_mock_files,
    pack_bundle,
    unpack_bundle,
    write_bundle,
)
from tfc_sentinel.bundle.archive import MEMBER_MTIME


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getmembers()


def test_archive_is_flat_and_owned_by_root_with_mode_0600(mixed_plan: dict[str, Any]) -> None:
    data = build_bundle_archive(mixed_plan)
    members = _members(data)
    assert [m.name for m in members] == list(build_mock_files(mixed_plan))
    for member in members:
        assert member.isreg()
        assert "/" not in member.name
        assert member.mode == 0o600
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == MEMBER_MTIME


def test_archive_members_hold_the_mock_text(mixed_plan: dict[str, Any], run_metadata: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan, run_metadata)
    with tarfile.open(fileobj=io.BytesIO(build_bundle_archive(mixed_plan, run_metadata)), mode="r:gz") as tar:
        for name, text in files.items():
            handle = tar.extractfile(name)
            assert handle is not None
            assert handle.read().decode("utf-8") == text


def test_archive_bytes_are_deterministic(mixed_plan: dict[str, Any], run_metadata: dict[str, Any]) -> None:
    first = build_bundle_archive(mixed_plan, run_metadata)
    second = build_bundle_archive(dict(reversed(list(mixed_plan.items()))), run_metadata)
    assert first == second
    # gzip header: no timestamp, no file name.
    assert first[:2] == b"\x1f\x8b" and first[4:8] == b"\x00\x00\x00\x00" and not first[3] & 0x08
    assert gzip.decompress(first)


def test_run_metadata_changes_the_archive(mixed_plan: dict[str, Any], run_metadata: dict[str, Any]) -> None:
    assert build_bundle_archive(mixed_plan) != build_bundle_archive(mixed_plan, run_metadata)


@pytest.mark.parametrize("name", ["dir/file", "../x", "", ".."])
def test_pack_refuses_non_flat_names(name: str) -> None:
    with pytest.raises(BundleError, match="plain file name"):
        pack_bundle({"sentinel.hcl": "", name: "x"})


def test_pack_refuses_nothing() -> None:
    with pytest.raises(BundleError, match="at least"):
        pack_bundle({})


def test_write_bundle_directory(tmp_path: Path, mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan)
    dest = write_bundle(files, tmp_path / "bundle")
    assert sorted(p.name for p in dest.iterdir()) == sorted(files)
    assert (dest / "mock-tfplan-v2.sentinel").read_text(encoding="utf-8") == files["mock-tfplan-v2.sentinel"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]  # no temporary siblings left


def test_write_bundle_replaces_an_existing_directory_whole(
    tmp_path: Path, mixed_plan: dict[str, Any]
) -> None:
    dest = tmp_path / "bundle"
    dest.mkdir()
    (dest / "stale.sentinel").write_text("old")
    write_bundle(build_mock_files(mixed_plan), dest)
    assert not (dest / "stale.sentinel").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


@pytest.mark.parametrize("suffix", [".tar.gz", ".tgz"])
def test_write_bundle_archive(tmp_path: Path, mixed_plan: dict[str, Any], suffix: str) -> None:
    files = build_mock_files(mixed_plan)
    dest = write_bundle(files, tmp_path / f"bundle{suffix}")
    assert dest.read_bytes() == pack_bundle(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"bundle{suffix}"]


def test_failed_directory_write_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "bundle"
    with pytest.raises(BundleError, match="plain file name"):
        write_bundle({"sentinel.hcl": "x", "a/b": "y"}, dest)
    assert list(tmp_path.iterdir()) == []


def test_failed_directory_write_keeps_the_old_bundle(tmp_path: Path) -> None:
    dest = tmp_path / "bundle"
    dest.mkdir()
    (dest / "sentinel.hcl").write_text("old")
    with pytest.raises(BundleError):
        write_bundle({"sentinel.hcl": "new", "../escape": "y"}, dest)
    assert (dest / "sentinel.hcl").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_failed_archive_write_keeps_the_old_archive(tmp_path: Path) -> None:
    dest = tmp_path / "bundle.tar.gz"
    dest.write_bytes(b"old archive")
    with pytest.raises(BundleError):
        write_bundle({"sentinel.hcl": "x", "a/b": "y"}, dest)
    assert dest.read_bytes() == b"old archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.tar.gz"]


def test_write_bundle_needs_an_existing_parent(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        write_bundle({"sentinel.hcl": ""}, tmp_path / "missing" / "bundle.tar.gz")


def test_write_bundle_refuses_a_directory_where_the_archive_goes(tmp_path: Path) -> None:
    (tmp_path / "bundle.tar.gz").mkdir()
    with pytest.raises(BundleError, match="directory is in the way"):
        write_bundle({"sentinel.hcl": ""}, tmp_path / "bundle.tar.gz")


def test_written_archive_unpacks_to_the_same_files(tmp_path: Path, mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan)
    archive = write_bundle(files, tmp_path / "bundle.tar.gz")
    dest = unpack_bundle(archive, tmp_path / "unpacked")
    assert {p.name: p.read_text(encoding="utf-8") for p in dest.iterdir()} == files
    for path in dest.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
