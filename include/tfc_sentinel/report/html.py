"""A single self-contained HTML page: one file to attach to a CI run or open from the Airflow UI.

No scripts, fonts, images or stylesheets are fetched (a Content-Security-Policy says so too), so the
page works offline and inside sandboxed viewers; details expand with ``<details>`` instead of
JavaScript; colours follow the reader's light or dark preference. Everything that came from a policy
or a configuration file is HTML-escaped, and large values are cut so one plan-sized map cannot make
the page unusable.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from .model import CaseResult, Outcome, PolicyResult, RuleResult, RunKind, RunOutcome, RunResult
from .text import summary_line
from .values import format_value, printable

__all__ = ["render_html"]

_VALUE_LIMIT = 20_000
_PRINT_LIMIT = 50_000

_CSS = """
:root{--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa;--code:#eff1f3;
--pass:#1a7f37;--fail:#cf222e;--error:#bc4c00;--warn:#9a6700;--skip:#6e7781;}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;
--panel:#161b22;--code:#1f242c;--pass:#3fb950;--fail:#f85149;--error:#db6d28;--warn:#d29922;--skip:#8b949e;}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;background:var(--bg);color:var(--fg);
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}
a{color:inherit}
.meta{color:var(--muted);margin:0 0 16px;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
.badge{display:inline-block;min-width:64px;padding:1px 8px;border-radius:10px;font-size:12px;
font-weight:600;text-align:center;color:#fff;text-transform:uppercase;letter-spacing:.02em}
.pass{background:var(--pass)}.fail,.soft-fail{background:var(--fail)}.error{background:var(--error)}
.warn{background:var(--warn)}.skipped{background:var(--skip)}
details{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:var(--panel)}
details>summary{cursor:pointer;padding:8px 12px;list-style-position:inside}
details>div{padding:4px 12px 12px;background:var(--bg);border-top:1px solid var(--line)}
pre{background:var(--code);padding:8px;border-radius:4px;overflow:auto;max-height:480px;margin:4px 0;
white-space:pre-wrap;word-break:break-word;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted{color:var(--muted)}
ul.violations{margin:4px 0;padding-left:20px}
"""


def _e(text: object) -> str:
    return escape(printable(str(text)), quote=True)


def _badge(outcome: str) -> str:
    return f'<span class="badge {_e(outcome)}">{_e(outcome.replace("-", " "))}</span>'


def _pre(text: str, limit: int = _PRINT_LIMIT) -> str:
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters)"
    return f"<pre>{_e(text)}</pre>"


def _rules_table(rules: dict[str, RuleResult]) -> str:
    if not rules:
        return ""
    rows = []
    for name, rule in rules.items():
        where = _e(str(rule.position)) if rule.position else '<span class="muted">-</span>'
        desc = f'<div class="muted">{_e(rule.description)}</div>' if rule.description else ""
        value = _pre(format_value(rule.value, _VALUE_LIMIT))
        rows.append(f"<tr><td><code>{_e(name)}</code>{desc}</td><td>{value}</td><td>{where}</td></tr>")
    return (
        "<h3>Rules</h3><table><thead><tr><th>Rule</th><th>Value</th><th>Position</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _prints(prints: list[str]) -> str:
    return f"<h3>Output</h3>{_pre(chr(10).join(prints))}" if prints else ""


def _error(error: str | None) -> str:
    return f"<h3>Error</h3>{_pre(error)}" if error else ""


def _case(case: CaseResult, verbose: bool) -> str:
    parts = [_error(case.error)]
    if case.failures:
        parts.append("<h3>Failed assertions</h3>" + _pre("\n".join(case.failures)))
    if case.warnings:
        parts.append("<h3>Warnings</h3>" + _pre("\n".join(case.warnings)))
    parts += [_rules_table(case.rules), _prints(case.prints)]
    body = "".join(parts) or '<p class="muted">Nothing to show.</p>'
    opened = " open" if verbose or case.outcome is not Outcome.PASS else ""
    return (
        f"<details{opened}><summary>{_badge(case.outcome.value)} <code>{_e(case.path)}</code>"
        f' <span class="muted">{case.duration * 1000:.1f} ms</span></summary><div>{body}</div></details>'
    )


def _policy(index: int, policy: PolicyResult, run: RunResult) -> str:
    parts = [_error(policy.error)]
    if policy.violations:
        items = "".join(
            f"<li><code>{_e(v.address)}</code>"
            + (f" - {_e(v.description)}" if v.description else "")
            + f' <span class="muted">({_e(v.source)})</span></li>'
            for v in policy.violations
        )
        parts.append(f'<h3>Violations</h3><ul class="violations">{items}</ul>')
    if run.kind is RunKind.APPLY and policy.result is not None:
        parts.append(f"<h3>Result</h3>{_pre(format_value(policy.result, _VALUE_LIMIT))}")
    parts += [_rules_table(policy.rules), _prints(policy.prints)]
    if policy.cases:
        parts.append("<h3>Test cases</h3>" + "".join(_case(case, False) for case in policy.cases))
    body = "".join(parts) or '<p class="muted">Nothing to show.</p>'
    opened = " open" if policy.outcome in (Outcome.FAIL, Outcome.ERROR) else ""
    level = (
        f' <span class="muted">{_e(policy.enforcement_level.value)}</span>'
        if run.kind is RunKind.APPLY
        else ""
    )
    return (
        f'<details id="policy-{index}"{opened}><summary>{_badge(policy.outcome.value)} '
        f'<strong>{_e(policy.name)}</strong>{level} <code class="muted">{_e(policy.path)}</code></summary>'
        f"<div>{body}</div></details>"
    )


def _policy_row(index: int, policy: PolicyResult, run: RunResult) -> str:
    if run.kind is RunKind.APPLY:
        level = _e(policy.enforcement_level.value)
        blocking = "yes" if policy.blocks(run.override) else "no"
        extra = f"<td>{level}</td><td>{blocking}</td><td>{len(policy.violations)}</td>"
    else:
        passed = sum(case.outcome is Outcome.PASS for case in policy.cases)
        extra = f"<td>{passed}/{len(policy.cases)}</td>"
    duration = policy.duration or sum(case.duration for case in policy.cases)
    return (
        f'<tr><td><a href="#policy-{index}">{_e(policy.name)}</a></td><td>{_badge(policy.outcome.value)}</td>'
        f"{extra}<td>{duration * 1000:.1f} ms</td></tr>"
    )


def _safe_link(url: str) -> str | None:
    """Only http(s) links are rendered as links; anything else (``javascript:``) stays text."""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def render_html(run: RunResult, *, title: str | None = None) -> str:
    """The run as one HTML document with inline CSS and no external resources."""
    title = title or f"Sentinel {run.kind.value} results"
    meta = [
        f"<li>{_badge(run.outcome.value)}</li>",
        f"<li>{_e(summary_line(run))}</li>",
        f"<li>engine: {_e(run.engine.name)} {_e(run.engine.version)}</li>",
        f"<li>started: {_e(run.started_at.isoformat(timespec='seconds'))}</li>",
        f"<li>duration: {run.duration:.2f} s</li>",
    ]
    if run.policy_set:
        meta.append(f"<li>policy set: <code>{_e(run.policy_set)}</code></li>")
    if run.bundle:
        meta.append(f"<li>bundle: <code>{_e(run.bundle)}</code></li>")
    if run.override:
        meta.append("<li>soft-mandatory failures overridden</li>")
    for key, value in run.context.items():
        link = _safe_link(value) if key.endswith("url") else None
        shown = f'<a href="{_e(link)}" rel="noreferrer noopener">{_e(value)}</a>' if link else _e(value)
        meta.append(f"<li>{_e(key)}: {shown}</li>")
    if run.kind is RunKind.APPLY:
        head = (
            "<th>Policy</th><th>Outcome</th><th>Level</th><th>Blocking</th><th>Violations</th><th>Time</th>"
        )
    else:
        head = "<th>Policy</th><th>Outcome</th><th>Cases passed</th><th>Time</th>"
    rows = "".join(_policy_row(i, policy, run) for i, policy in enumerate(run.policies))
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if run.policies
        else '<p class="muted">No policies were evaluated.</p>'
    )
    error = f"<h2>Run error</h2>{_pre(run.error)}" if run.error else ""
    verdict = ""
    if run.outcome is RunOutcome.SOFT_FAIL:
        verdict = "<p>Only soft-mandatory policies failed: an override would let the run continue.</p>"
    details = "".join(_policy(i, policy, run) for i, policy in enumerate(run.policies))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(title)}</h1><ul class="meta">{"".join(meta)}</ul>{verdict}{error}'
        f"<h2>Policies</h2>{table}{'<h2>Details</h2>' + details if details else ''}"
        "</body></html>\n"
    )
