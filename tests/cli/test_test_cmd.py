"""``tfc-sentinel test``: sentinel test's flags and layout, exit codes, report files, nothing else written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.policy.runner_support import SUITE, copy_set, listing
from tests.policy.test_binary import FAKE, RECORDED
from tfc_sentinel.cli import main
from tfc_sentinel.cli.test import normalize_argv

SCRIPT = Path(sys.executable).parent / "tfc-sentinel"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["test", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_suite(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(SUITE)
    return SUITE


def test_single_dash_spellings_are_rewritten() -> None:
    assert normalize_argv(["-json", "-run=ec2/pass", "-verbose", "aws"]) == [
        "--json",
        "--run=ec2/pass",
        "--verbose",
        "aws",
    ]
    assert normalize_argv(["-run", "-json", "-color=false", "-maxConcurrency=3"]) == [
        "--run",
        "-json",  # the value of -run, left alone
        "--no-color",
        "--jobs=3",
    ]
    assert normalize_argv(["--junit", "-verbose", "--", "-json"]) == ["--junit", "-verbose", "--", "-json"]


def test_text_output_and_exit_code_for_errors(capsys: pytest.CaptureFixture[str], in_suite: Path) -> None:
    code, out, _ = run_cli(capsys, "--no-color")
    assert code == 2
    lines = out.splitlines()
    assert "FAIL - always-false.sentinel" in lines
    assert "  FAIL - test/always-false/no-test-block.hcl" in lines
    assert '    expected "main" to be true, got: false' in lines
    assert "      limit is 3" in lines  # prints of a failing case
    assert "ERROR - syntax-error.sentinel" in lines
    assert '  syntax-error.sentinel:3:19: expected an expression, found "}"' in lines
    assert "  ERROR - test/missing-mock/gone.hcl" in lines
    assert "  PASS - test/missing-mock/ok.hcl" in lines  # the rest still ran
    assert "? - untested.sentinel" in lines


def test_exit_codes(capsys: pytest.CaptureFixture[str], in_suite: Path) -> None:
    assert run_cli(capsys, "-run=restrict-types")[0] == 0
    assert run_cli(capsys, "-run", "always-false")[0] == 1
    assert run_cli(capsys, "-run=missing-mock")[0] == 2
    assert run_cli(capsys, "does-not-exist")[0] == 2


def test_verbose_shows_prints_of_passing_cases(capsys: pytest.CaptureFixture[str], in_suite: Path) -> None:
    _, quiet, _ = run_cli(capsys, "-run=restrict-types/fail")
    _, verbose, _ = run_cli(capsys, "-run=restrict-types/fail", "-verbose")
    assert "aws_instance.web has instance type m5.large" not in quiet
    assert "aws_instance.web has instance type m5.large" in verbose
    assert 'restrict-types.sentinel:14:1 - Rule "no_violators"' in verbose


def test_json_output_has_the_sentinel_shape(capsys: pytest.CaptureFixture[str], in_suite: Path) -> None:
    code, out, _ = run_cli(capsys, "-json", "--jobs=2")
    assert code == 2
    data = json.loads(out)
    assert set(data) == {"policies"}
    policy = data["policies"]["restrict-types.sentinel"]
    assert policy["status"] == "PASS"
    assert set(policy["cases"]) == {
        "test/restrict-types/fail.hcl",
        "test/restrict-types/legacy.json",
        "test/restrict-types/param.hcl",
        "test/restrict-types/pass.hcl",
    }
    case = data["policies"]["always-false.sentinel"]["cases"]["test/always-false/no-test-block.hcl"]
    assert case["status"] == "FAIL"
    assert case["trace"]["rules"]["main"]["value"] is False
    assert data["policies"]["bad-hcl.sentinel"]["cases"]["test/bad-hcl/broken.hcl"]["errors"][0].startswith(
        "test/bad-hcl/broken.hcl:5:1:"
    )


def test_report_files_are_the_only_things_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    suite = copy_set(SUITE, tmp_path / "suite")
    out = tmp_path / "reports"
    out.mkdir()
    before = listing(suite)
    code, _, _ = run_cli(capsys, suite, "--junit", out / "junit.xml", "--html", out / "report.html")
    assert code == 2
    assert listing(suite) == before
    assert listing(out) == ["junit.xml", "report.html"]
    assert "<testsuites" in (out / "junit.xml").read_text(encoding="utf-8")
    assert (out / "report.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_unwritable_report_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, SUITE, "-run=restrict-types", "--junit", tmp_path / "no" / "junit.xml")
    assert code == 2
    assert "cannot write" in err


def test_bad_jobs_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["test", "--jobs", "0"])
    assert caught.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_sentinel_engine_through_a_stand_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "sentinel"
    script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_OUTPUT", str(RECORDED / "test-json-mixed.json"))
    monkeypatch.setenv("FAKE_EXIT", "1")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "--engine", "sentinel", "--sentinel-binary", script, "-json")
    assert code == 2  # the recorded output holds errors
    assert json.loads(out)["policies"]["restrict-ec2.sentinel"]["status"] == "PASS"


def test_the_installed_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), "test", "-json", "-run=restrict-types/pass", "."],
        cwd=SUITE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    cases = json.loads(result.stdout)["policies"]["restrict-types.sentinel"]["cases"]
    assert list(cases) == ["test/restrict-types/pass.hcl"]
