"""``tfc-sentinel emulator`` as a user runs it: a subprocess on free ports, stopped with Ctrl-C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.emulator.conftest import RUN_PLANNED
from tfc_sentinel.cli import main

START = "import sys; from tfc_sentinel.cli import main; sys.exit(main())"  # the console script's body


def start_cli(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the CLI and read its banner up to the "Serving" line."""
    process = subprocess.Popen(
        [sys.executable, "-c", START, "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Serving until Ctrl-C"):
            return process, lines
    process.kill()
    raise AssertionError(f"no banner; stdout={lines} stderr={process.communicate()[1]}")


def test_cli_serves_on_free_ports_and_prints_urls_token_and_runs() -> None:
    process, lines = start_cli(
        "--port", "0", "--blob-port", "0", "--token", "cli-token", "--export-delay", "0"
    )
    try:
        banner = "\n".join(lines)
        api = re.search(r"API:\s+(http://127\.0\.0\.1:\d+)/api/v2", banner)
        blob = re.search(r"blobs:\s+(http://127\.0\.0\.1:\d+)", banner)
        assert api and blob and api.group(1) != blob.group(1)
        assert re.search(r"token:\s+cli-token$", banner, re.MULTILINE)
        assert "acme-corp" in banner and "globex" in banner
        assert re.search(rf"{RUN_PLANNED}\s+planned\s+acme-corp/net-prod", banner)
        assert "plan_queueable" in banner

        base = api.group(1)
        assert requests.get(f"{base}/api/v2/ping", timeout=5).status_code == 204
        headers = {"Authorization": "Bearer cli-token"}
        run = requests.get(f"{base}/api/v2/runs/{RUN_PLANNED}", headers=headers, timeout=5)
        assert run.status_code == 200
        assert requests.get(f"{blob.group(1)}/v1/object/unknown", timeout=5).status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr


def test_cli_reports_a_busy_port_and_bad_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = str(busy.getsockname()[1])
        assert main(["emulator", "--port", port, "--blob-port", "0"]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["emulator", "--port", "0", "--blob-port", "0", "--fixtures", str(tmp_path)]) == 1
    assert "no *.json seed documents" in capsys.readouterr().err
    assert main(["emulator", "--export-delay", "-1"]) == 2
