"""Server-rendered HTML for the "Policy results" pages: one string per page, no templates on disk.

Why plain functions and f-strings: the pages are small, they must work with no network access (the
Airflow UI may run air-gapped) and inside the UI's sandboxed iframe, so there is nothing to bundle:
inline CSS, no fonts or images, ``<details>`` instead of JavaScript for expanding rows. Light and dark
follow ``prefers-color-scheme``.

The one script (:data:`_LINK_SCRIPT`, pinned by its hash in the Content-Security-Policy) exists because
Airflow 3.3's iframe sandbox lacks ``allow-popups``: a ``target="_blank"`` link to the Terraform run
is silently blocked there. The script opens such links through a link in the (same-origin, unsandboxed)
Airflow page instead; outside a frame, or if that fails, the link behaves as written. Every value that came from a DAG, a policy, a plan or
a URL goes through :func:`_e` (HTML-escaped, control characters made visible), every link through
:func:`tfc_sentinel.ui.data.safe_url` or a path built here from quoted segments.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlencode

from tfc_sentinel.report.values import format_value, printable

from .data import OUTCOMES, PERIODS, Check, Filters, PolicyRate, RunView, safe_url

if TYPE_CHECKING:
    from tfc_sentinel.report.model import CaseResult, PolicyResult, RunResult

__all__ = ["CheckSection", "Download", "error_page", "overview_page", "run_page"]

_VALUE_LIMIT: Final = 20_000
_PRINT_LIMIT: Final = 50_000
_MAX_ROWS: Final = 200
_FINAL_TASK_STATES: Final = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})

_CSS: Final = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;
--code:#eff2f5;--link:#0969da;--pass:#1a7f37;--fail:#cf222e;--error:#bc4c00;--warn:#9a6700;--skip:#6e7781;
--run:#0969da;--shadow:rgba(31,35,40,.06)}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--panel:#151b23;--code:#1f242c;--link:#4493f8;--pass:#2ea043;--fail:#f85149;--error:#db6d28;--warn:#bb8009;
--skip:#8b949e;--run:#4493f8;--shadow:rgba(0,0,0,.3)}}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;padding:20px 24px 40px;background:var(--bg);color:var(--fg);
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:28px 0 10px}h3{font-size:14px;margin:18px 0 6px}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,monospace}
pre{background:var(--code);padding:8px 10px;border-radius:6px;overflow:auto;max-height:420px;margin:4px 0;
white-space:pre-wrap;word-break:break-word}
.muted{color:var(--muted)}.small{font-size:12px}
header.top{display:flex;justify-content:space-between;align-items:flex-start;gap:16px;flex-wrap:wrap;
border-bottom:1px solid var(--line);padding-bottom:12px;margin-bottom:16px}
header.top .sub{color:var(--muted);margin-top:4px}
header.top nav a{display:inline-block;padding:4px 10px;border:1px solid var(--line);border-radius:6px}
.badge{display:inline-block;min-width:58px;padding:1px 8px;border-radius:999px;font-size:11px;font-weight:600;
text-align:center;color:#fff;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap;
background:var(--skip)}
.badge.big{font-size:14px;padding:4px 14px;min-width:96px}
.pass,.success{background:var(--pass)}.fail,.soft-fail,.failed,.upstream_failed{background:var(--fail)}
.error{background:var(--error)}.warn,.up_for_retry{background:var(--warn)}
.running,.queued,.scheduled,.deferred,.up_for_reschedule{background:var(--run)}
.verdict{display:flex;gap:14px;align-items:center;padding:12px 14px;border:1px solid var(--line);
border-left:6px solid var(--skip);border-radius:8px;background:var(--panel);margin:8px 0 12px}
.verdict.v-pass{border-left-color:var(--pass)}.verdict.v-warn{border-left-color:var(--warn)}
.verdict.v-fail,.verdict.v-soft-fail{border-left-color:var(--fail)}.verdict.v-error{border-left-color:var(--error)}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px 20px;margin:0 0 8px}
dl.facts div{min-width:0}dl.facts dt{color:var(--muted);font-size:12px}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.grid{border:1px solid var(--line);border-radius:8px;overflow:hidden}
.prow{display:grid;grid-template-columns:minmax(180px,2.2fr) 1.2fr .9fr .8fr .8fr;gap:10px;align-items:center;
padding:7px 12px}
.prow.head{background:var(--panel);font-weight:600;font-size:12px;color:var(--muted)}
details.policy{border-top:1px solid var(--line)}
details.policy>summary{cursor:pointer;list-style:none}
details.policy>summary::-webkit-details-marker{display:none}
details.policy>summary .name::before{content:"\\25B8";display:inline-block;width:14px;color:var(--muted)}
details.policy[open]>summary .name::before{content:"\\25BE"}
details.policy>summary:hover{background:var(--panel)}
details.policy>.body{padding:4px 16px 14px 38px;border-top:1px dashed var(--line)}
.name{font-weight:600;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);font-size:12px;color:var(--muted);font-weight:600}
table.data{border:1px solid var(--line);border-radius:8px}
ul.violations{margin:4px 0;padding-left:18px}ul.violations li{margin:2px 0}
.notice{padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:var(--panel);margin:10px 0}
.notice.bad{border-color:var(--fail)}
.downloads{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0}
.downloads a{padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--panel)}
form.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-end;padding:12px;border:1px solid var(--line);
border-radius:8px;background:var(--panel)}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
select,button{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:6px;
padding:4px 8px;min-width:120px}
button{cursor:pointer;background:var(--link);color:#fff;border-color:var(--link);min-width:0;padding:4px 14px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:140px;background:var(--panel)}
.card .n{font-size:22px;font-weight:600}
.bar{position:relative;height:10px;border-radius:5px;background:var(--code);min-width:120px;overflow:hidden}
.bar>span{position:absolute;left:0;top:0;bottom:0;background:var(--pass)}
.bar.low>span{background:var(--fail)}.bar.mid>span{background:var(--warn)}
.nowrap{white-space:nowrap}
"""

_LINK_SCRIPT: Final = (
    "document.addEventListener('click',function(e){"
    "var a=e.target.closest&&e.target.closest('a[target=_blank]');"
    "if(!a||window.top===window)return;"
    "try{var d=window.top.document,p=d.createElement('a');"
    "p.href=a.href;p.target='_blank';p.rel='noopener noreferrer';"
    "d.body.appendChild(p);p.click();p.remove();e.preventDefault();}catch(x){}});"
)
_LINK_SCRIPT_HASH: Final = base64.b64encode(hashlib.sha256(_LINK_SCRIPT.encode()).digest()).decode()
_CSP: Final = (
    f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_LINK_SCRIPT_HASH}'; "
    "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Headers for every page: no outside resources, only the link script, framable only by the Airflow UI."""


def _e(value: object) -> str:
    """HTML-escaped text, quotes included (safe in attributes), control characters made visible."""
    return escape(printable(str(value)), quote=True)


def path(base: str, *segments: str, **query: str) -> str:
    """A URL path under the app's mount point, each segment percent-quoted (no ``/`` survives)."""
    url = base.rstrip("/") + "/" + "/".join(quote(segment, safe="") for segment in segments)
    params = {key: value for key, value in query.items() if value}
    return url + ("?" + urlencode(params) if params else "")


def _badge(outcome: str | None, big: bool = False) -> str:
    value = outcome or "unknown"
    css = "badge big" if big else "badge"
    return f'<span class="{css} {_e(value)}">{_e(value.replace("-", " ").replace("_", " "))}</span>'


def _time(value: datetime | None) -> str:
    if value is None:
        return '<span class="muted">-</span>'
    shown = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f'<time datetime="{_e(value.isoformat())}">{_e(shown)}</time>'


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return '<span class="muted">-</span>'
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def _pre(text: str, limit: int = _PRINT_LIMIT) -> str:
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters)"
    return f"<pre>{_e(text)}</pre>"


def _external_link(url: str | None, text: str) -> str:
    """A link out of Airflow (Terraform Cloud); anything but http(s) is shown as text."""
    safe = safe_url(url)
    if not safe:
        return _e(text)
    return f'<a href="{_e(safe)}" target="_blank" rel="noopener noreferrer">{_e(text)} &#8599;</a>'


def _page(title: str, body: str, *, refresh: int | None = None) -> str:
    refresh_tag = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="color-scheme" content="light dark">{refresh_tag}'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body}<script>{_LINK_SCRIPT}</script></body></html>\n"
    )


def _header(title: str, sub: str, nav: str) -> str:
    return (
        f'<header class="top"><div><h1>{_e(title)}</h1><div class="sub">{sub}</div></div>'
        f"<nav>{nav}</nav></header>"
    )


# -- the DAG-run tab ---------------------------------------------------------------------------------------


@dataclass
class Download:
    label: str
    href: str
    filename: str


@dataclass
class CheckSection:
    """One check on the run page: its summary, the parsed reports (when readable) and download links."""

    check: Check
    report: RunResult | None = None
    report_error: str | None = None
    tests: RunResult | None = None
    tests_error: str | None = None
    downloads: list[Download] = field(default_factory=list)
    test_downloads: list[Download] = field(default_factory=list)


def _verdict_text(check: Check) -> str:
    summary = check.summary
    fail_on = summary.get("fail_on") or "-"
    levels = {p["name"]: p["level"] for p in check.policies}
    failed = [p for p in check.policies if p["outcome"] in ("fail", "error")]
    error = summary.get("error")
    if error:
        return f"The check could not run: {error}"
    blocking = [name for name in summary.get("blocking") or [] if isinstance(name, str)]
    listing = ", ".join(f"{p['name']} ({p['level']})" for p in failed)
    if blocking:
        names = ", ".join(f"{name} ({levels.get(name, '?')})" for name in blocking)
        text = f"Failed at fail_on={fail_on}: {names}"
    elif failed:
        text = f"Passed at fail_on={fail_on}; failed below the threshold: {listing}"
    else:
        text = "Every policy passed"
    tests = check.tests
    if tests is not None and tests.get("outcome") not in (None, "pass"):
        text += f". The policy set's own tests: {tests.get('outcome')}"
    return text


def _counts_text(check: Check) -> str:
    counts = check.counts
    if not counts:
        return ""
    parts = [f"{counts.get('passed', 0)} of {counts.get('policies', 0)} policies passed"]
    for key, label in (
        ("hard_mandatory_failed", "hard-mandatory failed"),
        ("soft_mandatory_failed", "soft-mandatory failed"),
        ("advisory_failed", "advisory failed"),
        ("errored", "errored"),
    ):
        if counts.get(key):
            parts.append(f"{counts[key]} {label}")
    return " · ".join(parts)


def _facts(check: Check, report: RunResult | None) -> str:
    context = report.context if report is not None else {}
    workspace = check.workspace or context.get("workspace")
    organization = check.organization or context.get("organization")
    run_url = check.run_url or safe_url(context.get("run_url"))
    tfc_run = check.tfc_run_id or context.get("run_id") or (run_url and "Terraform run")
    facts = [
        (
            "Workspace",
            _e(f"{organization} / {workspace}" if organization and workspace else workspace or "-"),
        ),
        ("Terraform run", _external_link(run_url, tfc_run) if tfc_run else '<span class="muted">-</span>'),
        ("Fail on", _e(check.summary.get("fail_on") or "-")),
        ("Policy set", f"<code>{_e(check.summary.get('policy_set') or '-')}</code>"),
    ]
    engine = _e(check.summary.get("engine") or "-")
    if report is not None:
        engine += f' <span class="muted">({_e(report.engine.name)} {_e(report.engine.version)})</span>'
    facts.append(("Engine", engine))
    facts.append(("Checked", _time(check.checked_at)))
    if report is not None:
        facts.append(("Evaluation time", _duration(report.duration)))
    facts.append(("Task", f"<code>{_e(check.key)}</code>"))
    return (
        '<dl class="facts">'
        + "".join(f"<div><dt>{_e(label)}</dt><dd>{value}</dd></div>" for label, value in facts)
        + "</dl>"
    )


def _rules(policy: PolicyResult | CaseResult) -> str:
    if not policy.rules:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(name)}</code>"
        + (f'<div class="muted small">{_e(rule.description)}</div>' if rule.description else "")
        + f"</td><td>{_pre(format_value(rule.value, _VALUE_LIMIT))}</td>"
        + f'<td class="muted small nowrap">{_e(rule.position) if rule.position else "-"}</td></tr>'
        for name, rule in policy.rules.items()
    )
    return (
        '<h3>Rule values</h3><table class="data rules"><thead><tr><th>Rule</th><th>Value</th>'
        f"<th>Position</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _violations(policy: PolicyResult) -> str:
    if not policy.violations:
        return ""
    items = "".join(
        f'<li><code class="address">{_e(v.address)}</code>'
        + (f" - {_e(v.description)}" if v.description and v.description != v.address else "")
        + (f' <span class="muted small">({_e(v.source)})</span>' if v.source else "")
        + "</li>"
        for v in policy.violations
    )
    return f'<h3>Violating resources</h3><ul class="violations">{items}</ul>'


def _policy_body(policy: PolicyResult) -> str:
    parts = []
    if policy.description:
        parts.append(f'<p class="muted">{_e(policy.description)}</p>')
    if policy.error:
        parts.append(f"<h3>Error</h3>{_pre(policy.error)}")
    parts.append(_violations(policy))
    parts.append(_rules(policy))
    if policy.result is not None and "main" not in policy.rules:
        parts.append(f"<h3>Result</h3>{_pre(format_value(policy.result, _VALUE_LIMIT))}")
    if policy.prints:
        parts.append(f"<h3>Print output</h3>{_pre(chr(10).join(policy.prints))}")
    parts.append(f'<p class="muted small">File: <code>{_e(policy.path)}</code></p>')
    return "".join(parts)


def _policy_row(name: str, level: str, outcome: str, duration: str, violations: str, body: str) -> str:
    opened = " open" if outcome in ("fail", "error") else ""
    return (
        f'<details class="policy"{opened} data-policy="{_e(name)}"><summary class="prow">'
        f'<span class="name">{_e(name)}</span><span>{_e(level or "-")}</span>'
        f"<span>{_badge(outcome)}</span><span>{duration}</span><span>{violations}</span></summary>"
        f'<div class="body">{body}</div></details>'
    )


def _policies(section: CheckSection) -> str:
    head = (
        '<div class="prow head"><span>Policy</span><span>Enforcement level</span><span>Result</span>'
        "<span>Duration</span><span>Violations</span></div>"
    )
    if section.report is not None:
        rows = [
            _policy_row(
                p.name,
                p.enforcement_level.value,
                p.outcome.value,
                _duration(p.duration),
                str(len(p.violations)) if p.violations else '<span class="muted">0</span>',
                _policy_body(p),
            )
            for p in section.report.policies
        ]
    else:
        note = '<p class="muted">Details are in the full report, which cannot be shown.</p>'
        rows = [
            _policy_row(p["name"], p["level"], p["outcome"], _duration(None), "-", note)
            for p in section.check.policies
        ]
    if not rows:
        return '<p class="muted">No policies were evaluated.</p>'
    return f'<div class="grid policies">{head}{"".join(rows)}</div>'


def _case_rows(cases: Sequence[CaseResult]) -> str:
    rows = []
    for case in cases:
        details = ""
        if case.error:
            details += _pre(case.error)
        if case.failures:
            details += _pre("\n".join(case.failures))
        rows.append(
            f"<tr><td><code>{_e(case.name)}</code></td><td>{_badge(case.outcome.value)}</td>"
            f"<td>{_duration(case.duration)}</td><td>{details}</td></tr>"
        )
    return (
        '<table class="data cases"><thead><tr><th>Case</th><th>Result</th><th>Duration</th>'
        f"<th>Failures</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _tests(section: CheckSection) -> str:
    summary = section.check.tests
    if summary is None:
        return ""
    counts = summary.get("counts") if isinstance(summary.get("counts"), dict) else {}
    head = (
        f"<h3>Policy set tests {_badge(str(summary.get('outcome') or 'unknown'))}</h3>"
        f'<p class="muted">{_e(counts.get("cases_passed", 0))} of {_e(counts.get("cases", 0))} test cases '
        "passed</p>"
    )
    if summary.get("error"):
        head += _pre(str(summary["error"]))
    if section.tests is None:
        reason = section.tests_error or "the test report was not stored"
        return head + f'<p class="notice">Test case details are not available: {_e(reason)}</p>'
    rows = []
    for policy in section.tests.policies:
        passed = sum(case.outcome.value == "pass" for case in policy.cases)
        body = (_pre(policy.error) if policy.error else "") + (
            _case_rows(policy.cases) if policy.cases else '<p class="muted">No test cases.</p>'
        )
        rows.append(
            _policy_row(
                policy.name,
                f"{passed}/{len(policy.cases)} cases",
                policy.outcome.value,
                _duration(sum(case.duration for case in policy.cases)),
                "",
                body,
            )
        )
    grid_head = (
        '<div class="prow head"><span>Policy</span><span>Cases passed</span><span>Result</span>'
        "<span>Duration</span><span></span></div>"
    )
    return head + f'<div class="grid tests">{grid_head}{"".join(rows)}</div>'


def _downloads(downloads: Sequence[Download]) -> str:
    if not downloads:
        return '<p class="muted">No report files were recorded.</p>'
    links = "".join(
        f'<a href="{_e(d.href)}" download="{_e(d.filename)}">{_e(d.label)}</a>' for d in downloads
    )
    return f'<div class="downloads">{links}</div>'


def _section(section: CheckSection, several: bool) -> str:
    check = section.check
    parts = [f"<h2>Task <code>{_e(check.key)}</code></h2>" if several else ""]
    parts.append(
        f'<div class="verdict v-{_e(check.outcome)}">{_badge(check.outcome, big=True)}'
        f'<div><strong class="verdict-text">{_e(_verdict_text(check))}</strong>'
        f'<div class="muted">{_e(_counts_text(check))}</div></div></div>'
    )
    parts.append(_facts(check, section.report))
    if section.report_error:
        parts.append(
            f'<p class="notice bad">The full report cannot be shown ({_e(section.report_error)}); '
            "the rows below come from the task's XCom summary.</p>"
        )
    parts.append("<h3>Policies</h3>")
    parts.append(_policies(section))
    parts.append(_tests(section))
    parts.append("<h3>Reports</h3>" + _downloads(section.downloads))
    if section.test_downloads:
        parts.append("<h3>Test reports</h3>" + _downloads(section.test_downloads))
    return f'<section class="check" data-task="{_e(check.key)}">{"".join(parts)}</section>'


def _pending(view: RunView) -> str:
    if not view.tasks:
        if view.skipped_summaries:
            return '<p class="notice">This run has a policy summary that cannot be read here.</p>'
        return '<p class="notice">This DAG run has no policy check.</p>'
    rows = "".join(
        f"<li><code>{_e(t.task_id if t.map_index < 0 else f'{t.task_id}[{t.map_index}]')}</code> "
        f"{_badge(t.state or 'none')}</li>"
        for t in view.tasks
    )
    if view.finished:
        text = "The policy check did not produce results (it did not run, or failed before reporting):"
    else:
        text = "The policy check has not finished yet; this page refreshes by itself:"
    return f'<div class="notice"><p>{_e(text)}</p><ul>{rows}</ul></div>'


def run_page(view: RunView, sections: Sequence[CheckSection], *, base: str, user: str = "") -> str:
    """The DAG run's "Policy results" tab."""
    sub = (
        f"DAG <code>{_e(view.dag_id)}</code> · run <code>{_e(view.run_id)}</code> · "
        f"{_badge(view.state or 'unknown')}" + (f' · <span class="small">{_e(user)}</span>' if user else "")
    )
    nav = f'<a href="{_e(path(base))}">All policy checks</a>'
    body = [_header("Policy results", sub, nav)]
    if view.comments:
        ids = ", ".join(f"<code>{_e(comment)}</code>" for comment in view.comments)
        body.append(f'<p class="muted small posted">Posted to the Terraform run as comment {ids}.</p>')
    if sections:
        body += [_section(section, len(sections) > 1) for section in sections]
    else:
        body.append(_pending(view))
    # Refresh while the check is still coming: the run is not over and no task has reported yet, or
    # one of several policy tasks is still going.
    pending = any(t.state not in _FINAL_TASK_STATES for t in view.tasks)
    refresh = 15 if not view.finished and (not sections or pending) else None
    return _page(f"Policy results · {view.dag_id} · {view.run_id}", "".join(body), refresh=refresh)


# -- the overview -----------------------------------------------------------------------------------------


def _select(name: str, label: str, current: str, options: Iterable[tuple[str, str]]) -> str:
    opts = "".join(
        f'<option value="{_e(value)}"{" selected" if value == current else ""}>{_e(text)}</option>'
        for value, text in options
    )
    return f'<label>{_e(label)}<select name="{_e(name)}">{opts}</select></label>'


_PERIOD_LABELS: Final = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
}


def _filters_form(
    filters: Filters, *, base: str, workspaces: Sequence[str], policies: Sequence[str], dag_ids: Sequence[str]
) -> str:
    fields = [
        _select("period", "Time range", filters.period, [(p, _PERIOD_LABELS[p]) for p in PERIODS]),
        _select(
            "workspace",
            "Workspace",
            filters.workspace,
            [("", "All workspaces")] + [(w, w) for w in workspaces],
        ),
        _select("outcome", "Outcome", filters.outcome, [("", "All outcomes")] + [(o, o) for o in OUTCOMES]),
        _select("policy", "Policy", filters.policy, [("", "All policies")] + [(p, p) for p in policies]),
    ]
    if len(dag_ids) > 1 or filters.dag_id:
        fields.append(
            _select("dag_id", "DAG", filters.dag_id, [("", "All DAGs")] + [(d, d) for d in dag_ids])
        )
    reset = f'<a href="{_e(path(base))}">Reset</a>' if filters.active or filters.period != "30d" else ""
    return (
        f'<form class="filters" method="get" action="{_e(path(base))}">{"".join(fields)}'
        f'<button type="submit">Apply</button>{reset}</form>'
    )


def _checks_table(checks: Sequence[Check], base: str) -> str:
    if not checks:
        return '<p class="notice empty">No policy checks match these filters in this time range.</p>'
    rows = []
    for check in checks[:_MAX_ROWS]:
        failed = [p["name"] for p in check.policies if p["outcome"] in ("fail", "error")]
        counts = check.counts
        passed = f"{counts.get('passed', 0)}/{counts.get('policies', 0)}" if counts else "-"
        failed_html = (
            ", ".join(f"<code>{_e(name)}</code>" for name in failed) or '<span class="muted">none</span>'
        )
        run_link = path(base, "runs", check.dag_id, check.dag_run_id)
        workspace = check.workspace or "-"
        tfc = (
            _external_link(check.run_url, check.tfc_run_id or "run")
            if check.run_url
            else _e(check.tfc_run_id or "-")
        )
        rows.append(
            f'<tr class="check-row" data-outcome="{_e(check.outcome)}" data-run="{_e(check.dag_run_id)}">'
            f'<td class="nowrap">{_time(check.checked_at)}</td>'
            f"<td>{_badge(check.outcome)}</td><td>{_e(workspace)}</td><td>{tfc}</td>"
            f'<td><a href="{_e(run_link)}">{_e(check.dag_run_id)}</a>'
            f'<div class="muted small">{_e(check.dag_id)} · {_e(check.key)}</div></td>'
            f"<td>{passed}</td><td>{failed_html}</td></tr>"
        )
    more = (
        f'<p class="muted small">Showing the newest {_MAX_ROWS} of {len(checks)} checks.</p>'
        if len(checks) > _MAX_ROWS
        else ""
    )
    return (
        '<table class="data checks"><thead><tr><th>Checked</th><th>Outcome</th><th>Workspace</th>'
        "<th>Terraform run</th><th>DAG run</th><th>Passed</th><th>Failed policies</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def _rates_table(rates: Sequence[PolicyRate]) -> str:
    if not rates:
        return '<p class="muted">No policy was evaluated in the checks shown.</p>'
    rows = []
    for rate in rates:
        value = rate.rate
        percent = "-" if value is None else f"{value * 100:.0f}%"
        width = 0 if value is None else round(value * 100)
        tone = "" if value is None or value >= 0.9 else ("mid" if value >= 0.5 else "low")
        rows.append(
            f'<tr class="rate-row" data-policy="{_e(rate.name)}"><td><code>{_e(rate.name)}</code></td>'
            f"<td>{_e(rate.level or '-')}</td><td>{rate.evaluated}</td><td>{rate.passed}</td>"
            f"<td>{rate.failed + rate.errored}</td>"
            f'<td class="nowrap"><strong>{percent}</strong></td>'
            f'<td><div class="bar {tone}" role="img" aria-label="{percent} passed">'
            f'<span style="width:{width}%"></span></div></td></tr>'
        )
    return (
        '<table class="data rates"><thead><tr><th>Policy</th><th>Enforcement level</th><th>Evaluated</th>'
        "<th>Passed</th><th>Failed</th><th>Pass rate</th><th></th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def overview_page(
    checks: Sequence[Check],
    rates: Sequence[PolicyRate],
    filters: Filters,
    *,
    base: str,
    workspaces: Sequence[str],
    policies: Sequence[str],
    dag_ids: Sequence[str],
    capped: bool = False,
    user: str = "",
) -> str:
    """Recent checks across runs and workspaces, with filters and per-policy pass rates."""
    sub = "Sentinel policy checks across DAG runs and Terraform workspaces" + (
        f' · <span class="small">{_e(user)}</span>' if user else ""
    )
    failing = sum(check.outcome in ("fail", "soft-fail", "error") for check in checks)
    workspaces_seen = len({check.workspace for check in checks if check.workspace})
    cards = (
        '<div class="cards">'
        f'<div class="card"><div class="n">{len(checks)}</div><div class="muted">checks</div></div>'
        f'<div class="card"><div class="n">{failing}</div><div class="muted">failed or errored</div></div>'
        f'<div class="card"><div class="n">{workspaces_seen}</div><div class="muted">workspaces</div></div>'
        "</div>"
    )
    notice = (
        f'<p class="notice">Only the newest {len(checks)} checks of this time range were read; narrow the '
        "range for older ones.</p>"
        if capped
        else ""
    )
    body = [
        _header("Policy results", sub, ""),
        _filters_form(filters, base=base, workspaces=workspaces, policies=policies, dag_ids=dag_ids),
        cards,
        notice,
        "<h2>Recent checks</h2>",
        _checks_table(checks, base),
        "<h2>Pass rate by policy</h2>",
        '<p class="muted small">Share of evaluations that passed, over the checks above (skipped policies '
        "do not count).</p>",
        _rates_table(rates),
    ]
    return _page("Policy results", "".join(body))


# -- errors -----------------------------------------------------------------------------------------------


def error_page(status: int, title: str, detail: str, *, login: str | None = None) -> str:
    """401/403/404 pages: say what happened and, for 401, where to log in."""
    link = f'<p><a href="{_e(login)}">Log in to Airflow</a></p>' if login else ""
    body = f"{_header(title, _e(f'HTTP {status}'), '')}<p>{_e(detail)}</p>{link}"
    return _page(title, body)
