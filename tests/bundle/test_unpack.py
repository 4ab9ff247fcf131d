"""Safe unpacking: round trip, and every kind of hostile archive refused with nothing left behind.

Issue 9 lists the kinds an unpacker must refuse (``ISSUE_KINDS``); every entry of ``HOSTILE`` says which
of them it stands for, and a test checks that none is missing. Each refusal is checked the same way:
the right error class, a message that names the archive and the member (when one is to blame) and says
what to do, no destination and no temporary folder left, and nothing written anywhere else (archives
that aim outside the destination aim inside this test's own temporary folder, which is checked).
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

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

MiB: Final = 1024 * 1024

# Issue 9, item 2: "absolute paths, `..` traversal, symlinks and hardlinks out of the folder, device
# files, duplicate names, a gzip bomb, too many files, one huge file, non-UTF-8 names, a tar inside the
# tar, an empty archive, a non-gzip file".
ISSUE_KINDS: Final = (
    "absolute path",
    "dot-dot traversal",
    "symlink out of the folder",
    "hardlink out of the folder",
    "device file",
    "duplicate name",
    "gzip bomb",
    "too many files",
    "one huge file",
    "non-UTF-8 name",
    "tar inside the tar",
    "empty archive",
    "non-gzip file",
)
# Each message says what to do; one of these phrases is how it says it.
ADVICE: Final = (
    "do not use",
    "re-create the archive",
    "re-download",
    "download it again",
    "export the plan again",
    "raise the",
    "check where",
    "check the download",
    "put its files",
    "move the files",
)


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


def _bundle_plus(*extra: tuple[tarfile.TarInfo, bytes | None], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    hcl = b'mock "tfrun" {\n  module {\n    source = "m.sentinel"\n  }\n}\n'
    return _gz(_tar([_file("sentinel.hcl", hcl), *extra], fmt))


def _streamed_gzip(chunks: Iterator[bytes]) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def _bomb(size: int, declared: int | None = None) -> bytes:
    """A one-member tar of ``size`` zero bytes (the header may declare another size), streamed."""
    info = tarfile.TarInfo("sentinel.hcl")
    info.size = size if declared is None else declared
    zeros = bytes(MiB)
    return _streamed_gzip(iter([info.tobuf(tarfile.PAX_FORMAT), *(zeros for _ in range(size // MiB))]))


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
    member: str | None = None,
) -> BundleError:
    archive = _write(tmp_path, data)
    dest = workdir / "bundle"
    with pytest.raises(error, match=match) as caught:
        unpack_bundle(archive, dest, limits)
    message = str(caught.value)
    assert str(archive) in message
    if member is not None:
        assert repr(member) in message, message
    assert any(advice in message.lower() for advice in ADVICE), f"no advice in: {message}"
    assert not dest.exists()
    assert list(workdir.iterdir()) == []  # no temp dirs beside dest either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming", "out"]  # nothing escaped
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


@dataclass(frozen=True)
class Hostile:
    """One hostile archive: what it stands for, how to build it (given the test's temporary folder, so
    archives aiming outside the destination aim somewhere the test checks), and how it must be refused."""

    kind: str | None  # the ISSUE_KINDS entry it covers, if any
    make: Callable[[Path], bytes]
    error: type[BundleError]
    match: str
    member: str | None = None  # the member the message must name
    limits: UnpackLimits | None = None


def _absolute(root: Path) -> str:
    return str(root / "pwned.sentinel")


def _pax_path(path: str) -> tuple[tarfile.TarInfo, bytes]:
    """A member whose ustar name is harmless and whose PAX ``path`` record (which wins) is ``path``."""
    info, data = _file("harmless.sentinel")
    info.pax_headers = {"path": path}
    return info, data


def _addresses(count: int) -> bytes:
    """Mock-like text: a line per resource address, which gzip shrinks about 13 times."""
    return "".join(
        f'  "aws_instance.web[{i}]": {{"type": "t3.micro", "index": {i}}},\n' for i in range(count)
    ).encode()


HOSTILE: dict[str, Hostile] = {
    # -- not a gzip file at all
    "plain tar": Hostile(
        "non-gzip file", lambda _: _tar([_file("sentinel.hcl")]), NotGzipError, "not a gzip file"
    ),
    "html error page": Hostile(
        "non-gzip file", lambda _: b"<html>502 Bad Gateway</html>", NotGzipError, "not a gzip file"
    ),
    "zip file": Hostile(
        "non-gzip file", lambda _: b"PK\x03\x04" + bytes(40), NotGzipError, "not a gzip file"
    ),
    "zero bytes": Hostile("empty archive", lambda _: b"", NotGzipError, "it is empty"),
    # -- damaged
    "corrupt gzip": Hostile(
        None,
        lambda _: (lambda d: d[:20] + bytes(b ^ 0xFF for b in d[20:60]) + d[60:])(
            pack_bundle({"a": "x" * 5000})
        ),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "truncated gzip": Hostile(
        None,
        lambda _: (lambda d: d[: len(d) // 2])(pack_bundle({"a": "sentinel " * 2000})),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "bad crc": Hostile(
        None,
        lambda _: (lambda d: d[:-8] + bytes([d[-8] ^ 1]) + d[-7:])(pack_bundle({"a": "x"})),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "truncated tar": Hostile(
        None,
        lambda _: _gz(_tar([_file("sentinel.hcl", b"y" * 4000)])[:1536]),
        CorruptArchiveError,
        "corrupt or truncated",
    ),
    "garbage tar": Hostile(None, lambda _: _gz(b"\x01" * 2048), CorruptArchiveError, "corrupt or truncated"),
    "junk after the tar": Hostile(
        None, lambda _: _gz(_tar([_file("sentinel.hcl")]) + b"surprise"), CorruptArchiveError, "after the end"
    ),
    # -- empty
    "empty tar": Hostile("empty archive", lambda _: _gz(_tar([])), EmptyArchiveError, "holds no files"),
    "empty gzip": Hostile("empty archive", lambda _: _gz(b""), EmptyArchiveError, "holds no files"),
    "only a directory": Hostile(
        "empty archive",
        lambda _: _gz(_tar([_special("docs", tarfile.DIRTYPE)])),
        EmptyArchiveError,
        "holds no files",
    ),
    # -- names that leave the folder
    "absolute path": Hostile(
        "absolute path",
        lambda root: _bundle_plus(_file(_absolute(root))),
        UnsafeMemberError,
        "absolute path",
        member="<absolute>",
    ),
    "absolute path in a PAX header": Hostile(
        "absolute path",
        lambda root: _bundle_plus(_pax_path(_absolute(root))),
        UnsafeMemberError,
        "absolute path",
        member="<absolute>",
    ),
    "windows absolute path": Hostile(
        "absolute path",
        lambda _: _bundle_plus(_file("C:/evil")),
        UnsafeMemberError,
        "absolute path",
        "C:/evil",
    ),
    "dot-dot": Hostile(
        "dot-dot traversal",
        lambda _: _bundle_plus(_file("../evil.sentinel")),
        UnsafeMemberError,
        r"'\.\.'",
        "../evil.sentinel",
    ),
    "dot-dot inside": Hostile(
        "dot-dot traversal",
        lambda _: _bundle_plus(_file("a/../../../evil")),
        UnsafeMemberError,
        r"'\.\.'",
        "a/../../../evil",
    ),
    "dot-dot in a GNU long name": Hostile(
        "dot-dot traversal",
        lambda _: _bundle_plus(_file("../" * 40 + "evil.sentinel"), fmt=tarfile.GNU_FORMAT),
        UnsafeMemberError,
        r"'\.\.'",
        "../" * 40 + "evil.sentinel",
    ),
    "backslash": Hostile(
        None, lambda _: _bundle_plus(_file("..\\evil")), UnsafeMemberError, "backslash", "..\\evil"
    ),
    # -- links and special files
    "symlink to an absolute path": Hostile(
        "symlink out of the folder",
        lambda _: _bundle_plus(_special("mock-tfplan.sentinel", tarfile.SYMTYPE, "/etc/passwd")),
        UnsafeMemberError,
        "symlink",
        "mock-tfplan.sentinel",
    ),
    "symlink up, then a file through it": Hostile(
        "symlink out of the folder",
        lambda _: _bundle_plus(_special("up", tarfile.SYMTYPE, "../.."), _file("up/pwned.sentinel")),
        UnsafeMemberError,
        "symlink",
        "up",
    ),
    "hardlink out of the folder": Hostile(
        "hardlink out of the folder",
        lambda root: _bundle_plus(_special("mock-tfplan.sentinel", tarfile.LNKTYPE, str(root / "incoming"))),
        UnsafeMemberError,
        "hardlink",
        "mock-tfplan.sentinel",
    ),
    "hardlink up": Hostile(
        "hardlink out of the folder",
        lambda _: _bundle_plus(_special("m.sentinel", tarfile.LNKTYPE, "../../etc/passwd")),
        UnsafeMemberError,
        "hardlink",
        "m.sentinel",
    ),
    "hardlink inside": Hostile(
        None,
        lambda _: _bundle_plus(_special("mock-tfplan.sentinel", tarfile.LNKTYPE, "sentinel.hcl")),
        UnsafeMemberError,
        "hardlink",
        "mock-tfplan.sentinel",
    ),
    "char device": Hostile(
        "device file",
        lambda _: _bundle_plus(_special("null", tarfile.CHRTYPE)),
        UnsafeMemberError,
        "device",
        "null",
    ),
    "block device": Hostile(
        "device file",
        lambda _: _bundle_plus(_special("sda", tarfile.BLKTYPE)),
        UnsafeMemberError,
        "device",
        "sda",
    ),
    "fifo": Hostile(
        "device file",
        lambda _: _bundle_plus(_special("pipe", tarfile.FIFOTYPE)),
        UnsafeMemberError,
        "FIFO",
        "pipe",
    ),
    "too deep": Hostile(
        None,
        lambda _: _bundle_plus(_file("a/b/c/d.sentinel")),
        UnsafeMemberError,
        "nested 4 levels",
        "a/b/c/d.sentinel",
    ),
    # -- duplicates
    "duplicate": Hostile(
        "duplicate name",
        lambda _: _bundle_plus(_file("sentinel.hcl", b"again")),
        DuplicateMemberError,
        "appears twice",
        "sentinel.hcl",
    ),
    "duplicate via dot slash": Hostile(
        "duplicate name",
        lambda _: _bundle_plus(_file("./sentinel.hcl", b"again")),
        DuplicateMemberError,
        "appears twice",
        "./sentinel.hcl",
    ),
    "file then a file below it": Hostile(
        "duplicate name",
        lambda _: _bundle_plus(_file("m"), _file("m/x")),
        DuplicateMemberError,
        "also a file",
        "m/x",
    ),
    # -- names that are not text
    "non-utf8 name (pax)": Hostile(
        "non-UTF-8 name",
        lambda _: _bundle_plus(_file("caf\udce9.sentinel")),
        UnsafeMemberError,
        "not valid UTF-8",
        "caf\udce9.sentinel",
    ),
    "non-utf8 name (ustar)": Hostile(
        "non-UTF-8 name",
        lambda _: _gz(_tar([_file("caf\udce9.sentinel")], fmt=tarfile.USTAR_FORMAT)),
        UnsafeMemberError,
        "not valid UTF-8",
        "caf\udce9.sentinel",
    ),
    # -- archives inside the archive
    "tar inside the tar (by content)": Hostile(
        "tar inside the tar",
        lambda _: _bundle_plus(_file("mock-tfplan-v2.sentinel", _tar([_file("x")]))),
        NestedArchiveError,
        "archive inside",
        "mock-tfplan-v2.sentinel",
    ),
    "tar inside the tar (by name)": Hostile(
        "tar inside the tar",
        lambda _: _bundle_plus(_file("inner.tar", _tar([_file("x")]))),
        NestedArchiveError,
        "archive inside",
        "inner.tar",
    ),
    "tar.gz inside the tar": Hostile(
        "tar inside the tar",
        lambda _: _bundle_plus(_file("inner.tar.gz")),
        NestedArchiveError,
        "archive inside",
        "inner.tar.gz",
    ),
    "zip inside the tar": Hostile(
        None, lambda _: _bundle_plus(_file("inner.zip")), NestedArchiveError, "archive inside", "inner.zip"
    ),
    "gzip inside the tar (by content)": Hostile(
        None,
        lambda _: _bundle_plus(_file("m.sentinel", gzip.compress(b"x"))),
        NestedArchiveError,
        "archive inside",
        "m.sentinel",
    ),
    # -- sizes
    "too many files": Hostile(
        "too many files",
        lambda _: _gz(_tar([_file(f"m{i}.sentinel") for i in range(65)])),
        TooManyMembersError,
        "more than 64 members",
        "m64.sentinel",
    ),
    "one huge file (declared)": Hostile(
        "one huge file",
        lambda _: _bundle_plus(_file("big.sentinel", b"a" * 5000)),
        ArchiveTooLargeError,
        "per member",
        "big.sentinel",
        UnpackLimits(max_member_bytes=4096),
    ),
    "one huge file (default limit)": Hostile(
        "one huge file",
        lambda _: _bomb(MiB, declared=600 * MiB),
        ArchiveTooLargeError,
        "per member",
        "sentinel.hcl",
    ),
    "gzip bomb (huge member of zeros)": Hostile(
        "gzip bomb",
        lambda _: _bomb(64 * MiB),
        ArchiveTooLargeError,
        "times its compressed size",
        "sentinel.hcl",
    ),
    "gzip bomb (many members under the member cap)": Hostile(
        "gzip bomb",
        lambda _: _gz(_tar([_file(f"m{i}.sentinel", bytes(400_000)) for i in range(10)])),
        ArchiveTooLargeError,
        "add up to more",
        "m2.sentinel",
        UnpackLimits(max_member_bytes=MiB, max_total_bytes=MiB, max_ratio=0),
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_archives_are_refused(tmp_path: Path, workdir: Path, name: str) -> None:
    case = HOSTILE[name]
    member = _absolute(tmp_path) if case.member == "<absolute>" else case.member
    _assert_refused(tmp_path, workdir, case.make(tmp_path), case.error, case.match, case.limits, member)


def test_every_kind_of_issue_9_is_covered() -> None:
    covered = {case.kind for case in HOSTILE.values()}
    assert set(ISSUE_KINDS) <= covered, set(ISSUE_KINDS) - covered
    assert covered - {None} <= set(ISSUE_KINDS)


def test_messages_name_the_member_and_say_what_to_do(tmp_path: Path, workdir: Path) -> None:
    error = _assert_refused(
        tmp_path,
        workdir,
        _bundle_plus(_file("../evil.sentinel")),
        UnsafeMemberError,
        "escape",
        member="../evil.sentinel",
    )
    text = str(error)
    assert text.startswith(f"{tmp_path / 'incoming' / 'bundle.tar.gz'}: member '../evil.sentinel'")
    assert "export the plan again" in text


def test_a_refusal_late_in_the_archive_leaves_nothing(tmp_path: Path, workdir: Path) -> None:
    """Seven good files are unpacked before the eighth is refused: all of it goes, atomically."""
    good = [_file(f"mock-{i}.sentinel", b"x = 1\n" * 1000) for i in range(7)]
    data = _bundle_plus(*good, _special("evil", tarfile.SYMTYPE, "/etc/passwd"))
    _assert_refused(tmp_path, workdir, data, UnsafeMemberError, "symlink", member="evil")


def test_a_refused_overwrite_keeps_the_previous_bundle(tmp_path: Path, workdir: Path) -> None:
    dest = workdir / "bundle"
    unpack_bundle(_write(tmp_path, pack_bundle({"sentinel.hcl": "old"}), "old.tar.gz"), dest)
    hostile = _write(tmp_path, _bundle_plus(_file("../evil.sentinel")))
    with pytest.raises(UnsafeMemberError):
        unpack_bundle(hostile, dest, overwrite=True)
    assert [p.name for p in dest.iterdir()] == ["sentinel.hcl"]
    assert (dest / "sentinel.hcl").read_text() == "old"
    assert [p.name for p in workdir.iterdir()] == ["bundle"]


def test_gzip_bomb_is_stopped_while_streaming(tmp_path: Path, workdir: Path) -> None:
    """256 MiB of zeros compress to ~250 KiB; the header's size gives it away before any is read."""
    data = _bomb(256 * MiB)
    assert len(data) < 2 * MiB
    _assert_refused(
        tmp_path,
        workdir,
        data,
        ArchiveTooLargeError,
        "per member",
        UnpackLimits(max_member_bytes=MiB),
        "sentinel.hcl",
    )


def test_gzip_bomb_within_the_size_limits_is_stopped_by_the_ratio(tmp_path: Path, workdir: Path) -> None:
    """Under every size limit, but expanding ~1000 times: refused after a few MiB, not at 2 GiB."""
    data = _bomb(256 * MiB)
    error = _assert_refused(
        tmp_path, workdir, data, ArchiveTooLargeError, "500 times its compressed size", member="sentinel.hcl"
    )
    decompressed = int(re.search(r"\((\d+) bytes out of \d+\)", str(error))[1])  # type: ignore[index]
    assert decompressed < 16 * MiB  # of the 256 MiB (gzip reads ahead, so a little past 500 times)


def test_gzip_bomb_after_the_end_of_the_tar_is_stopped(tmp_path: Path, workdir: Path) -> None:
    """Valid small tar followed by 512 MiB of zeros: the drain stops at its allowance, not the end."""
    tar = _tar([_file("sentinel.hcl")])
    data = _streamed_gzip(iter([tar, *(bytes(MiB) for _ in range(512))]))
    _assert_refused(tmp_path, workdir, data, CorruptArchiveError, "after the end")


def test_header_bomb_is_stopped(tmp_path: Path, workdir: Path) -> None:
    """A PAX header record claiming hundreds of MiB would make tarfile read it all into memory."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = 300 * MiB
    header = info.tobuf(tarfile.USTAR_FORMAT)
    data = _streamed_gzip(iter([header, *(b"9" * MiB for _ in range(300))]))
    _assert_refused(tmp_path, workdir, data, CorruptArchiveError, "far larger")


# -- the limits are the caller's ---------------------------------------------------------------------------


def test_every_limit_can_be_raised_to_accept_what_the_default_refuses(tmp_path: Path, workdir: Path) -> None:
    """(The byte limits' defaults are hundreds of MiB: they are shown lowered below.)"""
    accepted = {
        "max_members": (
            _gz(_tar([_file(f"m{i}.sentinel") for i in range(65)])),
            UnpackLimits(max_members=65),
        ),
        "max_depth": (_bundle_plus(_file("a/b/c/d.sentinel")), UnpackLimits(max_depth=4)),
        "reject_nested_archives": (
            _bundle_plus(_file("inner.tgz")),
            UnpackLimits(reject_nested_archives=False),
        ),
        "max_ratio": (_bomb(4 * MiB), UnpackLimits(max_ratio=0)),
    }
    for name, (data, limits) in accepted.items():
        dest = unpack_bundle(_write(tmp_path, data, f"{name}.tar.gz"), workdir / name, limits)
        assert any(dest.iterdir()), name


def test_every_limit_can_be_lowered(tmp_path: Path, workdir: Path) -> None:
    data = _gz(_tar([_file(f"m{i}.sentinel", b"a" * 3000) for i in range(4)]))
    lowered = {
        "more than 3 members": UnpackLimits(max_members=3),
        "per member": UnpackLimits(max_member_bytes=2999),
        "add up to more": UnpackLimits(max_total_bytes=10_000),
    }
    for match, limits in lowered.items():
        _assert_refused(tmp_path, workdir, data, BundleError, match, limits)
    _assert_refused(
        tmp_path,
        workdir,
        _bundle_plus(_file("a/b.sentinel")),
        UnsafeMemberError,
        "at most 1",
        UnpackLimits(max_depth=1),
    )
    compressible = _gz(_tar([_file("m.sentinel", _addresses(60_000))]))
    _assert_refused(
        tmp_path,
        workdir,
        compressible,
        ArchiveTooLargeError,
        "10 times",
        UnpackLimits(max_ratio=10),
        "m.sentinel",
    )
    # The same archive under the default ratio.
    assert unpack_bundle(_write(tmp_path, compressible, "ok.tar.gz"), workdir / "ok").is_dir()


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_members", 0),
        ("max_member_bytes", -1),
        ("max_total_bytes", "2GB"),
        ("max_depth", 1.5),
        ("max_ratio", -1),
    ],
)
def test_bad_limits_are_refused_with_their_name(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"UnpackLimits.{field} must be a whole number"):
        UnpackLimits(**{field: value})


def test_a_real_large_bundle_is_within_the_default_ratio(
    tmp_path: Path, workdir: Path, mixed_plan: dict[str, Any]
) -> None:
    """A plan of 3,000 near-identical resources (the most compressible kind: ~85 times) unpacks with the
    defaults."""
    changes = mixed_plan["resource_changes"]
    template = changes[0]
    many = [
        {**template, "address": f"{template['address']}-{i}", "name": f"{template['name']}-{i}"}
        for i in range(3000)
    ]
    archive = build_bundle_archive({**mixed_plan, "resource_changes": many})
    assert len(gzip.decompress(archive)) > 4 * MiB  # past the ratio check's grace
    assert unpack_bundle(_write(tmp_path, archive), workdir / "bundle").is_dir()
