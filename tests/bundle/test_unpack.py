"""Safe unpacking: round trip, and every kind of hostile archive refused with nothing left behind."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tfc_sentinel.bundle import (
    ArchiveTooLargeError,
    BundleError,
    CorruptArchiveError,
    DuplicateMemberError,
    EmptyArchiveError,
    NestedArchiveError,
    NotGzipError,
    TooManyMembersError,
    UnpackLimits,
    UnsafeMemberError,
    build_bundle_archive,
    build_mock_files,
    pack_bundle,
    unpack_bundle,
)

MiB = 1024 * 1024


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    return info, data


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _bundle_plus(*extra: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    return _gz(
        _tar(
            [
                _file("sentinel.hcl", b'mock "tfrun" {\n  module {\n    source = "m.sentinel"\n  }\n}\n'),
                *extra,
            ]
        )
    )


def _write(tmp_path: Path, data: bytes, name: str = "bundle.tar.gz") -> Path:
    incoming = tmp_path / "incoming"
    incoming.mkdir(exist_ok=True)
    path = incoming / name
    path.write_bytes(data)
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """Where dest goes; the test checks that nothing besides dest's absence is left here."""
    out = tmp_path / "out"
    out.mkdir()
    yield out


def _assert_refused(
    tmp_path: Path,
    workdir: Path,
    data: bytes,
    error: type[BundleError],
    match: str,
    limits: UnpackLimits | None = None,
) -> BundleError:
    archive = _write(tmp_path, data)
    dest = workdir / "bundle"
    with pytest.raises(error, match=match) as caught:
        unpack_bundle(archive, dest, limits)
    assert str(archive) in str(caught.value)
    assert not dest.exists()
    assert list(workdir.iterdir()) == []  # no temp dirs beside dest either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming", "out"]
    return caught.value


def test_round_trip(tmp_path: Path, workdir: Path, mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan)
    archive = _write(tmp_path, build_bundle_archive(mixed_plan))
    dest = unpack_bundle(archive, workdir / "bundle")
    assert dest == workdir / "bundle"
    assert {p.name: p.read_text(encoding="utf-8") for p in dest.iterdir()} == files
    assert [p.name for p in workdir.iterdir()] == ["bundle"]


def test_extra_members_and_light_nesting_are_tolerated(tmp_path: Path, workdir: Path) -> None:
    readme = tarfile.TarInfo("docs")
    readme.type = tarfile.DIRTYPE
    data = _bundle_plus(
        _file("README.md", b"hello"), (readme, None), _file("docs/notes.txt", b"n"), _file("./m.sentinel")
    )
    dest = unpack_bundle(_write(tmp_path, data), workdir / "bundle")
    assert (dest / "README.md").read_bytes() == b"hello"
    assert (dest / "docs" / "notes.txt").read_bytes() == b"n"
    assert (dest / "m.sentinel").exists()


def test_existing_destination_is_refused_unless_overwrite(tmp_path: Path, workdir: Path) -> None:
    archive = _write(tmp_path, pack_bundle({"sentinel.hcl": "new"}))
    dest = workdir / "bundle"
    dest.mkdir()
    (dest / "old").write_text("old")
    with pytest.raises(BundleError, match="not empty"):
        unpack_bundle(archive, dest)
    assert (dest / "old").exists()
    unpack_bundle(archive, dest, overwrite=True)
    assert sorted(p.name for p in dest.iterdir()) == ["sentinel.hcl"]
    assert [p.name for p in workdir.iterdir()] == ["bundle"]


def test_empty_existing_destination_is_fine(tmp_path: Path, workdir: Path) -> None:
    (workdir / "bundle").mkdir()
    unpack_bundle(_write(tmp_path, pack_bundle({"sentinel.hcl": "x"})), workdir / "bundle")
    assert (workdir / "bundle" / "sentinel.hcl").read_text() == "x"


def test_missing_archive(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        unpack_bundle(tmp_path / "nope.tar.gz", workdir / "bundle")
    assert list(workdir.iterdir()) == []


def test_missing_destination_parent(tmp_path: Path) -> None:
    archive = _write(tmp_path, pack_bundle({"sentinel.hcl": "x"}))
    with pytest.raises(BundleError, match="does not exist"):
        unpack_bundle(archive, tmp_path / "no" / "bundle")


HOSTILE: dict[str, tuple[Callable[[], bytes], type[BundleError], str]] = {
    "plain tar": (lambda: _tar([_file("sentinel.hcl")]), NotGzipError, "not a gzip file"),
    "html page": (lambda: b"<html>502 Bad Gateway</html>", NotGzipError, "not a gzip file"),
    "zero bytes": (lambda: b"", NotGzipError, "empty"),
    "corrupt gzip": (
        lambda: (lambda d: d[:20] + bytes(b ^ 0xFF for b in d[20:60]) + d[60:])(
            pack_bundle({"a": "x" * 5000})
        ),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "truncated gzip": (
        lambda: (lambda d: d[: len(d) // 2])(pack_bundle({"a": "sentinel " * 2000})),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "bad crc": (
        lambda: (lambda d: d[:-8] + bytes([d[-8] ^ 1]) + d[-7:])(pack_bundle({"a": "x"})),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "truncated tar": (
        lambda: _gz(_tar([_file("sentinel.hcl", b"y" * 4000)])[:1536]),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "garbage tar": (lambda: _gz(b"\x01" * 2048), CorruptArchiveError, "corrupt or truncated"),
    "empty tar": (lambda: _gz(_tar([])), EmptyArchiveError, "holds no files"),
    "empty gzip": (lambda: _gz(b""), EmptyArchiveError, "holds no files"),
    "only a directory": (
        lambda: _gz(_tar([_special("docs", tarfile.DIRTYPE)])),
        EmptyArchiveError,
        "holds no files",
    ),
    "absolute path": (lambda: _bundle_plus(_file("/etc/cron.d/evil")), UnsafeMemberError, "absolute path"),
    "windows absolute path": (lambda: _bundle_plus(_file("C:/evil")), UnsafeMemberError, "absolute path"),
    "dot-dot": (lambda: _bundle_plus(_file("../evil.sentinel")), UnsafeMemberError, r"'\.\.'"),
    "dot-dot inside": (lambda: _bundle_plus(_file("a/../../evil")), UnsafeMemberError, r"'\.\.'"),
    "backslash": (lambda: _bundle_plus(_file("..\\evil")), UnsafeMemberError, "backslash"),
    "symlink": (
        lambda: _bundle_plus(_special("mock-tfplan.sentinel", tarfile.SYMTYPE, "/etc/passwd")),
        UnsafeMemberError,
        "symlink",
    ),
    "hardlink": (
        lambda: _bundle_plus(_special("mock-tfplan.sentinel", tarfile.LNKTYPE, "sentinel.hcl")),
        UnsafeMemberError,
        "hardlink",
    ),
    "char device": (lambda: _bundle_plus(_special("null", tarfile.CHRTYPE)), UnsafeMemberError, "device"),
    "block device": (lambda: _bundle_plus(_special("sda", tarfile.BLKTYPE)), UnsafeMemberError, "device"),
    "fifo": (lambda: _bundle_plus(_special("pipe", tarfile.FIFOTYPE)), UnsafeMemberError, "FIFO"),
    "too deep": (lambda: _bundle_plus(_file("a/b/c/d.sentinel")), UnsafeMemberError, "nested 4 levels"),
    "duplicate": (
        lambda: _bundle_plus(_file("sentinel.hcl", b"again")),
        DuplicateMemberError,
        "appears twice",
    ),
    "duplicate via dot slash": (
        lambda: _bundle_plus(_file("./sentinel.hcl", b"again")),
        DuplicateMemberError,
        "appears twice",
    ),
    "file then dir below it": (
        lambda: _bundle_plus(_file("m"), _file("m/x")),
        DuplicateMemberError,
        "also a file",
    ),
    "non-utf8 name (pax)": (
        lambda: _bundle_plus(_file("caf\udce9.sentinel")),
        UnsafeMemberError,
        "not valid UTF-8",
    ),
    "non-utf8 name (ustar)": (
        lambda: _gz(_tar([_file("caf\udce9.sentinel")], fmt=tarfile.USTAR_FORMAT)),
        UnsafeMemberError,
        "not valid UTF-8",
    ),
    "too many members": (
        lambda: _gz(_tar([_file(f"m{i}.sentinel") for i in range(65)])),
        TooManyMembersError,
        "more than 64 members",
    ),
    "nested archive by name": (
        lambda: _bundle_plus(_file("inner.tar.gz")),
        NestedArchiveError,
        "nested archive",
    ),
    "nested zip by name": (lambda: _bundle_plus(_file("inner.zip")), NestedArchiveError, "nested archive"),
    "nested gzip by content": (
        lambda: _bundle_plus(_file("m.sentinel", gzip.compress(b"x"))),
        NestedArchiveError,
        "archive inside",
    ),
    "nested tar by content": (
        lambda: _bundle_plus(_file("m.sentinel", _tar([_file("x")]))),
        NestedArchiveError,
        "archive inside",
    ),
    "junk after the tar": (
        lambda: _gz(_tar([_file("sentinel.hcl")]) + b"surprise"),
        CorruptArchiveError,
        "after the end",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_archives_are_refused(tmp_path: Path, workdir: Path, kind: str) -> None:
    make, error, match = HOSTILE[kind]
    _assert_refused(tmp_path, workdir, make(), error, match)


def test_messages_name_the_member_and_say_what_to_do(tmp_path: Path, workdir: Path) -> None:
    error = _assert_refused(
        tmp_path, workdir, _bundle_plus(_file("../evil.sentinel")), UnsafeMemberError, "escape"
    )
    assert "'../evil.sentinel'" in str(error)


def test_member_larger_than_the_limit(tmp_path: Path, workdir: Path) -> None:
    data = _bundle_plus(_file("big.sentinel", b"a" * 5000))
    _assert_refused(
        tmp_path, workdir, data, ArchiveTooLargeError, "per member", UnpackLimits(max_member_bytes=4096)
    )


def test_total_larger_than_the_limit(tmp_path: Path, workdir: Path) -> None:
    data = _gz(_tar([_file(f"m{i}.sentinel", b"a" * 3000) for i in range(4)]))
    limits = UnpackLimits(max_total_bytes=10_000)
    _assert_refused(tmp_path, workdir, data, ArchiveTooLargeError, "add up to more", limits)


def test_other_limits_are_configurable(tmp_path: Path, workdir: Path) -> None:
    data = _bundle_plus(_file("a/b.sentinel"))
    _assert_refused(tmp_path, workdir, data, UnsafeMemberError, "at most 1", UnpackLimits(max_depth=1))
    data = _bundle_plus(_file("inner.tgz"))
    dest = unpack_bundle(_write(tmp_path, data), workdir / "ok", UnpackLimits(reject_nested_archives=False))
    assert (dest / "inner.tgz").exists()


def _streamed_gzip(chunks: Iterator[bytes]) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def test_gzip_bomb_is_stopped_while_streaming(tmp_path: Path, workdir: Path) -> None:
    """A member of 256 MiB of zeros compresses to ~250 KiB; the header size already gives it away."""
    size = 256 * MiB
    info = tarfile.TarInfo("sentinel.hcl")
    info.size = size
    header = info.tobuf(tarfile.PAX_FORMAT)
    zeros = bytes(MiB)
    data = _streamed_gzip(iter([header, *(zeros for _ in range(size // MiB))]))
    assert len(data) < 2 * MiB
    start = time.monotonic()
    _assert_refused(
        tmp_path, workdir, data, ArchiveTooLargeError, "per member", UnpackLimits(max_member_bytes=MiB)
    )
    assert time.monotonic() - start < 2


def test_gzip_bomb_after_the_end_of_the_tar_is_stopped(tmp_path: Path, workdir: Path) -> None:
    """Valid small tar followed by 512 MiB of zeros: the drain stops at its allowance, not the end."""
    tar = _tar([_file("sentinel.hcl")])
    data = _streamed_gzip(iter([tar, *(bytes(MiB) for _ in range(512))]))
    start = time.monotonic()
    _assert_refused(tmp_path, workdir, data, CorruptArchiveError, "after the end")
    assert time.monotonic() - start < 2


def test_header_bomb_is_stopped(tmp_path: Path, workdir: Path) -> None:
    """A PAX header record claiming hundreds of MiB would make tarfile read it all into memory."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = 300 * MiB
    header = info.tobuf(tarfile.USTAR_FORMAT)
    data = _streamed_gzip(iter([header, *(b"9" * MiB for _ in range(300))]))
    start = time.monotonic()
    _assert_refused(tmp_path, workdir, data, CorruptArchiveError, "far larger")
    assert time.monotonic() - start < 3


def test_total_counted_while_decompressing(tmp_path: Path, workdir: Path) -> None:
    """Many members each under the member cap: decompression stops at the total cap."""
    members = [_file(f"m{i}.sentinel", bytes(400_000)) for i in range(10)]
    data = _gz(_tar(members))
    limits = UnpackLimits(max_member_bytes=MiB, max_total_bytes=MiB)
    _assert_refused(tmp_path, workdir, data, ArchiveTooLargeError, "add up to more", limits)
