"""JUnit XML: parses, has the common shape, counts add up, hostile text stays inside the document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tfc_sentinel.report import RunResult
from tfc_sentinel.report.junit import render_junit


def _parse(run: RunResult) -> ET.Element:
    text = render_junit(run)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def _check_counts(element: ET.Element, cases: list[ET.Element]) -> None:
    assert int(element.get("tests", "-1")) == len(cases)
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        assert int(element.get(attribute, "-1")) == sum(case.find(tag) is not None for case in cases)
    assert float(element.get("time", "-1")) >= 0


def test_apply_one_testcase_per_policy(apply_run: RunResult) -> None:
    root = _parse(apply_run)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["policies"]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [
        "restrict-ec2",
        "cost-limit",
        "no-public-buckets",
        "destroy-protection",
    ]
    _check_counts(suites[0], cases)
    _check_counts(root, root.findall(".//testcase"))
    properties = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
    assert properties["outcome"] == "soft-fail"
    assert properties["context.run_id"] == "run-abc123"

    assert len(cases[0]) == 0  # passed: no children
    advisory = cases[1].find("failure")
    assert advisory is not None
    assert advisory.get("type") == "advisory"
    assert "not blocking" in (advisory.get("message") or "")
    soft = cases[2].find("failure")
    assert soft is not None
    assert soft.get("type") == "soft-mandatory"
    assert "(blocking)" in (soft.get("message") or "")
    assert "aws_s3_bucket.logs" in (soft.text or "")
    assert "<script>" in (cases[2].findtext("system-out") or "")  # escaped in XML, intact after parsing
    error = cases[3].find("error")
    assert error is not None
    assert "cannot index into undefined" in (error.get("message") or "")


def test_control_characters_become_visible_escapes(apply_run: RunResult) -> None:
    text = render_junit(apply_run)
    assert "\x1b" not in text
    assert "\x00" not in text
    assert "\\x1b[0m\\x00" in text
    ET.fromstring(text.encode("utf-8"))


def test_test_run_one_suite_per_policy(test_run: RunResult) -> None:
    root = _parse(test_run)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [
        "restrict-ec2.sentinel",
        "require-tags.sentinel",
        "broken.sentinel",
        "legacy-cost.sentinel",
        "untested.sentinel",
    ]
    for suite in suites.values():
        _check_counts(suite, suite.findall("testcase"))
    _check_counts(root, root.findall(".//testcase"))
    assert int(root.get("tests", "0")) == 6

    failing = suites["require-tags.sentinel"].find("testcase")
    assert failing is not None
    assert failing.get("name") == "test/require-tags/missing-owner.hcl"
    assert failing.get("classname") == "require-tags.sentinel"
    failure = failing.find("failure")
    assert failure is not None
    assert failure.get("message") == 'expected "main" to be true, got: false'
    assert "untagged" in (failure.text or "")

    broken = suites["broken.sentinel"].find("testcase/error")
    assert broken is not None
    assert "expected }" in (broken.get("message") or "")
    assert suites["untested.sentinel"].find("testcase/skipped") is not None
    legacy = suites["legacy-cost.sentinel"].find("testcase")
    assert legacy is not None
    assert legacy.find("error") is not None
    assert "legacy JSON" in (legacy.findtext("system-err") or "")


def test_run_error_is_reported(apply_run: RunResult) -> None:
    apply_run.error = "bundle run-1.tar.gz is not gzip"
    root = _parse(apply_run)
    run_case = root.find(".//testcase[@name='(run)']")
    assert run_case is not None
    assert run_case.find("error") is not None
    _check_counts(root, root.findall(".//testcase"))
