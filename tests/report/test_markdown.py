"""Markdown for Terraform Cloud comments: summary first, a table, failed details, hard size caps."""

from __future__ import annotations

import re

import pytest

from tfc_sentinel.report import Outcome, PolicyResult, RunKind, RunResult
from tfc_sentinel.report.markdown import MarkdownLimits, markdown_summary, render_markdown


def test_summary_table_details(apply_run: RunResult) -> None:
    text = render_markdown(apply_run)
    lines = text.splitlines()
    assert lines[0].startswith("### ❌ Sentinel soft-fail: 4 policies, 1 passed, 2 failed, 1 errored")
    assert "[Terraform run](https://app.terraform.io/app/acme/runs/run-abc123)" in text
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| Policy | Level | Result | Violations |"
    assert len(table) == 1 + 4
    assert table[1].startswith("| `cost-limit`")  # failures first
    assert "| `restrict-ec2` | hard-mandatory | ✅ pass | 0 |" in table
    assert "#### ❌ no-public-buckets (soft-mandatory, blocking)" in lines
    assert "- `aws_s3_bucket.logs` - aws_s3_bucket.logs has acl public-read &lt;script&gt;" in text
    assert "restrict-ec2 (" not in text  # no details for passing policies


def test_cells_and_code_are_escaped(apply_run: RunResult) -> None:
    text = render_markdown(apply_run)
    assert "<script>" not in text.split("Output:")[0]
    assert "\\| pipe" in text
    assert "\x1b" not in text
    apply_run.policies[0].name = "a`b|c"
    assert "| ``a`b|c`` |" in render_markdown(apply_run)


def test_test_run(test_run: RunResult) -> None:
    text = render_markdown(test_run)
    assert text.startswith("### 💥 Sentinel error:")
    assert "| Policy | Result | Cases passed |" in text
    assert '- ❌ `test/require-tags/missing-owner.hcl`: expected "main" to be true, got: false' in text


def _noisy_run(policies: int, prints: int) -> RunResult:
    return RunResult(
        RunKind.APPLY,
        [
            PolicyResult(
                f"p{i}",
                f"p{i}.sentinel",
                Outcome.FAIL,
                prints=[f"aws_instance.i{i}_{j} is wrong" for j in range(prints)],
            )
            for i in range(policies)
        ],
    )


@pytest.mark.parametrize("max_lines", [20, 60, 250])
def test_line_cap(max_lines: int) -> None:
    text = render_markdown(_noisy_run(80, 40), MarkdownLimits(max_lines=max_lines))
    lines = text.splitlines()
    assert len(lines) <= max_lines
    assert lines[-1].startswith("_…report truncated:")
    assert lines[0].startswith("### ")  # the summary always survives


def test_char_cap_and_fences_stay_balanced() -> None:
    text = render_markdown(_noisy_run(30, 200), MarkdownLimits(max_chars=3000, max_output_lines=500))
    assert len(text) <= 3000
    fences = [line for line in text.splitlines() if re.fullmatch(r"`{3,}", line)]
    assert len(fences) % 2 == 0


def test_per_policy_caps() -> None:
    run = _noisy_run(1, 100)
    run.policies[0].violations = []
    text = render_markdown(run, MarkdownLimits(max_output_lines=5))
    assert "… (95 more lines)" in text
    rows = render_markdown(_noisy_run(70, 0), MarkdownLimits(max_rows=10, max_lines=1000))
    assert "_…and 60 more policies._" in rows
    assert len([line for line in rows.splitlines() if line.startswith("| `p")]) == 10


def test_markdown_summary_limit(apply_run: RunResult) -> None:
    assert len(markdown_summary(apply_run, limit=40)) == 40
    assert markdown_summary(apply_run).startswith("❌ Sentinel soft-fail")
