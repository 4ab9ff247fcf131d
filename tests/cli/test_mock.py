"""``tfc-sentinel mock`` as users run it: a real subprocess, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "bundle" / "data"
SCRIPT = Path(sys.executable).parent / "tfc-sentinel"


def run_mock(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "mock", *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_writes_an_archive(tmp_path: Path) -> None:
    out = tmp_path / "bundle.tar.gz"
    result = run_mock(DATA / "plan_mixed.json", "-o", out, "--run", DATA / "run.json")
    assert result.returncode == 0, result.stderr
    assert f"wrote mock bundle archive {out}" in result.stdout
    assert "mock-tfplan-v2.sentinel" in result.stdout
    with tarfile.open(out, "r:gz") as tar:
        names = tar.getnames()
        tfrun = tar.extractfile("mock-tfrun.sentinel")
        assert tfrun is not None and b'"networking-prod"' in tfrun.read()
    assert "sentinel.hcl" in names and len(names) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.tar.gz"]


def test_writes_a_directory(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run_mock(DATA / "plan_destroy.json", "--output", out)
    assert result.returncode == 0, result.stderr
    assert "wrote mock bundle directory" in result.stdout
    assert (out / "sentinel.hcl").is_file()
    assert "is_destroy = false" in (out / "mock-tfrun.sentinel").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON (line 1, column 2"),
        ('{"format_version": "1.0", "values": {}}', "is not a Terraform plan"),
        ("[1, 2]", "is not a Terraform plan"),
        ('{"format_version": "1.2", "planned_values": NaN}', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_bad_plan_input_exits_2(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    plan = tmp_path / "plan.json"
    if isinstance(content, bytes):
        plan.write_bytes(content)
    elif content is not None:
        plan.write_text(content)
    out = tmp_path / "bundle.tar.gz"
    result = run_mock(plan, "-o", out)
    assert result.returncode == 2
    assert message in result.stderr
    assert str(plan) in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_run_metadata_exits_2(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(json.dumps(["not", "an", "object"]))
    result = run_mock(DATA / "plan_mixed.json", "-o", tmp_path / "b.tgz", "--run", run)
    assert result.returncode == 2
    assert "must hold a JSON object" in result.stderr
    missing = run_mock(DATA / "plan_mixed.json", "-o", tmp_path / "b.tgz", "--run", tmp_path / "nope.json")
    assert missing.returncode == 2 and "run metadata file" in missing.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_missing_output_directory_exits_2(tmp_path: Path) -> None:
    result = run_mock(DATA / "plan_mixed.json", "-o", tmp_path / "nope" / "bundle.tar.gz")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_output_is_required(tmp_path: Path) -> None:
    result = run_mock(DATA / "plan_mixed.json")
    assert result.returncode == 2
    assert "--output" in result.stderr


def test_scrub_sensitive_flag(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run_mock(DATA / "plan_mixed.json", "-o", out, "--scrub-sensitive")
    assert result.returncode == 0, result.stderr
    assert all("hunter2" not in path.read_text(encoding="utf-8") for path in out.iterdir())
