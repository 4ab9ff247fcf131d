"""The README's promise, kept: with ``tfc-sentinel emulator`` running, the export lifecycle works with curl alone.

The console script runs as a user would start it, and the real ``curl`` binary makes every request, so
the test covers what Python clients hide: redirects not followed, headers as typed, the blob URL fetched
without the token.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from tests.emulator.conftest import PLAN_PLANNED, RUN_PLANNED
from tests.services import missing

TOKEN: Final = "demo-token"
AUTH: Final = f"Authorization: Bearer {TOKEN}"
CT: Final = "Content-Type: application/vnd.api+json"
EXPORT_BODY: Final = (
    '{"data": {"type": "plan-exports", "attributes": {"data-type": "sentinel-mock-bundle-v0"}, '
    f'"relationships": {{"plan": {{"data": {{"id": "{PLAN_PLANNED}", "type": "plans"}}}}}}}}}}'
)
PROXY_VARIABLES: Final = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture
def curl_binary() -> str:
    """The curl on PATH; CI must have it (fail), a developer machine may not (skip)."""
    found = shutil.which("curl")
    if found:
        return found
    missing("curl is not on PATH (the README's curl walkthrough is tested)")


def curl(binary: str, *args: str) -> str:
    """Run curl (``-q``: ignore any ~/.curlrc; proxies from the environment are dropped) and return stdout."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    done = subprocess.run(
        [binary, "-q", "-sS", *args], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    assert done.returncode == 0, f"curl {' '.join(args)} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def served() -> Iterator[tuple[str, str]]:
    """``tfc-sentinel emulator --port 0 --blob-port 0 --token demo-token`` as a process: (API, blob) URLs
    read from the banner it prints."""
    script = Path(sys.executable).with_name("tfc-sentinel")
    assert script.exists(), f"the console script is missing at {script}: install the project"
    process = subprocess.Popen(
        [str(script), "emulator", "--port", "0", "--blob-port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (banner and banner[-1].startswith("Serving until")):
            line = process.stdout.readline()
            if not line:
                break
            banner.append(line.rstrip("\n"))
        text = "\n".join(banner)
        api = re.search(r"API:\s+(http://\S+/api/v2)$", text, re.MULTILINE)
        blobs = re.search(r"blobs:\s+(http://\S+)$", text, re.MULTILINE)
        assert api and blobs, f"no URLs in the banner: {text!r}"
        assert not api.group(1).endswith(":0/api/v2") and not blobs.group(1).endswith(":0")
        yield api.group(1), blobs.group(1)
    finally:
        process.send_signal(signal.SIGTERM)  # handled like Ctrl-C
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    assert process.returncode == 0, stderr


def test_the_export_lifecycle_with_curl_alone(
    curl_binary: str, served: tuple[str, str], tmp_path: Path
) -> None:
    binary, (api, blobs) = curl_binary, served

    run = json.loads(curl(binary, "-H", AUTH, f"{api}/runs/{RUN_PLANNED}"))
    assert run["data"]["relationships"]["plan"]["data"]["id"] == PLAN_PLANNED

    created = json.loads(
        curl(binary, "-H", AUTH, "-H", CT, "-X", "POST", f"{api}/plan-exports", "-d", EXPORT_BODY)
    )
    export_id = created["data"]["id"]
    assert export_id.startswith("pe-") and created["data"]["attributes"]["status"] == "queued"

    deadline = time.monotonic() + 20  # the CLI's default export delay is 2 s
    while True:
        status = json.loads(curl(binary, "-H", AUTH, f"{api}/plan-exports/{export_id}"))["data"][
            "attributes"
        ]["status"]
        if status == "finished" or time.monotonic() > deadline:
            break
        assert status in ("pending", "queued")
        time.sleep(0.2)
    assert status == "finished"

    blob_url = curl(
        binary,
        "-H",
        AUTH,
        "-o",
        "/dev/null",
        "-w",
        "%{redirect_url}",
        f"{api}/plan-exports/{export_id}/download",
    )
    assert blob_url.startswith(f"{blobs}/v1/object/"), blob_url

    bundle = tmp_path / "bundle.tar.gz"
    curl(binary, "-o", str(bundle), blob_url)  # the secret URL is the credential: no token sent
    assert bundle.read_bytes()[:2] == b"\x1f\x8b"
    with tarfile.open(bundle, "r:gz") as archive:
        assert "sentinel.hcl" in archive.getnames()

    deleted = curl(
        binary,
        "-H",
        AUTH,
        "-H",
        CT,
        "-X",
        "DELETE",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        f"{api}/plan-exports/{export_id}",
    )
    assert deleted == "204"
    gone = curl(
        binary, "-H", AUTH, "-o", "/dev/null", "-w", "%{http_code}", f"{api}/plan-exports/{export_id}"
    )
    assert gone == "404"

    state = json.loads(curl(binary, f"{api.removesuffix('/api/v2')}/_emulator/state"))
    assert state["blob_requests"] == 1 and state["blob_auth_leaks"] == 0
