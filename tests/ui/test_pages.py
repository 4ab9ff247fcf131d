"""Page rendering and the data helpers on made-up inputs: hostile text, odd URLs, runs still going.

Everything a page shows came from somewhere a user or a plan controls (policy names and prints,
resource addresses, DAG and run IDs, URLs in XCom), so these tests feed markup and ``javascript:``
links in and check that they come out inert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tfc_sentinel.report.model import (
    EnforcementLevel,
    Outcome,
    PolicyResult,
    RuleResult,
    RunKind,
    RunResult,
    Violation,
)
from tfc_sentinel.ui import data, pages
from tfc_sentinel.ui.data import Check, Filters, PolicyTask, RunView

EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def make_check(**overrides: Any) -> Check:
    summary = {
        "outcome": "fail",
        "fail_on": "soft-mandatory",
        "failed": True,
        "engine": "builtin",
        "policy_set": EVIL,
        "error": None,
        "counts": {"policies": 2, "passed": 1, "failed": 1, "hard_mandatory_failed": 1},
        "policies": [
            {"name": EVIL, "level": "hard-mandatory", "outcome": "fail"},
            {"name": "ok-policy", "level": "advisory", "outcome": "pass"},
        ],
        "blocking": [EVIL],
        "tests": None,
        "reports": {"json": "file:///nonexistent/report.json"},
    }
    fields: dict[str, Any] = {
        "dag_id": "dag<b>",
        "dag_run_id": "manual__x<i>",
        "task_id": "run_policies",
        "map_index": -1,
        "checked_at": NOW,
        "summary": summary,
        "run_url": None,
        "tfc_run_id": "run-abc",
        "organization": "org",
        "workspace": EVIL,
    }
    fields.update(overrides)
    return Check(**fields)


def make_view(checks: list[Check], tasks: list[PolicyTask] | None = None, state: str = "failed") -> RunView:
    return RunView("dag<b>", "manual__x<i>", state, NOW, NOW, NOW, {}, checks, tasks or [])


def hostile_report() -> RunResult:
    policy = PolicyResult(
        name=EVIL,
        path="p.sentinel",
        outcome=Outcome.FAIL,
        enforcement_level=EnforcementLevel.HARD_MANDATORY,
        result=False,
        rules={"main": RuleResult("main", EVIL)},
        prints=[EVIL + "\x1b[31m red"],
        violations=[Violation(address=EVIL, description=EVIL, source="print")],
        duration=0.0123,
    )
    return RunResult(kind=RunKind.APPLY, policies=[policy], context={"run_url": "javascript:alert(3)"})


def assert_inert(page: str) -> None:
    assert page.lower().count("<script") == 1  # the page's own link helper, nothing from the data
    assert "<script>alert" not in page.lower()
    assert "<img" not in page.lower()
    assert 'href="javascript:' not in page.lower()


def test_run_page_escapes_everything_from_policies_and_ids() -> None:
    check = make_check(run_url="javascript:alert(3)")
    section = pages.CheckSection(check, report=hostile_report())
    page = pages.run_page(make_view([check]), [section], base="/tfc-sentinel", user=EVIL)
    assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\x1b[31m red" in page  # terminal escapes shown, not passed through
    assert "dag&lt;b&gt;" in page and "manual__x&lt;i&gt;" in page
    assert "run-abc" in page and 'href="javascript' not in page  # the run ID is text, not a link


def test_summary_only_page_when_the_report_is_unreadable() -> None:
    check = make_check()
    section = pages.CheckSection(check, report_error=f"gone {EVIL}")
    page = pages.run_page(make_view([check]), [section], base="")
    assert_inert(page)
    assert "The full report cannot be shown (gone &lt;script&gt;" in page
    assert 'data-policy="ok-policy"' in page


def test_the_content_security_policy_pins_the_only_script() -> None:
    import base64
    import hashlib
    import re

    page = pages.run_page(make_view([]), [], base="")
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in pages.SECURITY_HEADERS["Content-Security-Policy"]


def test_links_are_built_from_quoted_segments() -> None:
    assert pages.path("/tfc-sentinel", "runs", "d", "manual__2026-01-01T00:00:00+00:00") == (
        "/tfc-sentinel/runs/d/manual__2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert pages.path("", "runs", "../x", "a/b") == "/runs/..%2Fx/a%2Fb"
    assert pages.path("/p/", period="7d", outcome="") == "/p/?period=7d"


@pytest.mark.parametrize(
    ("tasks", "state", "expected", "refreshes"),
    [
        ([], "success", "This DAG run has no policy check.", False),
        ([PolicyTask("run_policies", -1, "running")], "running", "has not finished yet", True),
        ([PolicyTask("run_policies", -1, None)], "queued", "has not finished yet", True),
        ([PolicyTask("run_policies", -1, "upstream_failed")], "failed", "did not produce results", False),
    ],
)
def test_runs_without_results_say_why(
    tasks: list[PolicyTask], state: str, expected: str, refreshes: bool
) -> None:
    page = pages.run_page(make_view([], tasks, state), [], base="")
    assert expected in page
    assert ('<meta http-equiv="refresh"' in page) is refreshes


def test_overview_escapes_filters_and_values() -> None:
    check = make_check(run_url="https://app.terraform.io/app/org/ws/runs/run-abc")
    filters = Filters(workspace=EVIL, policy=EVIL)
    page = pages.overview_page(
        [check],
        data.pass_rates([check]),
        filters,
        base="/tfc-sentinel",
        workspaces=[EVIL],
        policies=[EVIL],
        dag_ids=["dag<b>", "other"],
    )
    assert_inert(page)
    assert 'href="https://app.terraform.io/app/org/ws/runs/run-abc"' in page
    assert 'select name="dag_id"' in page  # several DAGs: the DAG filter appears


def test_overview_says_when_it_read_only_the_newest_checks() -> None:
    page = pages.overview_page(
        [], [], Filters(), base="", workspaces=[], policies=[], dag_ids=[], capped=True
    )
    assert "Only the newest 0 checks" in page and "No policy checks match" in page


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.terraform.io/app/acme/net-prod/runs/run-abc", ("acme", "net-prod", "run-abc")),
        (
            "https://tfe.example.com/app/acme/workspaces/net-prod/runs/run-abc?x=1",
            ("acme", "net-prod", "run-abc"),
        ),
        ("http://127.0.0.1:5000/app/acme-corp/net-prod/runs/run-x", ("acme-corp", "net-prod", "run-x")),
        ("https://example.com/somewhere", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_split_run_url(url: str | None, expected: tuple[str | None, ...]) -> None:
    assert data.split_run_url(url) == expected


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil", "ftp://x/y", 42, None])
def test_only_http_urls_are_linked(url: Any) -> None:
    assert data.safe_url(url) is None


def test_filters_ignore_unknown_values() -> None:
    filters = Filters.parse({"period": "1y", "outcome": "bad", "workspace": " ws ", "policy": "p"})
    assert filters == Filters(period="30d", workspace="ws", policy="p")
    assert filters.since(NOW) == NOW - timedelta(days=30)
    assert Filters(period="all").since(NOW) is None


def test_pass_rates_count_evaluations_not_skips_and_put_the_worst_first() -> None:
    def check(*outcomes: str) -> Check:
        policies = [{"name": f"p{i}", "level": "advisory", "outcome": o} for i, o in enumerate(outcomes)]
        return make_check(summary={"outcome": "warn", "policies": policies})

    rates = data.pass_rates([check("pass", "fail", "skipped"), check("pass", "pass", "skipped")])
    assert [(r.name, r.evaluated, r.passed, r.rate) for r in rates] == [
        ("p1", 2, 1, 0.5),
        ("p0", 2, 2, 1.0),
        ("p2", 0, 0, None),
    ]


def test_a_malformed_summary_does_not_break_a_page() -> None:
    check = make_check(summary={"outcome": 3, "policies": ["x", {"name": 1}], "counts": "many", "tests": []})
    assert (check.outcome, check.policies, check.counts, check.tests) == ("unknown", [], {}, None)
    assert check.report_location("report", "json") is None
    page = pages.run_page(make_view([check]), [pages.CheckSection(check)], base="")
    assert "No policies were evaluated." in page


def test_a_posted_comment_is_mentioned() -> None:
    view = make_view([])
    view.comments = ["wsc-<b>123"]
    page = pages.run_page(view, [], base="")
    assert "Posted to the Terraform run as comment <code>wsc-&lt;b&gt;123</code>." in page
    assert "Posted to the Terraform run" not in pages.run_page(make_view([]), [], base="")
