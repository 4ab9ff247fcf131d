"""Unpack a mock bundle archive safely: streamed, size-capped, all-or-nothing.

Bundles come from Terraform Cloud or whoever controls a download URL, so the archive is untrusted.
Every member is checked *before* its data is read (own checks first, then ``tarfile.data_filter`` as a
second line of defence), decompressed bytes are counted while streaming so a gzip bomb stops at the
limit rather than after filling the disk, and everything lands in a temporary sibling of ``dest`` that
is renamed into place only when the whole archive (including the gzip CRC) checked out.

Nested archives (``.tar``, ``.gz``, ``.zip`` … by name or by magic bytes) are rejected: real bundles
hold Sentinel source and ``sentinel.hcl`` only, and an archive inside one could only be a way round
these limits.

Every error names the archive (and the member, when there is one) and says what to do: these messages
end up in Airflow task logs read by people who did not build the archive. The limits are
:class:`UnpackLimits`; Airflow users set them in the ``[tfc_sentinel]`` configuration section (see
``tfc_sentinel.airflow.operators.bundle_unpack_limits``).
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

# Decompressed bytes before the expansion ratio is checked: tiny archives (a few files and the tar's
# zero padding) legitimately expand far more than big ones.
_RATIO_GRACE: Final = 1 * MiB

_EMPTY: Final = (
    "holds no files; a mock bundle has sentinel.hcl and the mock-*.sentinel files. Check the download, "
    "or export the plan again"
)
# What to do about a member no Terraform Cloud export ever contains.
_HOSTILE: Final = (
    "Terraform Cloud never builds a bundle like this: do not use this archive; check where it came from "
    "and export the plan again"
)
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
    """Caps applied while unpacking; the defaults fit the largest real bundles with room to spare.

    ``max_ratio`` bounds how many times larger than its compressed size the archive may expand (checked
    once more than 1 MiB came out): real bundles expand 15 to 25 times, a plan of thousands of
    near-identical resources about 85 times, while a gzip bomb of zeros expands a thousand times. It
    stops a bomb after a few MiB instead of at ``max_total_bytes``; 0 turns the check off. A bad value
    (not a whole number, below its minimum) raises ``ValueError`` naming it.
    """

    max_members: int = 64
    max_member_bytes: int = 512 * MiB
    max_total_bytes: int = 2 * GiB
    # Path components per member name: 1 means flat (real bundles); a little nesting is tolerated.
    max_depth: int = 3
    reject_nested_archives: bool = True
    max_ratio: int = 500

    def __post_init__(self) -> None:
        for name in ("max_members", "max_member_bytes", "max_total_bytes", "max_depth", "max_ratio"):
            value = getattr(self, name)
            lowest = 0 if name == "max_ratio" else 1
            if type(value) is not int or value < lowest:
                raise ValueError(
                    f"UnpackLimits.{name} must be a whole number of at least {lowest}, not {value!r}"
                )


class _CountingReader:
    """A read-only stream over decompressed bytes that refuses to go past a moving ``limit``.

    The unpacker raises the limit just enough for the next header or member, so neither a huge PAX
    header nor a member lying about its size nor trailing junk can make us decompress more.
    """

    def __init__(
        self, raw: IO[bytes], archive: Path, total_cap: int, compressed: IO[bytes], max_ratio: int
    ) -> None:
        self._raw = raw
        self._archive = archive
        self._total_cap = total_cap
        self._compressed = compressed
        self.max_ratio = max_ratio
        self.count = 0
        self.limit = _HEADER_ALLOWANCE  # tarfile.open reads the first header straight away
        self.member = ""  # the member being read, for messages

    def read(self, size: int = -1) -> bytes:
        allowed = min(self.limit, self._total_cap) - self.count
        if allowed <= 0:
            self._refuse()
        want = allowed if size is None or size < 0 else min(size, allowed)
        data = self._raw.read(want)
        self.count += len(data)
        if self.max_ratio and self.count > _RATIO_GRACE:
            self._check_ratio()
        return data

    def _check_ratio(self) -> None:
        # The compressed file's position runs a little ahead of what was decompressed (read-ahead), so
        # the ratio is, if anything, underestimated.
        compressed = max(1, self._compressed.tell())
        if self.count > self.max_ratio * compressed:
            where = f" (while reading member {self.member!r})" if self.member else ""
            raise ArchiveTooLargeError(
                f"{self._archive}: expands to more than {self.max_ratio} times its compressed size "
                f"({self.count} bytes out of {compressed}){where}: a gzip bomb, not a mock bundle (real "
                "ones expand less than 100 times). Do not use it; check where it came from, or raise the "
                "max_ratio limit (UnpackLimits.max_ratio) if it is genuine"
            )

    def _refuse(self) -> None:
        if self.count >= self._total_cap:
            raise ArchiveTooLargeError(
                f"{self._archive}: decompresses to more than the {self._total_cap} bytes allowed; this is not "
                "a Sentinel mock bundle (or a gzip bomb). Check where it came from, or raise the "
                "max_total_bytes limit (UnpackLimits.max_total_bytes) if it is genuine"
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
            f"{label}: the name is not valid UTF-8; re-create the archive with UTF-8 file names "
            "(Terraform Cloud's bundles have plain ASCII names)"
        )
    if not name or "\x00" in name:
        raise UnsafeMemberError(f"{label} has an empty or NUL-containing name. {_HOSTILE}")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeMemberError(
            f"{label} has an absolute path and would be written outside the bundle folder. {_HOSTILE}"
        )
    if "\\" in name:
        raise UnsafeMemberError(f"{label} contains a backslash; bundles hold plain POSIX names. {_HOSTILE}")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeMemberError(f"{label} contains '..' and would escape the destination folder. {_HOSTILE}")
    if member.issym() or member.islnk():
        kind = "symlink" if member.issym() else "hardlink"
        raise UnsafeMemberError(
            f"{label} is a {kind} (to {member.linkname!r}); bundles hold regular files only. {_HOSTILE}"
        )
    if member.ischr() or member.isblk() or member.isfifo():
        raise UnsafeMemberError(
            f"{label} is a device file or FIFO; bundles hold regular files only. {_HOSTILE}"
        )
    if member.issparse() or not (member.isreg() or member.isdir()):
        raise UnsafeMemberError(
            f"{label} has unsupported tar type {member.type!r}; bundles hold regular files only. {_HOSTILE}"
        )
    if not parts:
        if member.isdir():
            return None
        raise UnsafeMemberError(f"{label} has no usable file name. {_HOSTILE}")
    if len(parts) > limits.max_depth:
        raise UnsafeMemberError(
            f"{label} is nested {len(parts)} levels deep (at most {limits.max_depth} allowed); "
            "mock bundles are flat. Move the files up, or raise the max_depth limit "
            "(UnpackLimits.max_depth) if the archive is genuine"
        )
    if member.isreg():
        if member.size > limits.max_member_bytes:
            raise ArchiveTooLargeError(
                f"{label} is {member.size} bytes, more than the {limits.max_member_bytes} allowed per member. "
                "Check where the archive came from, or raise the max_member_bytes limit "
                "(UnpackLimits.max_member_bytes) if it is genuine"
            )
        if limits.reject_nested_archives and parts[-1].lower().endswith(_ARCHIVE_SUFFIXES):
            raise NestedArchiveError(
                f"{label} looks like an archive inside the bundle; bundles never nest archives. Put its "
                "files in the bundle itself, or check where the archive came from"
            )
    return PurePosixPath(*parts)


def _write_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, label: str, sniff: bool
) -> None:
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - isreg() members always have data
        raise CorruptArchiveError(f"{label}: no data in the archive; re-download it")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:  # only where names differ in case alone and the file system ignores case
        raise DuplicateMemberError(
            f"{label} clashes with another member on this file system (names differing only in case?); "
            "re-create the archive with distinct names"
        ) from None
    with os.fdopen(fd, "wb") as out:
        first = True
        while chunk := source.read(_CHUNK):
            if first and sniff and (chunk.startswith(_ARCHIVE_MAGIC) or chunk[257:262] == b"ustar"):
                raise NestedArchiveError(
                    f"{label} is an archive inside the bundle (a tar, gzip, zip … by its content); bundles "
                    "never nest archives. Put its files in the bundle itself, or check where it came from"
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
                f"{archive}: more than {limits.max_members} members (reached at {member.name!r}); a mock "
                "bundle has about eight. Check where the archive came from, or raise the max_members limit "
                "(UnpackLimits.max_members) if it is genuine"
            )
        relative = _check_member(member, archive, limits)
        if relative is None:
            continue
        label = _member_label(archive, member.name)
        if relative in files or (member.isreg() and relative in directories):
            raise DuplicateMemberError(
                f"{label} appears twice; which copy wins would be arbitrary. Re-create the archive with "
                "each file once"
            )
        if any(parent in files for parent in relative.parents):
            raise DuplicateMemberError(
                f"{label} is inside a path that is also a file in the archive; re-create the archive"
            )
        # Second line of defence: the standard library's own "data" filter must agree.
        try:
            tarfile.data_filter(member, str(tmp))
        except tarfile.FilterError as exc:
            raise UnsafeMemberError(f"{label} rejected by the tar data filter: {exc}. {_HOSTILE}") from exc
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
                f"(reached at {member.name!r}). Check where the archive came from, or raise the "
                "max_total_bytes limit (UnpackLimits.max_total_bytes) if it is genuine"
            )
        files.add(relative)
        parents = [p for p in relative.parents if p != PurePosixPath(".")]
        directories.update(parents)
        if parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        reader.limit = reader.count + member.size + _HEADER_ALLOWANCE
        reader.member = member.name
        _write_member(tar, member, target, label, limits.reject_nested_archives)
        reader.member = ""


def _drain(reader: _CountingReader, archive: Path) -> None:
    """Read what follows the tar end marker so gzip verifies its CRC and length (catches truncation).

    Zero padding compresses to almost nothing, so the expansion ratio is not checked here; the
    allowance bounds it instead."""
    reader.limit = reader.count + _TRAILER_ALLOWANCE
    reader.max_ratio = 0
    while True:
        try:
            chunk = reader.read(_CHUNK)
        except CorruptArchiveError:
            raise CorruptArchiveError(
                f"{archive}: more than {_TRAILER_ALLOWANCE} bytes of data after the end of the tar archive; "
                "the file is damaged or not a mock bundle. Check where it came from and download it again"
            ) from None
        if not chunk:
            return
        if chunk.strip(b"\x00"):
            raise CorruptArchiveError(
                f"{archive}: unexpected data after the end of the tar archive; re-create the archive (or "
                "download it again)"
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
        gzip.GzipFile(fileobj=handle, mode="rb"),
        source,
        limits.max_total_bytes + _HEADER_ALLOWANCE,
        compressed=handle,
        max_ratio=limits.max_ratio,
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
