"""sentinel.hcl and test case files: every block kind in HCL and JSON, paths, values, and bad input."""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.policy import (
    ConfigError,
    ConfigSyntaxError,
    EnforcementLevel,
    ImportKind,
    UnsupportedConfigError,
    is_remote_source,
    load_policy_set,
    load_test_case,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


KITCHEN_SINK = r"""
# A policy set using every block kind.
sentinel {
  features = {
    apply-all = true
    terraform = true
  }
}

policy "restrict-ec2" {
  source            = "./restrict-ec2.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_types = ["t3.micro", "t3.small"]
    max_count     = 3
  }
}

policy "require-tags" {
  source            = "policies/require-tags.sentinel"
  enforcement_level = "soft-mandatory"
}

policy "cost" {
  enforcement_level = "validate"
}

policy "advisory-by-default" {
  source = "../shared/advisory.sentinel"
}

module "tfplan-functions" {
  source = "../common/tfplan-functions.sentinel"
}

import "module" "helpers" {
  source = "modules/helpers.sentinel"
}

import "static" "people" {
  source = "data/people.json"
  format = "json"
}

import "plugin" "clock" {
  source = "./bin/sentinel-import-clock"
  args   = ["-utc"]
  env    = { TZ = "UTC" }
  config = { fixed = 1504155600 }
}

mock "tfplan/v2" {
  module {
    source = "mocks/mock-tfplan-v2.sentinel"
  }
}

mock "time" {
  data = {
    now = { hour = 9, weekday_name = "Monday" }
  }
}

param "environment" {
  value = "prod"
}

param "require-tags/mandatory" {
  value = ["owner", "cost-center"]
}

global "limits" {
  value = { cpu = 4, "memory-gb" = 16.5, enabled = true, nothing = null }
}
"""


@pytest.fixture
def kitchen(tmp_path: Path) -> Path:
    return write(tmp_path / "set" / "sentinel.hcl", KITCHEN_SINK)


def test_every_block_kind(kitchen: Path) -> None:
    config = load_policy_set(kitchen.parent)
    base = kitchen.parent
    assert config.path == kitchen
    assert config.features == {"apply-all": True, "terraform": True}
    assert [p.name for p in config.policies] == [
        "restrict-ec2",
        "require-tags",
        "cost",
        "advisory-by-default",
    ]
    ec2, tags, cost, advisory = config.policies
    assert ec2.path == base / "restrict-ec2.sentinel"
    assert ec2.enforcement_level is EnforcementLevel.HARD_MANDATORY
    assert ec2.params == {"allowed_types": ["t3.micro", "t3.small"], "max_count": 3}
    assert ec2.location.file == kitchen
    assert ec2.location.line == 9
    assert tags.enforcement_level is EnforcementLevel.SOFT_MANDATORY
    assert tags.path == base / "policies" / "require-tags.sentinel"
    assert cost.enforcement_level is EnforcementLevel.VALIDATE
    assert cost.source == "./cost.sentinel"  # default source
    assert advisory.enforcement_level is EnforcementLevel.ADVISORY
    assert advisory.path == kitchen.parent.parent / "shared" / "advisory.sentinel"

    assert config.modules["tfplan-functions"].path == base.parent / "common" / "tfplan-functions.sentinel"
    helpers = config.imports["helpers"]
    assert (helpers.kind, helpers.path) == (ImportKind.MODULE, base / "modules" / "helpers.sentinel")
    people = config.imports["people"]
    assert (people.kind, people.format, people.path) == (
        ImportKind.STATIC,
        "json",
        base / "data" / "people.json",
    )
    clock = config.imports["clock"]
    assert clock.kind is ImportKind.PLUGIN
    assert (clock.source, clock.path, clock.args, clock.env) == (
        "./bin/sentinel-import-clock",
        None,
        ["-utc"],
        {"TZ": "UTC"},
    )
    assert clock.config == {"fixed": 1504155600}
    assert set(config.module_sources()) == {"tfplan-functions", "helpers"}

    plan = config.mocks["tfplan/v2"]
    assert plan.is_module
    assert plan.path == base / "mocks" / "mock-tfplan-v2.sentinel"
    assert config.mocks["time"].data == {"now": {"hour": 9, "weekday_name": "Monday"}}
    assert not config.mocks["time"].is_module
    assert config.params == {"environment": "prod", "require-tags/mandatory": ["owner", "cost-center"]}
    assert config.globals == {"limits": {"cpu": 4, "memory-gb": 16.5, "enabled": True, "nothing": None}}
    assert config.legacy is False
    assert config.warnings == []


def test_params_for_merges_shared_scoped_and_policy_params(kitchen: Path) -> None:
    config = load_policy_set(kitchen)
    assert config.params_for(config.policy("restrict-ec2")) == {
        "environment": "prod",
        "allowed_types": ["t3.micro", "t3.small"],
        "max_count": 3,
    }
    assert config.params_for(config.policy("require-tags.sentinel")) == {
        "environment": "prod",
        "mandatory": ["owner", "cost-center"],
    }
    with pytest.raises(KeyError, match="has no policy 'nope'"):
        config.policy("nope")


def test_plugins_are_kept_and_reported(kitchen: Path) -> None:
    config = load_policy_set(kitchen)
    problems = config.problems()
    assert len(problems) == 1
    assert "plugin" in str(problems[0])
    assert f"{kitchen}:44:" in str(problems[0])
    with pytest.raises(UnsupportedConfigError, match="not supported offline"):
        config.imports["clock"].require_supported()
    with pytest.raises(UnsupportedConfigError, match='import "clock" is a plugin'):
        load_policy_set(kitchen, strict=True)


def test_remote_sources(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sentinel.hcl",
        """
        policy "remote" {
          source            = "git::https://github.com/acme/policies.git//remote.sentinel?ref=v1"
          enforcement_level = "hard-mandatory"
        }
        policy "local" {
          source = "local.sentinel"
        }
        module "shared" {
          source = "https://example.com/shared.sentinel"
        }
        """,
    )
    config = load_policy_set(path)
    remote, local = config.policies
    assert remote.path is None
    assert "remote sources are not supported offline" in (remote.unsupported_reason or "")
    with pytest.raises(UnsupportedConfigError) as caught:
        remote.local_path()
    assert caught.value.line == 1
    assert "download the file into the policy set" in str(caught.value)
    assert local.local_path() == tmp_path / "local.sentinel"
    assert config.modules["shared"].unsupported_reason
    assert len(config.problems()) == 2
    with pytest.raises(UnsupportedConfigError, match='policy "remote"'):
        load_policy_set(path, strict=True)


@pytest.mark.parametrize(
    ("source", "remote"),
    [
        ("git::https://github.com/a/b.git//p.sentinel", True),
        ("https://example.com/p.sentinel", True),
        ("s3::https://bucket/p.sentinel", True),
        ("github.com/acme/policies//p.sentinel", True),
        ("git@github.com:acme/policies.git", True),
        ("./p.sentinel", False),
        ("../common/p.sentinel", False),
        ("/abs/p.sentinel", False),
        ("C:\\policies\\p.sentinel", False),
    ],
)
def test_is_remote_source(source: str, remote: bool) -> None:
    assert is_remote_source(source) is remote


def test_values_are_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path / "case.hcl",
        r"""
        param "quotes"   { value = "say \"hi\"\tto\\all\n" }
        param "unicode"  { value = "caf\u00e9 \U0001F600 ☕" }
        param "escaped"  { value = "literal $${not.a.template} and %%{ directive }" }
        param "negative" { value = -2 }
        param "exponent" { value = -1.5e3 }
        param "sci"      { value = 10e2 }
        param "float"    { value = 0.25 }
        param "big"      { value = 9223372036854775808 }
        param "empty"    { value = "" }
        param "nothing"  { value = null }
        param "list"     { value = [1, "two", [3], { four = 4 }, ] }
        param "map" {
          value = {
            plain         = "p"
            "quoted-key"  = "q"
            "with space"  = { nested = [true, false] }
            "__is_block__" = "a user key"
          }
        }
        param "heredoc" {
          value = <<EOT
        line one
          line "two" with \n kept
        EOT
        }
        param "indented" {
          value = <<-EOT
            first
              second
            EOT
        }
        test {
          rules = {
            main = [{ day = "wednesday", hour = 9 }]
            other = false
          }
        }
        """,
    )
    case = load_test_case(path)
    params = case.params
    assert params["quotes"] == 'say "hi"\tto\\all\n'
    assert params["unicode"] == "café 😀 ☕"
    assert params["escaped"] == "literal ${not.a.template} and %{ directive }"
    assert params["negative"] == -2
    assert params["exponent"] == -1500.0
    assert params["sci"] == 1000.0
    assert params["float"] == 0.25
    assert params["big"] == float(2**63)
    assert params["empty"] == ""
    assert params["nothing"] is None
    assert params["list"] == [1, "two", [3], {"four": 4}]
    assert params["map"] == {
        "plain": "p",
        "quoted-key": "q",
        "with space": {"nested": [True, False]},
        "__is_block__": "a user key",
    }
    assert params["heredoc"] == 'line one\n  line "two" with \\n kept\n'
    assert params["indented"] == "first\n  second\n"
    assert case.rules == {"main": [{"day": "wednesday", "hour": 9}], "other": False}
    assert UNDEFINED not in params.values()


def test_case_paths_are_relative_to_the_case_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "aws" / "test" / "restrict-ec2" / "pass.hcl",
        """
        module "tfplan-functions" {
          source = "../../../common-functions/tfplan-functions.sentinel"
        }
        mock "tfplan/v2" {
          module {
            source = "mock-tfplan-pass.sentinel"
          }
        }
        mock "tfrun" {
          module { source = "../../mocks/mock-tfrun.sentinel" }
        }
        """,
    )
    case = load_test_case(path)
    assert case.rules is None  # no test block: the policy must pass
    assert (
        case.modules["tfplan-functions"].path == tmp_path / "common-functions" / "tfplan-functions.sentinel"
    )
    assert case.mocks["tfplan/v2"].path == path.parent / "mock-tfplan-pass.sentinel"
    assert case.mocks["tfrun"].path == tmp_path / "aws" / "mocks" / "mock-tfrun.sentinel"
    assert case.mocks["tfplan/v2"].location.line == 4


def test_legacy_json_case(tmp_path: Path) -> None:
    path = write(
        tmp_path / "test" / "p" / "fail.json",
        """
        {
          "mock": {
            "tfplan": "mock-tfplan-fail.sentinel",
            "time": {"now": {"hour": 9}}
          },
          "modules": {"helpers": {"path": "../../helpers.sentinel"}},
          "global": {"day": "monday"},
          "param": {"limit": 3},
          "test": {"main": false, "other": [1, 2]}
        }
        """,
    )
    case = load_test_case(path)
    assert case.legacy is True
    assert case.mocks["tfplan"].path == path.parent / "mock-tfplan-fail.sentinel"
    assert case.mocks["time"].data == {"now": {"hour": 9}}
    assert case.modules["helpers"].path == tmp_path / "helpers.sentinel"
    assert case.globals == {"day": "monday"}
    assert case.params == {"limit": 3}
    assert case.rules == {"main": False, "other": [1, 2]}
    assert any("legacy JSON" in warning for warning in case.warnings)


def test_legacy_json_plugins(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", '{"imports": {"time": {"path": "/opt/sentinel-import-time"}}}')
    case = load_test_case(path)
    assert case.imports["time"].kind is ImportKind.PLUGIN
    assert "plugin" in (case.imports["time"].unsupported_reason or "")


def test_hcl_json_form(tmp_path: Path) -> None:
    document = {
        "policy": {"a": {"source": "a.sentinel", "enforcement_level": "soft-mandatory", "params": {"n": 1}}},
        "module": {"m": {"source": "m.sentinel"}},
        "import": {"static": {"people": {"source": "people.json", "format": "json"}}},
        "mock": {"tfplan/v2": {"module": {"source": "mock.sentinel"}}, "time": {"data": {"hour": 9}}},
        "param": {"p": {"value": [1, 2]}},
        "global": {"g": {"value": {"x": None}}},
        "sentinel": {"features": {"terraform": True}},
    }
    path = write(tmp_path / "sentinel.json", json.dumps(document, indent=2))
    config = load_policy_set(tmp_path)
    assert config.legacy is False
    policy = config.policies[0]
    assert (policy.name, policy.enforcement_level, policy.params) == (
        "a",
        EnforcementLevel.SOFT_MANDATORY,
        {"n": 1},
    )
    assert policy.path == tmp_path / "a.sentinel"
    assert config.modules["m"].path == tmp_path / "m.sentinel"
    assert config.imports["people"].kind is ImportKind.STATIC
    assert config.mocks["tfplan/v2"].path == tmp_path / "mock.sentinel"
    assert config.mocks["time"].data == {"hour": 9}
    assert config.params == {"p": [1, 2]}
    assert config.globals == {"g": {"x": None}}
    assert config.features == {"terraform": True}
    assert config.path == path


def test_hcl_json_test_case(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.json", '{"mock": {"x": {"data": {"a": 1}}}, "test": {"rules": {"main": true}}}'
    )
    case = load_test_case(path)
    assert case.legacy is False
    assert case.rules == {"main": True}
    assert case.mocks["x"].data == {"a": 1}


def test_warnings_for_misplaced_blocks(tmp_path: Path) -> None:
    config = load_policy_set(write(tmp_path / "sentinel.hcl", "test {\n  rules = { main = true }\n}\n"))
    assert config.warnings == ["the test block is only used in test case files; ignored here"]
    case = load_test_case(write(tmp_path / "c.hcl", 'policy "x" {\n  source = "x.sentinel"\n}\n'))
    assert case.warnings == ["policy blocks are ignored in test case files"]
    assert load_test_case(write(tmp_path / "e.hcl", "test {}\n")).rules == {}
    assert load_test_case(write(tmp_path / "empty.hcl", "")).rules is None


# --- bad input -----------------------------------------------------------------------------------------

BAD_HCL = [
    (
        'policy "a" {\n  source = "a.sentinel"\n  enforcement_level = "mandatory"\n}\n',
        ConfigError,
        3,
        "unknown enforcement level 'mandatory'; use one of: advisory, soft-mandatory, hard-mandatory",
    ),
    ('module "strings" {\n  source = "s.sentinel"\n}\n', ConfigError, 1, "'strings' is a standard import"),
    (
        'import "module" "collection/maps" {\n  source = "m.sentinel"\n}\n',
        ConfigError,
        1,
        "cannot be a module name",
    ),
    ('policy "a" {\n  sorce = "a.sentinel"\n}\n', ConfigError, 2, "unknown attribute or block 'sorce'"),
    (
        'policy "a" {\n  source = "a.sentinel"\n  source = "b.sentinel"\n}\n',
        ConfigError,
        3,
        "attribute 'source' is set twice (line 2)",
    ),
    (
        'policy "a" {}\n\npolicy "a" {}\n',
        ConfigError,
        3,
        'policy "a" is defined twice (first defined at line 1)',
    ),
    (
        'module "m" {\n  source = "a"\n}\nimport "module" "m" {\n  source = "b"\n}\n',
        ConfigError,
        4,
        "defined twice",
    ),
    ('policy {\n  source = "x"\n}\n', ConfigError, 1, 'policy block needs 1 label: policy "name"'),
    ('policy "a" "b" {\n}\n', ConfigError, 1, "too many labels"),
    ('mock "x" {\n}\n', ConfigError, 1, "needs exactly one of `data"),
    (
        'mock "x" {\n  data = {}\n  module {\n    source = "m.sentinel"\n  }\n}\n',
        ConfigError,
        1,
        "needs exactly one of",
    ),
    ('mock "x" {\n  module {\n  }\n}\n', ConfigError, 2, "module block has no source"),
    ('param "p" {\n}\n', ConfigError, 1, 'param "p" has no value'),
    ('policies "a" {\n}\n', ConfigError, 1, "unknown block or attribute 'policies'"),
    ("foo = 1\n", ConfigError, 1, "unknown block or attribute 'foo'"),
    ('import "python" "x" {\n  source = "x"\n}\n', ConfigError, 1, "unknown import kind 'python'"),
    ('policy "a" {\n  params = ["x"]\n}\n', ConfigError, 2, "params must be a map"),
    ('policy "a" {\n  source = 42\n}\n', ConfigError, 2, "source must be a non-empty string"),
    ('import "plugin" "p" {\n  args = "x"\n}\n', ConfigError, 2, "args must be a list of strings"),
    ('param "p" {\n  value = "${var.x}"\n}\n', UnsupportedConfigError, 2, "string templates"),
    ('param "p" {\n  value = "%{ if true }x%{ endif }"\n}\n', UnsupportedConfigError, 2, "string templates"),
    (
        'param "p" {\n  value = foo.bar\n}\n',
        UnsupportedConfigError,
        2,
        "the expression `foo.bar` cannot be evaluated",
    ),
    ('param "p" {\n  value = { (k) = 1 }\n}\n', UnsupportedConfigError, 2, "computed key"),
    ('param "p" {\n  value = "bad \\q escape"\n}\n', ConfigError, 2, "invalid escape sequence '\\\\q'"),
    (
        'policy "a" {\n  source = "a.sentinel"\n  enforcement_level = "advisory"\n\npolicy "b" {}\n',
        ConfigSyntaxError,
        6,
        "unexpected end of file",
    ),
    ('policy "a" {\n  source = "a.sentinel\n}\n', ConfigSyntaxError, 2, "not valid HCL"),
    # HCL reads `source "a.sentinel"` as the start of a nested block, so the error is where `{` is missing
    ('policy "a" {\n  source "a.sentinel"\n}\n', ConfigSyntaxError, 3, "unexpected '}'"),
    ('policy "a" {\n  source = = "a.sentinel"\n}\n', ConfigSyntaxError, 2, "unexpected '='"),
]


@pytest.mark.parametrize(("text", "error", "line", "message"), BAD_HCL)
def test_bad_hcl(tmp_path: Path, text: str, error: type[ConfigError], line: int, message: str) -> None:
    path = tmp_path / "sentinel.hcl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error) as caught:
        load_policy_set(path)
    assert caught.type is error
    assert caught.value.file == str(path)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}")


def test_syntax_error_shows_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "sentinel.hcl", 'policy "a" {\n  source = = "a.sentinel"\n}\n')
    with pytest.raises(ConfigSyntaxError) as caught:
        load_policy_set(path)
    text = str(caught.value)
    assert text.splitlines()[0].startswith(f"{path}:2:12: not valid HCL: unexpected '='")
    assert '  source = = "a.sentinel"' in text
    assert "^" in text.splitlines()[-1]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"mock": {"tfplan": "m.sentinel"},\n', 2, "not valid JSON"),
        ('{"policy": {"a": {"enforcement_level": "strict"}}}', 1, "unknown enforcement level 'strict'"),
        ('{\n  "polcy": {}\n}', 2, "unknown key 'polcy'"),
        ('{"modules": {"json": {"path": "j.sentinel"}}}', 1, "standard import"),
        ("[1]", 1, "must be an object"),
        ('{"mock": {"x": 3}, "test": {"main": true}}', 1, "must be a file name or an object"),
    ],
)
def test_bad_json(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_test_case(path)
    assert caught.value.line == line
    assert message in caught.value.message


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no sentinel\.hcl or sentinel\.json in this folder"):
        load_policy_set(tmp_path)
    with pytest.raises(ConfigError, match="file not found"):
        load_test_case(tmp_path / "nope.hcl")
    (tmp_path / "latin1.hcl").write_bytes(b'param "p" { value = "caf\xe9" }')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_test_case(tmp_path / "latin1.hcl")


def test_config_errors_pickle() -> None:
    error = UnsupportedConfigError("plugin", file="/x/sentinel.hcl", line=4, detail="more")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is UnsupportedConfigError
    assert str(copy) == str(error) == "/x/sentinel.hcl:4: plugin\nmore"
