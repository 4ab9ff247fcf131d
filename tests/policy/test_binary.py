"""The sentinel-binary backend: finding it, arguments, running it, and parsing recorded outputs.

No real ``sentinel`` is installed here. Outputs under ``recorded/`` are hand-written from the documented
formats (see ``recorded/README.md``); end-to-end tests use a small stand-in script that replays them.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.policy import (
    BackendError,
    BackendTimeoutError,
    BinaryNotFoundError,
    EnforcementLevel,
    load_policy_set,
)
from tfc_sentinel.policy.backends.binary import (
    BINARY_ENV,
    ProcessResult,
    SentinelBinary,
    SentinelBinaryBackend,
    apply_args,
    flag_value,
    parse_apply_output,
    parse_test_output,
    parse_test_text,
    parse_version,
    render_config_hcl,
    run_binary,
    test_args,
)
from tfc_sentinel.report import Outcome, RunOutcome

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def result(stdout: str, returncode: int = 0, stderr: str = "") -> ProcessResult:
    return ProcessResult(["sentinel"], returncode, stdout, stderr)


FAKE = """\
#!{python}
# Stand-in for the sentinel CLI: logs its arguments, replays a recorded output, exits as told.
import json, os, re, subprocess, sys, time
args = sys.argv[1:]
entry = {{"argv": args, "cwd": os.getcwd()}}
for arg in args:
    if arg.startswith("-config="):
        entry["config"] = open(arg[len("-config="):], encoding="utf-8").read()
log = os.environ.get("FAKE_LOG")
if log:
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\\n")
if args[:1] == ["version"]:
    print("Sentinel v0.40.0")
    sys.exit(0)
if os.environ.get("FAKE_CHILD_PID"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open(os.environ["FAKE_CHILD_PID"], "w").write(str(child.pid))
if os.environ.get("FAKE_SLEEP"):
    time.sleep(float(os.environ["FAKE_SLEEP"]))
output = os.environ.get("FAKE_OUTPUT")
if output:
    sys.stdout.write(open(output, encoding="utf-8").read())
sys.stderr.write(os.environ.get("FAKE_STDERR", ""))
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "sentinel"
    script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def fake_env(fake_bin: Path, **settings: str | Path) -> dict[str, str]:
    env = {"PATH": f"{fake_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.update({f"FAKE_{key.upper()}": str(value) for key, value in settings.items()})
    return env


# --- finding the binary --------------------------------------------------------------------------------


def test_binary_not_found(tmp_path: Path) -> None:
    with pytest.raises(BinaryNotFoundError) as caught:
        SentinelBinary.find(env={"PATH": str(tmp_path)})
    message = str(caught.value)
    assert "no `sentinel` binary on PATH" in message
    assert "developer.hashicorp.com/sentinel/downloads" in message
    assert BINARY_ENV in message
    assert "built-in engine" in message


def test_binary_found_on_path_env_or_configured(fake_bin: Path, tmp_path: Path) -> None:
    assert SentinelBinary.find(env={"PATH": str(fake_bin.parent)}).path == fake_bin
    assert SentinelBinary.find(env={BINARY_ENV: str(fake_bin), "PATH": ""}).path == fake_bin
    assert SentinelBinary.find(fake_bin, env={"PATH": ""}).path == fake_bin
    assert SentinelBinary.find("sentinel", env={"PATH": str(fake_bin.parent)}).path == fake_bin


def test_configured_binary_problems(fake_bin: Path, tmp_path: Path) -> None:
    with pytest.raises(BinaryNotFoundError, match="does not exist"):
        SentinelBinary.find(tmp_path / "nope" / "sentinel", env={"PATH": ""})
    with pytest.raises(BinaryNotFoundError, match=rf"from \${BINARY_ENV}"):
        SentinelBinary.find(env={BINARY_ENV: str(tmp_path / "missing"), "PATH": ""})
    plain = tmp_path / "not-executable"
    plain.write_text("", encoding="utf-8")
    plain.chmod(0o644)
    assert not os.access(plain, os.X_OK)  # a 0644 file is not executable, for root too
    with pytest.raises(BinaryNotFoundError, match="is not executable; run `chmod"):
        SentinelBinary.find(plain, env={"PATH": ""})


def test_running_a_missing_binary() -> None:
    with pytest.raises(BinaryNotFoundError, match="not found"):
        run_binary(["/nonexistent/sentinel", "version"])


# --- arguments -----------------------------------------------------------------------------------------


def test_test_args() -> None:
    assert test_args("sentinel") == ["sentinel", "test", "-json"]
    assert test_args(
        SentinelBinary(Path("/opt/sentinel")), ["aws", Path("gcp/p.sentinel")], run="ec2/pass", verbose=True
    ) == ["/opt/sentinel", "test", "-json", "-run=ec2/pass", "-verbose", "aws", "gcp/p.sentinel"]
    assert test_args("sentinel", json_output=False) == ["sentinel", "test"]


def test_apply_args() -> None:
    assert apply_args("sentinel") == ["sentinel", "apply", "-json"]
    assert apply_args("sentinel", json_output=False, trace=True) == ["sentinel", "apply", "-trace"]
    args = apply_args(
        "sentinel",
        "restrict-ec2.sentinel",
        config=Path("/tmp/set/sentinel.hcl"),
        params={"allowed": ["t3.micro"], "name": "prod", "count": 3, "numeric_string": "42"},
        globals={"flag": True, "nothing": None},
    )
    assert args == [
        "sentinel",
        "apply",
        "-json",
        "-config=/tmp/set/sentinel.hcl",
        "-param",
        'allowed=["t3.micro"]',
        "-param",
        'name="prod"',
        "-param",
        "count=3",
        "-param",
        'numeric_string="42"',  # quoted, so the CLI keeps it a string
        "-global",
        "flag=true",
        "-global",
        "nothing=null",
        "restrict-ec2.sentinel",
    ]


def test_flag_values_must_be_json() -> None:
    assert flag_value({"a": [1, "b"]}) == '{"a":[1,"b"]}'
    with pytest.raises(BackendError, match="only JSON values"):
        flag_value(UNDEFINED)
    with pytest.raises(BackendError):
        flag_value(float("nan"))


# --- parsing recorded outputs --------------------------------------------------------------------------


def test_parse_version() -> None:
    assert parse_version(recorded("version.txt")) == "0.40.0"
    assert parse_version("Sentinel v0.18.13-beta1 (abc)") == "0.18.13-beta1"
    assert parse_version("no version here") == ""


def test_parse_recorded_test_json() -> None:
    run = parse_test_output(result(recorded("test-json-mixed.json"), returncode=1))
    assert [(p.path, p.outcome) for p in run.policies] == [
        ("restrict-ec2.sentinel", Outcome.PASS),
        ("require-tags.sentinel", Outcome.FAIL),
        ("broken.sentinel", Outcome.ERROR),
        ("legacy-cost.sentinel", Outcome.ERROR),
        ("untested.sentinel", Outcome.SKIPPED),
    ]
    assert run.outcome is RunOutcome.ERROR
    ec2 = run.policies[0]
    assert ec2.name == "restrict-ec2"
    fail_large, passing = ec2.cases
    assert (fail_large.path, fail_large.outcome, fail_large.result) == (
        "test/restrict-ec2/fail-large.hcl",
        Outcome.PASS,
        False,
    )
    assert fail_large.prints == [
        'aws_instance.batch[0] has instance_type m5.4xlarge, allowed: ["t3.micro" "t3.small"]'
    ]
    assert fail_large.rules["types_allowed"].description == "Every planned instance uses an allowed type."
    assert fail_large.rules["main"].position is not None
    assert fail_large.rules["main"].position.line == 24
    assert passing.assertions == []
    tags = run.policies[1].cases[0]
    assert tags.failures == ['expected "main" to be true, got: false']
    assert tags.rules["untagged"].value == {"module.storage.aws_s3_bucket.logs": ["owner"]}
    assert run.policies[2].error == "broken.sentinel:7:15: expected '}', found 'EOF'"
    legacy = run.policies[3].cases[0]
    assert legacy.legacy is True
    assert legacy.error == "test/legacy-cost/mock-tfrun-missing.sentinel: no such file or directory"
    assert legacy.warnings == ["legacy JSON configuration format is deprecated"]
    counts = run.counts
    assert (counts.cases, counts.cases_passed, counts.cases_failed, counts.cases_errored) == (4, 2, 1, 1)


def test_parse_recorded_test_text() -> None:
    run = parse_test_text(recorded("test-text-mixed.txt"))
    assert [(p.path, p.outcome, len(p.cases)) for p in run.policies] == [
        ("restrict-ec2.sentinel", Outcome.PASS, 2),
        ("require-tags.sentinel", Outcome.FAIL, 2),
        ("broken.sentinel", Outcome.ERROR, 0),
        ("legacy-cost.sentinel", Outcome.ERROR, 1),
        ("business-hours.sentinel", Outcome.FAIL, 1),
    ]
    failing = run.policies[1].cases[0]
    assert failing.outcome is Outcome.FAIL
    assert failing.failures == ['expected "main" to be true, got: false']
    assert failing.assertions[0].expected is True
    assert failing.rules["main"].value is False
    assert failing.rules["untagged"].value == {"module.storage.aws_s3_bucket.logs": ["owner"]}
    assert failing.rules["untagged"].position is not None
    assert failing.rules["untagged"].position.line == 19
    assert run.policies[1].cases[1].outcome is Outcome.PASS
    assert run.policies[2].error == "broken.sentinel:7:15: expected '}', found 'EOF'"
    assert (
        run.policies[3].cases[0].error
        == "test/legacy-cost/mock-tfrun-missing.sentinel: no such file or directory"
    )
    old_style = run.policies[4].cases[0]  # "bool: false" trace values of older CLIs
    assert old_style.rules["is_open_hours"].value is False


def test_text_output_with_colors_is_parsed() -> None:
    colored = "\x1b[32mPASS\x1b[0m - p.sentinel\n  \x1b[32mPASS\x1b[0m - test/p/a.hcl\n"
    run = parse_test_output(result(colored))
    assert [(p.path, p.outcome, [c.path for c in p.cases]) for p in run.policies] == [
        ("p.sentinel", Outcome.PASS, ["test/p/a.hcl"])
    ]


def test_unusable_test_output_is_a_run_error() -> None:
    run = parse_test_output(
        result("", returncode=1, stderr="flag provided but not defined: -bogus\nUsage: ...")
    )
    assert run.policies == []
    assert run.outcome is RunOutcome.ERROR
    assert run.error is not None
    assert "exited with status 1" in run.error
    assert "flag provided but not defined" in run.error


def test_parse_recorded_apply_json() -> None:
    levels = {
        "restrict-ec2": EnforcementLevel.HARD_MANDATORY,
        "cost-limit": EnforcementLevel.ADVISORY,
        "no-public-buckets": EnforcementLevel.SOFT_MANDATORY,
        "destroy-protection": EnforcementLevel.ADVISORY,
    }
    run = parse_apply_output(result(recorded("apply-json-mixed.json"), returncode=1), levels=levels)
    assert [(p.name, p.outcome, p.enforcement_level) for p in run.policies] == [
        ("restrict-ec2", Outcome.PASS, EnforcementLevel.HARD_MANDATORY),
        ("cost-limit", Outcome.FAIL, EnforcementLevel.ADVISORY),
        ("no-public-buckets", Outcome.FAIL, EnforcementLevel.SOFT_MANDATORY),
        ("destroy-protection", Outcome.ERROR, EnforcementLevel.ADVISORY),
    ]
    assert run.outcome is RunOutcome.SOFT_FAIL
    public = run.policies[2]
    assert [v.address for v in public.violations] == [
        "aws_s3_bucket.logs",
        'module.web.aws_s3_bucket.assets["eu"]',
    ]
    assert public.prints == [
        "aws_s3_bucket.logs has acl public-read",
        'module.web.aws_s3_bucket.assets["eu"] has acl public-read-write',
    ]
    assert public.description == "S3 buckets must not be publicly readable."
    assert (
        run.policies[3].error == 'destroy-protection.sentinel:14:9: cannot index into undefined with "change"'
    )
    overridden = parse_apply_output(result(recorded("apply-json-mixed.json")), levels=levels, override=True)
    assert overridden.outcome is RunOutcome.WARN


def test_parse_apply_text_by_exit_status() -> None:
    text = recorded("apply-text-fail.txt")
    run = parse_apply_output(
        result(text, returncode=1),
        policy="no-public-buckets.sentinel",
        levels={"no-public-buckets": EnforcementLevel.HARD_MANDATORY},
    )
    (policy,) = run.policies
    assert (policy.name, policy.outcome, policy.enforcement_level) == (
        "no-public-buckets",
        Outcome.FAIL,
        EnforcementLevel.HARD_MANDATORY,
    )
    assert [v.address for v in policy.violations] == ["aws_s3_bucket.logs"]
    assert run.outcome is RunOutcome.FAIL
    assert parse_apply_output(result("", 0), policy="p.sentinel").policies[0].outcome is Outcome.PASS
    assert parse_apply_output(result("", 2), policy="p.sentinel").policies[0].outcome is Outcome.FAIL
    errored = parse_apply_output(result("p.sentinel:3:1: boom", 3), policy="p.sentinel").policies[0]
    assert (errored.outcome, errored.error) == (Outcome.ERROR, "p.sentinel:3:1: boom")
    other = parse_apply_output(result("", 9, stderr="error loading config"), policy="p.sentinel")
    assert other.outcome is RunOutcome.ERROR
    assert other.error is not None
    assert "error loading config" in other.error


# --- running -------------------------------------------------------------------------------------------


def test_run_binary_collects_output(fake_bin: Path, tmp_path: Path) -> None:
    env = fake_env(fake_bin, output=RECORDED / "version.txt", exit="3", stderr="warning: x")
    done = run_binary([str(fake_bin), "test"], cwd=tmp_path, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (3, "Sentinel v0.40.0\n", "warning: x")
    assert done.duration >= 0


def test_timeout_kills_the_process_group(fake_bin: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    env = fake_env(fake_bin, sleep="60", child_pid=pid_file)
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match=r"did not finish within 1 s and was stopped"):
        run_binary([str(fake_bin), "test", "-json"], env=env, timeout=1.0)
    assert time.monotonic() - started < 15
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:  # pragma: no cover - failure path
        pytest.fail(f"child process {child} of the timed-out sentinel is still running")


def test_backend_runs_tests(fake_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    env = fake_env(fake_bin, output=RECORDED / "test-json-mixed.json", exit="1", log=log)
    backend = SentinelBinaryBackend(SentinelBinary(fake_bin), timeout=60, env=env)
    run = backend.run_tests(["aws"], run="ec2", cwd=tmp_path)
    assert run.engine.name == "sentinel"
    assert run.engine.version == "0.40.0"
    assert len(run.policies) == 5
    assert run.finished_at >= run.started_at
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["argv"] for c in calls] == [["test", "-json", "-run=ec2", "aws"], ["version"]]
    assert calls[0]["cwd"] == str(tmp_path)


def test_backend_applies_a_policy_set_with_bundle_mocks(fake_bin: Path, tmp_path: Path) -> None:
    policy_set = tmp_path / "set"
    (policy_set / "sentinel.hcl").parent.mkdir()
    (policy_set / "sentinel.hcl").write_text(
        textwrap.dedent(
            """
            policy "restrict-ec2" {
              source = "./restrict-ec2.sentinel"
              enforcement_level = "hard-mandatory"
            }
            policy "cost-limit" {
              source = "./cost-limit.sentinel"
            }
            policy "no-public-buckets" {
              source = "./no-public-buckets.sentinel"
              enforcement_level = "soft-mandatory"
              params = { allowed_acls = ["private"] }
            }
            policy "destroy-protection" {
              source = "./destroy-protection.sentinel"
            }
            module "tfplan-functions" {
              source = "../common/tfplan-functions.sentinel"
            }
            param "limit" {
              value = 1000
            }
            """
        ),
        encoding="utf-8",
    )
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    log = tmp_path / "calls.jsonl"
    env = fake_env(fake_bin, output=RECORDED / "apply-json-mixed.json", exit="1", log=log)
    backend = SentinelBinaryBackend(SentinelBinary(fake_bin), env=env)
    config = load_policy_set(policy_set)
    run = backend.apply(config, {"tfplan/v2": bundle / "mock-tfplan-v2.sentinel"}, bundle="run-1.tar.gz")
    assert run.outcome is RunOutcome.SOFT_FAIL
    assert [(p.name, p.enforcement_level) for p in run.policies] == [
        ("restrict-ec2", EnforcementLevel.HARD_MANDATORY),
        ("cost-limit", EnforcementLevel.ADVISORY),
        ("no-public-buckets", EnforcementLevel.SOFT_MANDATORY),
        ("destroy-protection", EnforcementLevel.ADVISORY),
    ]
    assert (run.policy_set, run.bundle) == (str(policy_set), "run-1.tar.gz")
    apply_call = json.loads(log.read_text().splitlines()[0])
    assert apply_call["argv"][:2] == ["apply", "-json"]
    config_arg = apply_call["argv"][2]
    assert config_arg.startswith("-config=")
    assert not Path(config_arg[len("-config=") :]).exists()  # the temporary config was removed
    assert apply_call["cwd"] == str(policy_set)
    written = apply_call["config"]
    assert f'source = "{policy_set / "restrict-ec2.sentinel"}"' in written
    assert f'source = "{bundle / "mock-tfplan-v2.sentinel"}"' in written
    assert f'source = "{tmp_path / "common" / "tfplan-functions.sentinel"}"' in written


def test_rendered_config_reads_back(tmp_path: Path) -> None:
    (tmp_path / "sentinel.hcl").write_text(
        textwrap.dedent(
            r"""
            policy "p" {
              source = "p.sentinel"
              enforcement_level = "soft-mandatory"
              params = { tricky = "quote \" backslash \\ $${x} tab\t", nested = { list = [1, 2.5, null] } }
            }
            module "m" {
              source = "m.sentinel"
            }
            import "static" "people" {
              source = "people.json"
              format = "json"
            }
            mock "time" {
              data = { hour = 9 }
            }
            global "g" {
              value = [true]
            }
            sentinel {
              features = { terraform = true }
            }
            """
        ),
        encoding="utf-8",
    )
    original = load_policy_set(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "sentinel.hcl").write_text(
        render_config_hcl(
            original, {"tfplan/v2": tmp_path / "b" / "mock-tfplan-v2.sentinel", "extra": {"k": "v"}}
        ),
        encoding="utf-8",
    )
    copy = load_policy_set(other)
    assert [(p.name, p.path, p.enforcement_level, p.params) for p in copy.policies] == [
        (p.name, p.path, p.enforcement_level, p.params) for p in original.policies
    ]
    assert copy.policies[0].params["tricky"] == 'quote " backslash \\ ${x} tab\t'
    assert copy.modules["m"].path == original.modules["m"].path
    assert copy.imports["people"].path == original.imports["people"].path
    assert copy.mocks["time"].data == {"hour": 9}
    assert copy.mocks["tfplan/v2"].path == tmp_path / "b" / "mock-tfplan-v2.sentinel"
    assert copy.mocks["extra"].data == {"k": "v"}
    assert copy.globals == {"g": [True]}
    assert copy.features == {"terraform": True}


def test_rendered_config_refuses_plugins(tmp_path: Path) -> None:
    (tmp_path / "sentinel.hcl").write_text(
        'import "plugin" "clock" {\n  source = "./clock"\n}\n', encoding="utf-8"
    )
    with pytest.raises(BackendError, match="plugin"):
        render_config_hcl(load_policy_set(tmp_path))
