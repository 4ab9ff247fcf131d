"""python-hcl2 output shapes → engine values, including the shapes of releases without the tree API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tfc_sentinel.policy import ConfigError, ImportKind, UnsupportedConfigError, load_policy_set
from tfc_sentinel.policy._hcl import convert, parse_hcl


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"plain"', "plain"),
        ('"esc \\" \\\\ \\n \\t \\u00e9 \\U0001F600"', 'esc " \\ \n \t é 😀'),
        ('"$${literal}"', "${literal}"),
        ("${-1.5e3}", -1500.0),
        ("${+7}", 7),
        ("${(((2)))}", 2),
        ("${true}", True),
        ("${null}", None),
        ("unquoted (older python-hcl2)", "unquoted (older python-hcl2)"),
        ('"<<EOT\nline\n  more\nEOT"', "line\n  more\n"),
        ('"<<-EOT\n    a\n      b\n    EOT"', "a\n  b\n"),
        ('"<<EOT\nEOT"', ""),
        (['"a"', 1, None, {'"k-1"': True, "k2": "${2}"}], ["a", 1, None, {"k-1": True, "k2": 2}]),
        (2**70, float(2**70)),
    ],
)
def test_convert(raw: object, value: object) -> None:
    assert convert(raw, "param", "f.hcl", 1) == value


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ('"${x}"', UnsupportedConfigError, "string templates"),
        ('"<<EOT\n${x}\nEOT"', UnsupportedConfigError, "string templates"),
        ("${x * 2}", UnsupportedConfigError, "the expression `x \\* 2`"),
        ({"${(k)}": 1}, UnsupportedConfigError, "computed key"),
        ('"\\x41"', ConfigError, "invalid escape sequence"),
        ('"\\uZZZZ"', ConfigError, "invalid escape sequence"),
        (object(), ConfigError, "unexpected value"),
    ],
)
def test_convert_rejects(raw: object, error: type[ConfigError], message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        convert(raw, "param", "f.hcl", 7)
    assert caught.value.line == 7
    assert caught.value.file == "f.hcl"


def test_line_index() -> None:
    parsed = parse_hcl(
        'policy "a" {\n  source = "x"\n\n  params = {}\n}\nmock "m" {\n  module {\n    source = "y"\n  }\n}\n',
        "f",
    )
    assert parsed.markers
    policy = parsed.index.block("policy", 0)
    assert (policy.line, policy.attr_line("source"), policy.attr_line("params")) == (1, 2, 4)
    mock = parsed.index.block("mock", 0)
    assert (mock.line, mock.block("module", 0).line, mock.block("module", 0).attr_line("source")) == (6, 7, 8)
    assert parsed.index.block("policy", 5).line is None  # unknown blocks degrade to no line


def test_without_the_tree_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Releases without ``hcl2.api.parses_to_tree`` still parse (without line numbers)."""
    (tmp_path / "sentinel.hcl").write_text(
        'policy "a" {\n  source = "a.sentinel"\n  enforcement_level = "hard-mandatory"\n}\n'
        'import "module" "m" {\n  source = "m.sentinel"\n}\n'
        'import "clock" {\n  path = "./clock"\n}\n'
        "test {\n  rules = { main = true }\n}\n",
        encoding="utf-8",
    )
    import hcl2  # noqa: F401  - make sure the package itself is loaded before hiding hcl2.api

    monkeypatch.setitem(sys.modules, "hcl2.api", None)
    config = load_policy_set(tmp_path)
    assert config.policies[0].path == tmp_path / "a.sentinel"
    assert config.policies[0].location.line is None
    assert config.imports["m"].kind is ImportKind.MODULE
    assert config.imports["clock"].kind is ImportKind.PLUGIN
