"""``tfc-sentinel apply``: a policy set against a bundle built from an emulator fixture plan."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.policy.runner_support import APPLY_SET, BROKEN_SET, build_bundle, copy_set, listing
from tests.policy.test_binary import FAKE, RECORDED
from tfc_sentinel.cli import main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "run-1.tar.gz")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["apply", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_report_and_soft_failure(capsys: pytest.CaptureFixture[str], bundle: Path) -> None:
    code, out, _ = run_cli(capsys, "--bundle", bundle, APPLY_SET, "--no-color")
    assert code == 1
    lines = out.splitlines()
    assert "PASS - instance-types.sentinel (hard-mandatory)" in lines
    assert "FAIL - owner-tag.sentinel (soft-mandatory, blocking)" in lines
    assert "FAIL - no-deletes.sentinel (advisory, not blocking)" in lines
    assert "    aws_instance.web[0] has no owner tag" in lines
    assert lines[-1].startswith("soft-fail: 5 policies, 3 passed, 2 failed")


def test_override_turns_a_soft_failure_into_a_warning(
    capsys: pytest.CaptureFixture[str], bundle: Path
) -> None:
    code, out, _ = run_cli(capsys, "--bundle", bundle, "--override", APPLY_SET)
    assert code == 0
    assert out.splitlines()[-1].startswith("warn:")


def test_params_can_make_a_hard_mandatory_policy_fail(
    capsys: pytest.CaptureFixture[str], bundle: Path
) -> None:
    code, out, _ = run_cli(
        capsys, "--bundle", bundle, "--override", "--param", 'allowed_types=["t3.micro"]', APPLY_SET
    )
    assert code == 1
    assert "FAIL - instance-types.sentinel (hard-mandatory, blocking)" in out.splitlines()


def test_default_set_is_the_working_directory(
    capsys: pytest.CaptureFixture[str], bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(APPLY_SET)
    code, out, _ = run_cli(capsys, "--bundle", bundle, "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["kind"], data["outcome"], data["exit_code"]) == ("apply", "soft-fail", 1)
    assert data["can_override"] is True
    assert [(p["name"], p["enforcement_level"], p["outcome"]) for p in data["policies"]] == [
        ("instance-types", "hard-mandatory", "pass"),
        ("owner-tag", "soft-mandatory", "fail"),
        ("no-deletes", "advisory", "fail"),
        ("v1-instances", "hard-mandatory", "pass"),
        ("cost-limit", "hard-mandatory", "pass"),
    ]


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [("junit", "<testsuites"), ("html", "<!doctype html"), ("markdown", "owner-tag"), ("json", '"schema"')],
)
def test_output_file_is_the_only_thing_written(
    capsys: pytest.CaptureFixture[str], bundle: Path, tmp_path: Path, fmt: str, marker: str
) -> None:
    policy_set = copy_set(APPLY_SET, tmp_path / "set")
    before = listing(policy_set)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    report = out_dir / f"report.{fmt}"
    code, out, _ = run_cli(capsys, "--bundle", bundle, "--format", fmt, "--output", report, policy_set)
    assert code == 1
    assert out.startswith("soft-fail:")  # the summary goes to the terminal, the report to the file
    assert marker in report.read_text(encoding="utf-8").lower()
    assert listing(out_dir) == [f"report.{fmt}"]
    assert listing(policy_set) == before


def test_broken_policies_do_not_stop_the_rest(capsys: pytest.CaptureFixture[str], bundle: Path) -> None:
    code, out, _ = run_cli(capsys, "--bundle", bundle, BROKEN_SET)
    assert code == 1
    assert "PASS - good.sentinel (hard-mandatory)" in out
    assert (
        '  sentinel.hcl:16: policy "missing-file": cannot read ./missing-file.sentinel: file not found' in out
    )


def test_unusable_bundle_or_set_exits_2(
    capsys: pytest.CaptureFixture[str], bundle: Path, tmp_path: Path
) -> None:
    code, out, _ = run_cli(capsys, "--bundle", tmp_path / "missing.tar.gz", APPLY_SET)
    assert code == 2
    assert "does not exist" in out
    code, _, err = run_cli(capsys, "--bundle", bundle, "--json", tmp_path)
    assert code == 2
    assert "no sentinel.hcl" in err


def test_bad_arguments(capsys: pytest.CaptureFixture[str], bundle: Path) -> None:
    assert run_cli(capsys, "--bundle", bundle, "--json", "--format", "html", APPLY_SET)[0] == 2
    with pytest.raises(SystemExit) as caught:
        main(["apply", "--bundle", str(bundle), "--param", "oops"])
    assert caught.value.code == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_sentinel_engine_through_a_stand_in(
    capsys: pytest.CaptureFixture[str], bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "sentinel"
    script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_OUTPUT", str(RECORDED / "apply-json-mixed.json"))
    monkeypatch.setenv("FAKE_EXIT", "1")
    code, out, _ = run_cli(
        capsys, "--bundle", bundle, "--engine", "sentinel", "--sentinel-binary", script, "--json", APPLY_SET
    )
    data = json.loads(out)
    assert data["engine"] == {"name": "sentinel", "version": "0.40.0"}
    assert code == data["exit_code"]
