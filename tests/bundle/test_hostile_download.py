"""Hostile archives through the real download path: the emulator's blob host serves them over HTTP, the
client streams them to disk, and ``export_run_bundle`` (``tfc-sentinel export``) unpacks them.

The emulator builds a genuine bundle when an export finishes; ``PUT /_emulator/exports/<id>/archive``
on its blob host then replaces it with the test's bytes, and ``export_run_bundle`` reuses that finished
export (as it reuses any live one). Each refusal must come with a message naming the member and what to
do, nothing may be written outside the unpack folder's parent, no unpack folder or temporary folder may
be left, and the export must still be deleted.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
import requests

from tests.tfc.conftest import RUN_PLANNED
from tfc_sentinel.bundle import (
    ArchiveTooLargeError,
    BundleError,
    DuplicateMemberError,
    EmptyArchiveError,
    NestedArchiveError,
    NotGzipError,
    TooManyMembersError,
    UnsafeMemberError,
)
from tfc_sentinel.emulator import EmulatorServer
from tfc_sentinel.tfc import RetryPolicy, TfcClient, TfcConfig
from tfc_sentinel.tfc.lifecycle import export_run_bundle

MiB: Final = 1024 * 1024


Member = tuple[tarfile.TarInfo, bytes | None]


def _member(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    regular = kind == tarfile.REGTYPE
    info.size = len(data) if regular else 0
    return info, data if regular else None


def _tar(*members: Member) -> bytes:
    """A tar with the bundle's ``sentinel.hcl`` first, then ``members``."""
    hcl = b'mock "tfplan/v2" {\n  module {\n    source = "mock-tfplan-v2.sentinel"\n  }\n}\n'
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, errors="surrogateescape") as tar:
        for info, data in (_member("sentinel.hcl", hcl), *members):
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def _archive(*members: Member) -> bytes:
    return gzip.compress(_tar(*members), mtime=0)


def _header_only(name: str, declared: int) -> bytes:
    """A member header declaring ``declared`` bytes, followed by a little data: refused on the header."""
    info = tarfile.TarInfo(name)
    info.size = declared
    return gzip.compress(info.tobuf(tarfile.PAX_FORMAT) + bytes(1024), mtime=0)


def _zeros_bomb() -> bytes:
    """64 MiB of zeros in one member, within every size limit: ~64 KiB on the wire."""
    info = tarfile.TarInfo("mock-tfplan-v2.sentinel")
    info.size = 64 * MiB
    body = gzip.compress(info.tobuf(tarfile.PAX_FORMAT) + bytes(64 * MiB) + bytes(1024), mtime=0)
    assert len(body) < MiB
    return body


# Issue 9's kinds (the names of tests/bundle/test_unpack.py's ISSUE_KINDS), each served over HTTP:
# (archive, error, the member the message must name).
SERVED: dict[str, tuple[Callable[[], bytes], type[BundleError], str | None]] = {
    "absolute path": (
        lambda: _archive(_member("/tmp/pwned.sentinel")),
        UnsafeMemberError,
        "/tmp/pwned.sentinel",
    ),
    "dot-dot traversal": (
        lambda: _archive(_member("../../pwned.sentinel")),
        UnsafeMemberError,
        "../../pwned.sentinel",
    ),
    "symlink out of the folder": (
        lambda: _archive(_member("mock-tfplan-v2.sentinel", kind=tarfile.SYMTYPE, link="/etc/passwd")),
        UnsafeMemberError,
        "mock-tfplan-v2.sentinel",
    ),
    "hardlink out of the folder": (
        lambda: _archive(_member("mock-tfrun.sentinel", kind=tarfile.LNKTYPE, link="../../etc/shadow")),
        UnsafeMemberError,
        "mock-tfrun.sentinel",
    ),
    "device file": (lambda: _archive(_member("zero", kind=tarfile.CHRTYPE)), UnsafeMemberError, "zero"),
    "duplicate name": (
        lambda: _archive(_member("sentinel.hcl", b"again")),
        DuplicateMemberError,
        "sentinel.hcl",
    ),
    "gzip bomb": (_zeros_bomb, ArchiveTooLargeError, "mock-tfplan-v2.sentinel"),
    "too many files": (
        lambda: _archive(*(_member(f"mock-{i}.sentinel") for i in range(70))),
        TooManyMembersError,
        "mock-63.sentinel",
    ),
    "one huge file": (
        lambda: _header_only("mock-tfplan-v2.sentinel", 600 * MiB),
        ArchiveTooLargeError,
        "mock-tfplan-v2.sentinel",
    ),
    "non-UTF-8 name": (
        lambda: _archive(_member("mock-\udcff.sentinel")),
        UnsafeMemberError,
        "mock-\udcff.sentinel",
    ),
    "tar inside the tar": (
        lambda: _archive(_member("mock-tfplan-v2.sentinel", _tar())),
        NestedArchiveError,
        "mock-tfplan-v2.sentinel",
    ),
    "empty archive": (lambda: gzip.compress(bytes(10240), mtime=0), EmptyArchiveError, None),
    "non-gzip file": (lambda: b"<html><body>503 Service Unavailable</body></html>", NotGzipError, None),
}


@pytest.fixture
def client(reset: EmulatorServer) -> Iterator[TfcClient]:
    retry = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_total_wait=15)
    with TfcClient(TfcConfig(host=reset.api_url, token=reset.token, retry=retry)) as made:
        yield made


def _serve(emulator: EmulatorServer, client: TfcClient, archive: bytes) -> str:
    """A finished export of RUN_PLANNED's plan whose download is now ``archive``; returns its ID."""
    plan_id = client.get_run(RUN_PLANNED).plan_id
    assert plan_id is not None
    export = client.create_or_reuse_plan_export(plan_id)
    client.wait_for_plan_export(export.id, timeout=30, poll_interval=0.05)
    url = f"{emulator.blob_url}/_emulator/exports/{export.id}/archive"
    response = requests.put(url, data=archive, timeout=30)
    assert response.status_code == 204, response.text
    return export.id


@pytest.mark.parametrize("kind", list(SERVED))
def test_a_served_hostile_archive_is_refused_and_leaves_nothing(
    reset: EmulatorServer, client: TfcClient, tmp_path: Path, kind: str
) -> None:
    make, error, member = SERVED[kind]
    export_id = _serve(reset, client, make())
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    unpack_parent = tmp_path / "bundles"
    unpack_parent.mkdir()
    archive = downloads / "bundle.tar.gz"

    with pytest.raises(error) as caught:
        export_run_bundle(client, RUN_PLANNED, archive, unpack_parent / "bundle", poll_interval=0.05)

    message = str(caught.value)
    assert message.startswith(str(archive)), message
    if member is not None:
        assert repr(member) in message, message
    lowered = message.lower()
    assert any(
        a in lowered for a in ("do not use", "re-create", "check where", "check the download", "raise the")
    )
    assert list(unpack_parent.iterdir()) == []  # no bundle, no temporary folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundles", "downloads"]  # nothing escaped
    # The download itself is what `tfc-sentinel export` was asked to save, complete (for inspection).
    assert [p.name for p in downloads.iterdir()] == ["bundle.tar.gz"]
    state = reset.snapshot()  # the export was deleted all the same, and the token stayed off the blob host
    assert state["live_exports"] == 0 and state["deleted_exports"] == 1 and state["blob_auth_leaks"] == 0
    assert export_id not in {export["id"] for export in state["exports"]}


def test_every_kind_of_issue_9_goes_through_the_download_path() -> None:
    from tests.bundle.test_unpack import ISSUE_KINDS

    assert set(SERVED) == set(ISSUE_KINDS)


def test_the_replacement_route_refuses_an_unfinished_export(reset: EmulatorServer, client: TfcClient) -> None:
    plan_id = client.get_run(RUN_PLANNED).plan_id
    assert plan_id is not None
    reset.freeze_clock()
    export = client.create_or_reuse_plan_export(plan_id)
    response = requests.put(f"{reset.blob_url}/_emulator/exports/{export.id}/archive", data=b"x", timeout=30)
    assert response.status_code == 409 and "finished" in response.text
    missing = requests.put(f"{reset.blob_url}/_emulator/exports/pe-nope/archive", data=b"x", timeout=30)
    assert missing.status_code == 404
    client.delete_plan_export(export.id)
