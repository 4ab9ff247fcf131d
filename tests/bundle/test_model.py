"""Loading an unpacked bundle: the import → file mapping comes from its own sentinel.hcl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tfc_sentinel.bundle import (
    IMPORT_FILES,
    Bundle,
    build_bundle_archive,
    build_mock_files,
    unpack_bundle,
    write_bundle,
)
from tfc_sentinel.bundle.errors import InvalidBundleError


def test_load_unpacked_bundle(tmp_path: Path, mixed_plan: dict[str, Any]) -> None:
    archive = tmp_path / "bundle.tar.gz"
    archive.write_bytes(build_bundle_archive(mixed_plan))
    bundle = Bundle.load(unpack_bundle(archive, tmp_path / "bundle"))
    assert set(bundle.imports) == set(IMPORT_FILES)
    assert bundle.mock_file("tfplan/v2") == tmp_path / "bundle" / "mock-tfplan-v2.sentinel"
    assert bundle.mock_file("tfplan") == bundle.mock_file("tfplan/v1")
    assert bundle.files == sorted(build_mock_files(mixed_plan))
    assert "tfrun" in bundle and "tfnope" not in bundle
    assert bundle.missing_imports == []
    text = bundle.describe()
    assert "8 files" in text and "tfplan/v2" in text and "mock-tfstate-v2.sentinel" in text


def test_unknown_import_names_what_exists(tmp_path: Path, empty_plan: dict[str, Any]) -> None:
    bundle = Bundle.load(write_bundle(build_mock_files(empty_plan), tmp_path / "b"))
    with pytest.raises(KeyError, match="has: tfconfig"):
        bundle.mock_file("tfplan/v3")


def test_partial_bundle_with_static_data(tmp_path: Path) -> None:
    hcl = (
        'mock "tfplan/v2" {\n  module {\n    source = "mocks/plan.sentinel"\n  }\n}\n\n'
        'mock "time" {\n  data = {\n    now = "2024-01-01"\n  }\n}\n'
    )
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "plan.sentinel").write_text("x = 1\n")
    (tmp_path / "sentinel.hcl").write_text(hcl)
    bundle = Bundle.load(tmp_path)
    assert bundle.mock_file("tfplan/v2") == tmp_path / "mocks" / "plan.sentinel"
    assert bundle.data_mocks == {"time": {"now": "2024-01-01"}}
    assert "tfrun" in bundle.missing_imports
    assert "(static data)" in bundle.describe() and "missing:" in bundle.describe()


@pytest.mark.parametrize(
    ("hcl", "message"),
    [
        (
            'mock "tfplan/v2" {\n  module {\n    source = "../outside.sentinel"\n  }\n}\n',
            "outside the bundle",
        ),
        ('mock "tfplan/v2" {\n  module {\n    source = "/etc/passwd"\n  }\n}\n', "outside the bundle"),
        (
            'mock "tfplan/v2" {\n  module {\n    source = "missing.sentinel"\n  }\n}\n',
            "not a file in the bundle",
        ),
        ('mock "tfplan/v2" {\n  module {\n  }\n}\n', "no source"),
        ('mock "tfplan/v2" {\n}\n', "neither a module block nor data"),
        ('mock "tfplan/v2" {\n  module {\n', "not valid HCL"),
    ],
)
def test_bad_sentinel_hcl(tmp_path: Path, hcl: str, message: str) -> None:
    (tmp_path / "sentinel.hcl").write_text(hcl)
    with pytest.raises(InvalidBundleError, match=message):
        Bundle.load(tmp_path)


def test_symlinked_source_escaping_the_bundle_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (tmp_path / "secret.sentinel").write_text("x = 1\n")
    (bundle / "plan.sentinel").symlink_to(tmp_path / "secret.sentinel")
    (bundle / "sentinel.hcl").write_text(
        'mock "tfplan/v2" {\n  module {\n    source = "plan.sentinel"\n  }\n}\n'
    )
    with pytest.raises(InvalidBundleError, match="not a file in the bundle"):
        Bundle.load(bundle)


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(InvalidBundleError, match=r"no sentinel\.hcl"):
        Bundle.load(tmp_path)
    with pytest.raises(InvalidBundleError, match="not a directory"):
        Bundle.load(tmp_path / "missing")
