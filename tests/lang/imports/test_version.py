"""``version``: go-version parsing, ordering and constraints, with the documented examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import fields, imp

new = imp("version")["new"]
V = "1.0.0-alpha.1+001"


def test_documented_fields() -> None:
    assert fields(new(V)) == {
        "major": 1,
        "minor": 0,
        "patch": 0,
        "prerelease": "alpha.1",
        "metadata": "001",
        "version": "1.0.0-alpha.1+001",
    }


@pytest.mark.parametrize(
    ("method", "other", "expected"),
    [
        ("greater_than", "0.12.0-alpha.1+001", True),
        ("gt", "1.0.1-alpha.1+001", False),
        ("greater_than_or_equals", "1.0.0-alpha.1+001", True),
        ("gte", "1.0.1-alpha.1+001", False),
        ("less_than", "1.0.1-alpha.1+001", True),
        ("lt", "0.12.0-alpha.1+001", False),
        ("less_than_or_equals", "1.0.0-alpha.1+001", True),
        ("lte", "0.12.0-alpha.1+001", False),
        ("equals", "1.0.0-alpha.1+001", True),
        ("eq", "0.12.0-alpha.1+001", False),
        ("equals", "1.0.0-alpha.1+999", True),  # metadata never matters
    ],
)
def test_documented_comparisons(method: str, other: str, expected: bool) -> None:
    assert new(V)[method](other) is expected


def test_compare_follows_its_description() -> None:
    assert new(V)["compare"]("0.12.0-alpha.1+001") == 1
    assert new(V)["compare"]("1.0.0-alpha.1+001") == 0
    assert new("0.12.0-alpha.1+001")["cmp"]("1.0.0-alpha.1+001") == -1
    assert new("1.2.3")["compare"](new("1.2.4")) == -1


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        (V, "> 1.0.0-alpha.1+001", False),
        (V, ">= 1.0.0-alpha.1+001", True),
        (V, ">= 1.0.0-alpha.1+001, < 1.0.0-beta+001", True),
        ("1.0.0", "= 1.0.0", True),
        ("0.12.7", "~> 0.12.0", True),
        ("0.13.0", "~> 0.12.0", False),
        ("1.9.9", "~> 1.2", True),
        ("2.0.0", "~> 1.2", False),
        ("1.1.0", "~> 1.2", False),
        ("1.2.3", ">= 1.0, < 2.0", True),
        ("2.0.0", ">= 1.0, < 2.0", False),
        ("1.5.0", "!= 1.5", False),
        ("1.5.1", "!= 1.5", True),
        ("1.5.0", "1.5.0", True),
        ("1.5.0", "  >=1.4  ", True),
        ("1.2.0-beta", ">= 1.0", False),  # no prerelease in the constraint: prereleases never match
        ("1.2.0-beta", ">= 1.2.0-alpha", True),  # same segments
        ("1.3.0-beta", ">= 1.2.0-alpha", False),  # other segments
        ("1.2.0", "~> 1.2.0-beta", False),
        ("1.2.0-rc1", "~> 1.2.0-beta", True),
        ("1.2.3.4", "~> 1.2.3", True),
        ("v1.2", "= 1.2.0", True),
    ],
)
def test_satisfies(version: str, constraint: str, expected: bool) -> None:
    assert new(version)["satisfies"](constraint) is expected
    assert new(version)["sat"](constraint) is expected


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("1.0.0-alpha", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("0.9.9", "1.0.0"),
        ("1.2", "1.10"),
        ("1.0.0", "1.0.0.1"),
    ],
)
def test_ordering(smaller: str, larger: str) -> None:
    assert new(smaller)["lt"](larger) is True
    assert new(larger)["gt"](smaller) is True
    assert new(smaller)["compare"](larger) == -1


def test_huge_numeric_prerelease_parts_compare_as_text() -> None:
    huge = "9" * 30
    assert new(f"1.0.0-{huge}")["gt"]("1.0.0-5") is True  # not numeric in Go: text sorts after numbers
    assert new(f"1.0.0-{huge}")["lt"](f"1.0.0-{huge}a") is True


def test_trailing_zero_segments_compare_equal() -> None:
    assert new("1.0.0")["eq"]("1.0.0.0") is True
    assert new("1")["version"] == "1.0.0"


def test_go_version_forms() -> None:
    assert fields(new("v1.2.3"))["version"] == "1.2.3"
    beta = new("1.0beta")
    assert (beta["major"], beta["minor"], beta["patch"], beta["prerelease"]) == (1, 0, 0, "beta")
    assert new("1.2.3+build.7")["metadata"] == "build.7"
    assert new("1.2.3-")["prerelease"] == "-"  # go-version's regexp accepts a bare dash


@pytest.mark.parametrize(
    "bad", ["", "x", "1.", "1..2", "1.2.3+", " 1.2.3", "1.2.3 ", "99999999999999999999", "1." + "9" * 5000]
)
def test_malformed_versions_are_errors(bad: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^version\.new: malformed version"):
        new(bad)


@pytest.mark.parametrize("bad", ["", "=> 1.0", ">= 1.0,", "~ 1.0", "1.0 || 2.0", ">= x"])
def test_malformed_constraints_are_errors(bad: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^version\.satisfies: malformed constraint"):
        new("1.0.0")["satisfies"](bad)


def test_types_and_undefined() -> None:
    assert new(UNDEFINED) is UNDEFINED
    assert new("1.0.0")["gt"](UNDEFINED) is UNDEFINED
    assert new("1.0.0")["satisfies"](UNDEFINED) is UNDEFINED
    with pytest.raises(
        SentinelRuntimeError, match=r"^version\.new: expected a string as argument 1, got int$"
    ):
        new(1)
    with pytest.raises(SentinelRuntimeError, match=r"^version\.gt: expected a version string or version"):
        new("1.0.0")["gt"](1.5)
    with pytest.raises(
        SentinelRuntimeError, match=r"^version\.sat: expected a string as argument 1, got list$"
    ):
        new("1.0.0")["sat"]([">= 1"])


def test_copied_version_maps_still_work_as_arguments() -> None:
    assert new("2.0.0")["gt"](dict(new("1.0.0"))) is True


versions = st.builds(
    lambda nums, pre: ".".join(map(str, nums)) + (f"-{pre}" if pre else ""),
    st.lists(st.integers(0, 20), min_size=1, max_size=4),
    st.sampled_from(["", "alpha", "beta", "alpha.1", "rc.2", "1", "x.7.y"]),
)


@given(versions, versions)
def test_ordering_is_antisymmetric(a: str, b: str) -> None:
    assert new(a)["compare"](b) == -new(b)["compare"](a)
    assert new(a)["eq"](b) is (new(a)["compare"](b) == 0)


@given(versions, versions, versions)
def test_ordering_is_transitive(a: str, b: str, c: str) -> None:
    if new(a)["lte"](b) and new(b)["lte"](c):
        assert new(a)["lte"](c) is True
