"""Unpack a mock bundle archive safely: streamed, size-capped, all-or-nothing.

Bundles come from Terraform Cloud or whoever controls a download URL, so the archive is untrusted.
Every member is checked *before* its data is read (own checks first, then ``tarfile.data_filter`` as a
second line of defence), decompressed bytes are counted while streaming so a gzip bomb stops at the
limit rather than after filling the disk, and everything lands in a temporary sibling of ``dest`` that
is renamed into place only when the whole archive (including the gzip CRC) checked out.

Nested archives (``.tar``, ``.gz``, ``.zip`` … by name or by magic bytes) are rejected: real bundles
hold Sentinel source and ``sentinel.hcl`` only, and an archive inside one could only be a way round
these limits.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Final

from tfc_sentinel.bundle.errors import (
    ArchiveTooLargeError,
    BundleError,
    CorruptArchiveError,
    DuplicateMemberError,
    EmptyArchiveError,
    NestedArchiveError,
    NotGzipError,
    TooManyMembersError,
    UnsafeMemberError,
)

__all__ = ["UnpackLimits", "unpack_bundle"]

MiB: Final = 1024 * 1024
GiB: Final = 1024 * MiB

_CHUNK: Final = 1 * MiB
# Bytes tarfile may consume between members (headers, PAX/GNU long-name records, padding, its read-ahead).
_HEADER_ALLOWANCE: Final = 1 * MiB
# Zero padding after the end-of-archive marker (GNU tar pads to 10 KiB records); more is suspicious.
_TRAILER_ALLOWANCE: Final = 1 * MiB

_EMPTY: Final = "holds no files; a mock bundle has sentinel.hcl and the mock-*.sentinel files"
_ARCHIVE_SUFFIXES: Final = (
    ".tar", ".tgz", ".tar.gz", ".gz", ".tbz", ".tbz2", ".bz2", ".txz", ".xz", ".zst", ".zip", ".7z", ".rar",
)  # fmt: skip
_ARCHIVE_MAGIC: Final = (
    b"\x1f\x8b",  # gzip
    b"PK\x03\x04",  # zip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"\x28\xb5\x2f\xfd",  # zstd
    b"7z\xbc\xaf\x27\x1c",  # 7-zip
    b"Rar!\x1a\x07",  # rar
)


@dataclass(frozen=True, slots=True)
class UnpackLimits:
    """Caps applied while unpacking; the defaults fit the largest real bundles with room to spare."""

    max_members: int = 64
    max_member_bytes: int = 512 * MiB
    max_total_bytes: int = 2 * GiB
    # Path components per member name: 1 means flat (real bundles); a little nesting is tolerated.
    max_depth: int = 3
    reject_nested_archives: bool = True


class _CountingReader:
    """A read-only stream over decompressed bytes that refuses to go past a moving ``limit``.

    The unpacker raises the limit just enough for the next header or member, so neither a huge PAX
    header nor a member lying about its size nor trailing junk can make us decompress more.
    """

    def __init__(self, raw: IO[bytes], archive: Path, total_cap: int) -> None:
        self._raw = raw
        self._archive = archive
        self._total_cap = total_cap
        self.count = 0
        self.limit = _HEADER_ALLOWANCE  # tarfile.open reads the first header straight away

    def read(self, size: int = -1) -> bytes:
        allowed = min(self.limit, self._total_cap) - self.count
        if allowed <= 0:
            self._refuse()
        want = allowed if size is None or size < 0 else min(size, allowed)
        data = self._raw.read(want)
        self.count += len(data)
        return data

    def _refuse(self) -> None:
        if self.count >= self._total_cap:
            raise ArchiveTooLargeError(
                f"{self._archive}: decompresses to more than the {self._total_cap} bytes allowed; this is not "
                "a Sentinel mock bundle (or a gzip bomb). Check where it came from, or raise "
                "UnpackLimits.max_total_bytes if it is genuine"
            )
        raise CorruptArchiveError(
            f"{self._archive}: tar headers or padding are far larger than any real bundle's "
            f"(>{_HEADER_ALLOWANCE} bytes between members); the archive is damaged or hostile. Re-download it"
        )


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _member_label(archive: Path, name: str) -> str:
    return f"{archive}: member {name!r}"


def _check_member(member: tarfile.TarInfo, archive: Path, limits: UnpackLimits) -> PurePosixPath | None:
    """Validate one member; return its normalised relative path, or ``None`` for the root directory."""
    name = member.name
    label = _member_label(archive, name)
    if _has_surrogates(name):
        raise UnsafeMemberError(
            f"{archive}: a member name is not valid UTF-8 ({name!r}); re-create the archive"
        )
    if not name or "\x00" in name:
        raise UnsafeMemberError(f"{label} has an empty or NUL-containing name; re-create the archive")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeMemberError(f"{label} has an absolute path; bundles hold relative names only")
    if "\\" in name:
        raise UnsafeMemberError(f"{label} contains a backslash; bundles hold plain POSIX names only")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeMemberError(f"{label} contains '..' and would escape the destination")
    if member.issym() or member.islnk():
        kind = "symlink" if member.issym() else "hardlink"
        raise UnsafeMemberError(
            f"{label} is a {kind} (to {member.linkname!r}); bundles hold regular files only"
        )
    if member.ischr() or member.isblk() or member.isfifo():
        raise UnsafeMemberError(f"{label} is a device or FIFO; bundles hold regular files only")
    if member.issparse() or not (member.isreg() or member.isdir()):
        raise UnsafeMemberError(
            f"{label} has unsupported tar type {member.type!r}; bundles hold regular files only"
        )
    if not parts:
        if member.isdir():
            return None
        raise UnsafeMemberError(f"{label} has no usable file name")
    if len(parts) > limits.max_depth:
        raise UnsafeMemberError(
            f"{label} is nested {len(parts)} levels deep (at most {limits.max_depth} allowed); "
            "mock bundles are flat"
        )
    if member.isreg():
        if member.size > limits.max_member_bytes:
            raise ArchiveTooLargeError(
                f"{label} is {member.size} bytes, more than the {limits.max_member_bytes} allowed per member; "
                "raise UnpackLimits.max_member_bytes if it is genuine"
            )
        if limits.reject_nested_archives and parts[-1].lower().endswith(_ARCHIVE_SUFFIXES):
            raise NestedArchiveError(f"{label} looks like a nested archive; bundles never nest archives")
    return PurePosixPath(*parts)


def _write_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, label: str, sniff: bool
) -> None:
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - isreg() members always have data
        raise CorruptArchiveError(f"{label}: no data in the archive; re-download it")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        first = True
        while chunk := source.read(_CHUNK):
            if first and sniff and (chunk.startswith(_ARCHIVE_MAGIC) or chunk[257:262] == b"ustar"):
                raise NestedArchiveError(
                    f"{label} is an archive inside the bundle; bundles never nest archives"
                )
            first = False
            out.write(chunk)


def _iterate(
    tar: tarfile.TarFile, reader: _CountingReader, archive: Path, tmp: Path, limits: UnpackLimits
) -> int:
    """Unpack every member into ``tmp``; return the number of regular files written."""
    files: set[PurePosixPath] = set()
    directories: set[PurePosixPath] = set()
    members = 0
    declared_total = 0
    while True:
        reader.limit = reader.count + _HEADER_ALLOWANCE
        member = tar.next()
        if member is None:
            return len(files)
        members += 1
        if members > limits.max_members:
            raise TooManyMembersError(
                f"{archive}: more than {limits.max_members} members; a mock bundle has about eight. "
                "Check the archive, or raise UnpackLimits.max_members"
            )
        relative = _check_member(member, archive, limits)
        if relative is None:
            continue
        label = _member_label(archive, member.name)
        if relative in files or (member.isreg() and relative in directories):
            raise DuplicateMemberError(f"{label} appears twice; which copy wins would be arbitrary")
        if any(parent in files for parent in relative.parents):
            raise DuplicateMemberError(f"{label} is inside a path that is also a file in the archive")
        # Second line of defence: the standard library's own "data" filter must agree.
        try:
            tarfile.data_filter(member, str(tmp))
        except tarfile.FilterError as exc:
            raise UnsafeMemberError(f"{label} rejected by the tar data filter: {exc}") from exc
        target = tmp.joinpath(*relative.parts)
        if member.isdir():
            if relative in directories:
                continue
            directories.add(relative)
            directories.update(p for p in relative.parents if p != PurePosixPath("."))
            target.mkdir(parents=True, exist_ok=True)
            continue
        declared_total += member.size
        if declared_total > limits.max_total_bytes:
            raise ArchiveTooLargeError(
                f"{archive}: members add up to more than the {limits.max_total_bytes} bytes allowed "
                f"(reached at {member.name!r}); raise UnpackLimits.max_total_bytes if it is genuine"
            )
        files.add(relative)
        parents = [p for p in relative.parents if p != PurePosixPath(".")]
        directories.update(parents)
        if parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        reader.limit = reader.count + member.size + _HEADER_ALLOWANCE
        _write_member(tar, member, target, label, limits.reject_nested_archives)


def _drain(reader: _CountingReader, archive: Path) -> None:
    """Read what follows the tar end marker so gzip verifies its CRC and length (catches truncation)."""
    reader.limit = reader.count + _TRAILER_ALLOWANCE
    while True:
        try:
            chunk = reader.read(_CHUNK)
        except CorruptArchiveError:
            raise CorruptArchiveError(
                f"{archive}: more than {_TRAILER_ALLOWANCE} bytes of data after the end of the tar archive; "
                "the file is damaged or not a mock bundle"
            ) from None
        if not chunk:
            return
        if chunk.strip(b"\x00"):
            raise CorruptArchiveError(
                f"{archive}: unexpected data after the end of the tar archive; re-create it"
            )


def _prepare_dest(dest: Path, overwrite: bool) -> None:
    if not dest.parent.is_dir():
        raise BundleError(f"cannot unpack to {dest}: directory {dest.parent} does not exist; create it first")
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise BundleError(
            f"cannot unpack to {dest}: something other than a directory is there; remove it first"
        )
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise BundleError(
            f"cannot unpack to {dest}: it exists and is not empty; remove it or pass overwrite=True"
        )


def unpack_bundle(
    archive: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    limits: UnpackLimits | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Unpack the ``.tar.gz`` bundle ``archive`` into the directory ``dest`` and return ``dest``.

    ``dest`` must not exist, be empty, or (with ``overwrite``) is replaced as a whole. On any error a
    ``BundleError`` subclass names the archive and member, and nothing is left in or beside ``dest``.
    """
    limits = limits or UnpackLimits()
    source = Path(archive)
    target = Path(dest)
    _prepare_dest(target, overwrite)
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed by the with block below
    except FileNotFoundError:
        raise BundleError(f"bundle archive {source} does not exist") from None
    except OSError as exc:
        raise BundleError(f"cannot read bundle archive {source}: {exc.strerror or exc}") from exc
    with handle:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".unpacking", dir=target.parent))
        try:
            if _extract(handle, source, tmp, limits) == 0:
                raise EmptyArchiveError(f"{source} {_EMPTY}")
            os.chmod(tmp, 0o755)
            _swap_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _extract(handle: IO[bytes], source: Path, tmp: Path, limits: UnpackLimits) -> int:
    """Stream the archive in ``handle`` into ``tmp``; return the number of files written."""
    magic = handle.read(2)
    if magic != b"\x1f\x8b":
        hint = " (it is empty)" if not magic else ""
        raise NotGzipError(
            f"{source} is not a gzip file{hint}; a mock bundle is a .tar.gz. Check the download "
            "(an HTML error page or a plain .tar are common mistakes)"
        )
    handle.seek(0)
    reader = _CountingReader(
        gzip.GzipFile(fileobj=handle, mode="rb"), source, limits.max_total_bytes + _HEADER_ALLOWANCE
    )
    try:
        with tarfile.open(
            fileobj=reader,  # type: ignore[arg-type]
            mode="r|",
            encoding="utf-8",
            errors="surrogateescape",
        ) as tar:
            written = _iterate(tar, reader, source, tmp, limits)
        _drain(reader, source)
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise CorruptArchiveError(
            f"{source}: the gzip data is corrupt or truncated ({exc}); re-download the bundle"
        ) from exc
    except tarfile.ReadError as exc:
        if str(exc) == "empty file":
            raise EmptyArchiveError(f"{source} {_EMPTY}") from exc
        raise CorruptArchiveError(
            f"{source}: the tar data is corrupt or truncated ({exc}); re-download the bundle"
        ) from exc
    except tarfile.TarError as exc:
        raise CorruptArchiveError(
            f"{source}: the tar data is damaged ({exc}); re-download the bundle"
        ) from exc
    return written


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is moved aside first and removed after."""
    if not target.exists():
        os.rename(tmp, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(aside)
    os.rename(target, aside)
    try:
        os.rename(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)
