"""Terminal text: the ``sentinel test`` layout, verbose traces, the apply listing and summary."""

from __future__ import annotations

from tfc_sentinel.report import RunResult
from tfc_sentinel.report.text import render_text, summary_line


def test_sentinel_test_layout(test_run: RunResult) -> None:
    lines = render_text(test_run).splitlines()
    assert lines[:3] == [
        "PASS - restrict-ec2.sentinel",
        "  PASS - test/restrict-ec2/fail-large.hcl",
        "  PASS - test/restrict-ec2/pass.hcl",
    ]
    assert lines[3:7] == [
        "FAIL - require-tags.sentinel",
        "  FAIL - test/require-tags/missing-owner.hcl",
        '    expected "main" to be true, got: false',
        '    expected "untagged" to be {}, got: {"aws_s3_bucket.logs": ["owner"]}',
    ]
    text = "\n".join(lines)
    assert '      require-tags.sentinel:30:1 - Rule "main"' in text
    assert "    print:\n      aws_s3_bucket.logs is missing tags: owner" in text
    assert "ERROR - broken.sentinel\n  broken.sentinel:7:15: expected }, found end of file" in text
    assert "  ERROR - test/legacy-cost/over-limit.json\n    test/legacy-cost/over-limit.json:3:" in text
    assert "? - untested.sentinel" in lines
    # passing cases show no trace unless verbose
    assert "aws_instance.batch[0]" not in text
    assert summary_line(test_run) not in text


def test_verbose_shows_passing_traces(test_run: RunResult) -> None:
    text = render_text(test_run, verbose=True)
    assert "aws_instance.batch[0] has instance_type m5.4xlarge" in text
    assert text.count('Rule "main"') == 3


def test_color(test_run: RunResult) -> None:
    assert "\x1b[32mPASS\x1b[0m - restrict-ec2.sentinel" in render_text(test_run, color=True)


def test_apply_listing(apply_run: RunResult) -> None:
    text = render_text(apply_run)
    lines = text.splitlines()
    assert lines[0] == "PASS - policies/restrict-ec2.sentinel (hard-mandatory)"
    assert "FAIL - policies/cost-limit.sentinel (advisory, not blocking)" in lines
    assert "FAIL - policies/no-public-buckets.sentinel (soft-mandatory, blocking)" in lines
    assert "  violations:" in lines
    assert lines[-1] == summary_line(apply_run)
    assert lines[-1] == (
        "soft-fail: 4 policies, 1 passed, 2 failed, 1 errored (failures: 1 soft-mandatory, 2 advisory); "
        "a soft-mandatory override would let the run continue"
    )


def test_override_summary(apply_run: RunResult) -> None:
    apply_run.override = True
    assert summary_line(apply_run).startswith("warn:")
    assert summary_line(apply_run).endswith("soft-mandatory failures overridden")


def test_run_error_text(apply_run: RunResult) -> None:
    apply_run.error = "bundle x is not gzip\nre-download it"
    apply_run.policies = []
    text = render_text(apply_run)
    assert text.startswith("Error: bundle x is not gzip\n  re-download it")
    assert text.rstrip().endswith("error: bundle x is not gzip")
