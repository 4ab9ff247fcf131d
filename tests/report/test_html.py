"""The HTML page: self-contained (no external resources), escaped, light and dark, expandable details."""

from __future__ import annotations

from html.parser import HTMLParser

from tfc_sentinel.report import RunResult
from tfc_sentinel.report.html import render_html

from .conftest import make_apply_run


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        self.text.append(data)


def _parse(run: RunResult) -> _Collector:
    collector = _Collector()
    collector.feed(render_html(run))
    collector.close()
    return collector


URL_ATTRIBUTES = ("src", "href", "srcset", "action", "data", "poster", "formaction")


def test_no_external_resources(any_run: RunResult) -> None:
    any_run.context.pop("run_url", None)
    page = _parse(any_run)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "base"}
    for tag, attrs in page.tags:
        for name in URL_ATTRIBUTES:
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert "url(" not in page.style
    assert "@import" not in page.style
    assert "http" not in page.style


def test_only_the_run_link_points_outside(apply_run: RunResult) -> None:
    page = _parse(apply_run)
    external = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "a" and not (attrs.get("href") or "#").startswith("#")
    ]
    assert external == ["https://app.terraform.io/app/acme/runs/run-abc123"]
    apply_run.context["run_url"] = "javascript:alert(1)"
    hrefs = [attrs.get("href") for tag, attrs in _parse(apply_run).tags if tag == "a"]
    assert all((href or "").startswith("#") for href in hrefs)


def test_content_security_policy_and_color_schemes(apply_run: RunResult) -> None:
    page = _parse(apply_run)
    metas = [attrs for tag, attrs in page.tags if tag == "meta"]
    csp = next(m for m in metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in (csp.get("content") or "")
    assert "prefers-color-scheme: dark" in page.style


def test_everything_is_escaped() -> None:
    run = make_apply_run()
    run.policies[2].name = '<img src="https://evil.example/x.png">'
    html = render_html(run)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src="https://evil.example' not in html
    assert "\x1b" not in html
    assert "\x00" not in html


def test_table_and_details(apply_run: RunResult) -> None:
    page = _parse(apply_run)
    rows = [attrs for tag, attrs in page.tags if tag == "tr"]
    assert len(rows) >= 1 + len(apply_run.policies)
    details = [attrs for tag, attrs in page.tags if tag == "details"]
    assert [d.get("id") for d in details] == [f"policy-{i}" for i in range(4)]
    assert ["open" in d for d in details] == [False, True, True, True]
    badges = [
        attrs.get("class")
        for tag, attrs in page.tags
        if tag == "span" and "badge" in (attrs.get("class") or "")
    ]
    assert "badge soft-fail" in badges
    text = "".join(page.text)
    assert 'module.web.aws_s3_bucket.assets["eu"]' in text
    assert "proposed monthly cost 1210.40" in text


def test_test_run_has_cases(test_run: RunResult) -> None:
    text = "".join(_parse(test_run).text)
    assert "test/require-tags/missing-owner.hcl" in text
    assert 'expected "main" to be true, got: false' in text


def test_huge_values_are_cut() -> None:
    run = make_apply_run()
    run.policies[2].rules["public_buckets"].value = {f"aws_s3_bucket.b{i}": "x" * 100 for i in range(2000)}
    html = render_html(run)
    assert "more characters)" in html
    assert len(html) < 200_000
