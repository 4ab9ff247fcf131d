"""``sentinel test`` discovery: policies in folders, cases under test/<policy>/, display names, -run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfc_sentinel.policy import DiscoveryError, discover_policies, filter_policies


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = [
        "aws/restrict-ec2.sentinel",
        "aws/require-tags.sentinel",
        "aws/untested.sentinel",
        "aws/sentinel.hcl",
        "aws/notes.md",
        "aws/test/restrict-ec2/pass.hcl",
        "aws/test/restrict-ec2/fail-large.hcl",
        "aws/test/restrict-ec2/legacy.json",
        "aws/test/restrict-ec2/mock-tfplan-pass.sentinel",
        "aws/test/restrict-ec2/README.md",
        "aws/test/require-tags/7-am.hcl",
        "aws/test/require-tags/good.hcl",
        "aws/test/stale-policy/pass.hcl",
        "aws/nested/deeper.sentinel",
        "gcp/restrict-zones.sentinel",
    ]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    return tmp_path


def test_folder_lists_policies_and_cases(repo: Path) -> None:
    policies = discover_policies(["aws"], cwd=repo)
    assert [p.display for p in policies] == [
        "aws/require-tags.sentinel",
        "aws/restrict-ec2.sentinel",
        "aws/untested.sentinel",
    ]  # sorted, not recursive, only *.sentinel
    tags, ec2, untested = policies
    assert ec2.name == "restrict-ec2"
    assert ec2.path == repo / "aws" / "restrict-ec2.sentinel"
    assert ec2.test_dir == repo / "aws" / "test" / "restrict-ec2"
    assert [c.display for c in ec2.cases] == [
        "aws/test/restrict-ec2/fail-large.hcl",
        "aws/test/restrict-ec2/legacy.json",
        "aws/test/restrict-ec2/pass.hcl",
    ]  # only .hcl and .json, mocks and notes left out
    assert [c.name for c in tags.cases] == ["7-am", "good"]
    assert untested.cases == ()


def test_default_is_the_working_directory_and_names_are_relative(repo: Path) -> None:
    policies = discover_policies(cwd=repo / "aws")
    assert [p.display for p in policies][:2] == ["require-tags.sentinel", "restrict-ec2.sentinel"]
    assert policies[1].cases[0].display == "test/restrict-ec2/fail-large.hcl"


def test_files_order_and_duplicates(repo: Path) -> None:
    policies = discover_policies(
        ["gcp", "aws/restrict-ec2.sentinel", "aws/../aws/restrict-ec2.sentinel"], cwd=repo
    )
    assert [p.display for p in policies] == ["gcp/restrict-zones.sentinel", "aws/restrict-ec2.sentinel"]


def test_paths_outside_the_working_directory_stay_absolute(repo: Path) -> None:
    policies = discover_policies([repo / "gcp"], cwd=repo / "aws")
    assert policies[0].display == (repo / "gcp" / "restrict-zones.sentinel").as_posix()


def test_bad_paths(repo: Path) -> None:
    with pytest.raises(DiscoveryError, match="missing: no such file or folder"):
        discover_policies(["missing"], cwd=repo)
    with pytest.raises(DiscoveryError, match=r"not a policy file; policies end in \.sentinel"):
        discover_policies(["aws/sentinel.hcl"], cwd=repo)


def test_run_filter(repo: Path) -> None:
    policies = discover_policies(["aws"], cwd=repo)
    assert filter_policies(policies, None) == policies
    assert [p.name for p in filter_policies(policies, "ec2")] == ["restrict-ec2"]
    assert [p.name for p in filter_policies(policies, "^re")] == ["require-tags", "restrict-ec2"]
    assert [p.name for p in filter_policies(policies, r"untested\.sentinel$")] == ["untested"]
    selected = filter_policies(policies, "restrict/^pass")
    assert [(p.name, [c.name for c in p.cases]) for p in selected] == [("restrict-ec2", ["pass"])]
    selected = filter_policies(policies, "/fail|7-am")
    assert [(p.name, [c.name for c in p.cases]) for p in selected] == [
        ("require-tags", ["7-am"]),
        ("restrict-ec2", ["fail-large"]),
    ]
    assert filter_policies(policies, "nothing-matches") == []
    with pytest.raises(DiscoveryError, match="invalid regular expression"):
        filter_policies(policies, "([")
