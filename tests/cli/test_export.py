"""``tfc-sentinel export`` as a user runs it: a subprocess against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.tfc.conftest import RUN_PLANNED
from tfc_sentinel.emulator import EmulatorServer

CLI = [str(Path(sys.executable).with_name("tfc-sentinel"))]  # the installed console script


def export(
    emulator: EmulatorServer, *args: str, token: str | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TFC_HOST": emulator.api_url,
        "TFC_TOKEN": emulator.token if token is None else token,
    }
    return subprocess.run(
        [*CLI, "export", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_export_downloads_unpacks_and_deletes(reset: EmulatorServer, tmp_path: Path) -> None:
    done = export(reset, RUN_PLANNED, "--unpack", "bundle", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"{RUN_PLANNED}.tar.gz").is_file()
    assert "mock-tfplan-v2.sentinel" in done.stdout and (tmp_path / "bundle" / "sentinel.hcl").is_file()
    assert "deleted plan export pe-" in done.stderr
    assert reset.snapshot()["live_exports"] == 0


def test_bad_token_fails_clearly_and_leaves_nothing(reset: EmulatorServer, tmp_path: Path) -> None:
    done = export(reset, RUN_PLANNED, token="wrong-token", cwd=tmp_path)
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr and "API token" in done.stderr and "wrong-token" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_token_says_how_to_give_one(reset: EmulatorServer, tmp_path: Path) -> None:
    done = export(reset, RUN_PLANNED, token="", cwd=tmp_path)
    assert done.returncode != 0 and "set TFC_TOKEN or pass --token-file" in done.stderr


def test_unknown_run(reset: EmulatorServer, tmp_path: Path) -> None:
    done = export(reset, "run-doesnotexist1234", cwd=tmp_path)
    assert done.returncode == 1 and "run run-doesnotexist1234 does not exist" in done.stderr
