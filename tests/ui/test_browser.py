"""End to end in a real browser: ``airflow api-server`` with the plugin, headless Chromium, a real login.

What is real here: the api-server process (plugins folder = the repository's ``plugins/``, simple auth
manager with a pre-seeded password file, the same sqlite metadata DB the checks were stored in), the
Airflow UI's own login page, DAG-run page and navigation, its iframe around our pages, and Debian's
Chromium driven by Playwright. The checks come from ``checked_runs`` (``tfc_policy_check`` run with
``dag.test()`` against the emulator). Screenshots go to ``artifacts/ui/`` for a human to look at.

Chromium is a system package (``make install`` installs it); without it these tests skip on a
developer machine and fail under ``CI=true``, so a broken CI image cannot pass silently.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
import requests

from tests.airflow.conftest import REPO
from tests.services import missing
from tests.ui.conftest import DAG_ID, FAILING_RESOURCE, RUN_FAILING, RUN_PASSING, WORKSPACE, CheckedRuns

pytestmark = pytest.mark.slow

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS: Final = REPO / "artifacts" / "ui"
USERS: Final = {"admin": ("admin", "admin-Pw-4tfc-sentinel"), "reader": ("viewer", "reader-Pw-4tfc-sentinel")}
START_TIMEOUT: Final = 180.0


def _chromium_or_skip() -> str:
    """The browser, or a skip (developer machine) / a failure (``CI=true``) saying how to install it."""
    found = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if found:
        return found
    message = "chromium is not installed: run `make install` (apt-get install chromium)"
    missing(message)


def test_a_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make install"):
        _chromium_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        _chromium_or_skip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ApiServer:
    url: str
    log: Path


@pytest.fixture(scope="module")
def api_server(checked_runs: CheckedRuns, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """``airflow api-server`` on a free port, sharing the tests' AIRFLOW_HOME and metadata DB."""
    home = tmp_path_factory.mktemp("api-server")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({name: password for name, (_, password) in USERS.items()}))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{n}:{r}" for n, (r, _) in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": "tfc-sentinel-ui-test-" + "x" * 48,
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
    }
    log = home / "api-server.log"
    airflow = str(Path(sys.executable).with_name("airflow"))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped with everything it started
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"api-server exited with {process.returncode}:\n{log.read_text()[-5000:]}")
            try:
                if requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"api-server did not answer within {START_TIMEOUT:.0f}s:\n{log.read_text()[-5000:]}"
                )
            time.sleep(0.5)
        yield ApiServer(url, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _token(server: ApiServer, user: str) -> str:
    _, password = USERS[user]
    reply = requests.post(
        f"{server.url}/auth/token", json={"username": user, "password": password}, timeout=30
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["access_token"])


def test_every_route_needs_a_login(api_server: ApiServer, checked_runs: CheckedRuns) -> None:
    run = quote(checked_runs.failing, safe="")
    routes = [
        "/tfc-sentinel/",
        f"/tfc-sentinel/runs/{DAG_ID}/{run}",
        f"/tfc-sentinel/runs/{DAG_ID}/{run}/reports/run_policies/-1/report.json",
    ]
    for route in routes:
        reply = requests.get(api_server.url + route, timeout=30)
        assert reply.status_code == 401, (route, reply.status_code, reply.text[:200])
        forged = requests.get(api_server.url + route, cookies={"_token": "not-a-jwt"}, timeout=30)
        assert forged.status_code == 401, (route, forged.status_code)
    # The same routes answer a logged-in API client (bearer token from POST /auth/token).
    headers = {"Authorization": f"Bearer {_token(api_server, 'reader')}"}
    for route in routes:
        assert requests.get(api_server.url + route, headers=headers, timeout=30).status_code == 200, route


def test_the_plugin_is_registered(api_server: ApiServer) -> None:
    headers = {"Authorization": f"Bearer {_token(api_server, 'admin')}"}
    reply = requests.get(f"{api_server.url}/api/v2/plugins", headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    plugins = {plugin["name"]: plugin for plugin in reply.json()["plugins"]}
    plugin = plugins["tfc_sentinel"]
    assert [app["url_prefix"] for app in plugin["fastapi_apps"]] == ["/tfc-sentinel"]
    views = {view["destination"]: view for view in plugin["external_views"]}
    assert views["dag_run"]["href"] == "tfc-sentinel/runs/{DAG_ID}/{RUN_ID}"
    assert views["dag_run"]["url_route"] == "policy_results"
    assert views["nav"]["url_route"] == "policy-results"
    assert reply.json().get("import_errors", {}) == {} or "tfc_sentinel" not in json.dumps(
        reply.json().get("import_errors")
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Any, server: ApiServer, user: str) -> None:
    """Through the simple auth manager's own login form, as a person would."""
    _, password = USERS[user]
    page.goto(server.url + "/")
    page.wait_for_url("**/auth/login**", timeout=60_000)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_policy_results_in_the_airflow_ui(
    browser: Any, api_server: ApiServer, checked_runs: CheckedRuns, scheme: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    try:
        _login(page, api_server, "reader")

        # The failing run's "Policy results" tab, inside the Airflow UI.
        failing = quote(checked_runs.failing, safe="")
        page.goto(f"{api_server.url}/dags/{DAG_ID}/runs/{failing}/plugin/policy_results")
        frame = page.frame_locator("iframe[title='Policy results']")
        expect(frame.locator(".verdict")).to_contain_text("soft fail", ignore_case=True, timeout=60_000)
        expect(frame.locator(".verdict-text")).to_contain_text("destroy-protection (soft-mandatory)")
        expect(frame.locator("dl.facts")).to_contain_text(WORKSPACE)
        expect(frame.get_by_role("link", name=f"{RUN_FAILING} ↗")).to_be_visible()
        failed_row = frame.locator("details.policy[data-policy='destroy-protection']")
        expect(failed_row).to_have_attribute("open", "")  # failures start expanded
        expect(failed_row.locator("summary")).to_contain_text("soft-mandatory")
        expect(failed_row.locator("code.address")).to_have_text(FAILING_RESOURCE)
        expect(failed_row).to_contain_text("protected_resources_kept")  # rule values
        expect(failed_row.locator("pre").last).to_contain_text(f"{FAILING_RESOURCE}: protected resource")
        passed_row = frame.locator("details.policy[data-policy='restrict-ec2-instance-types']")
        expect(passed_row.locator("summary")).to_contain_text("hard-mandatory")
        expect(passed_row).not_to_have_attribute("open", "")
        passed_row.locator("summary").click()  # expands without any script
        expect(passed_row.locator(".body")).to_contain_text("Rule values")
        # The Terraform run link opens a new tab, although the UI's iframe sandbox has no allow-popups.
        with context.expect_page() as opened:
            frame.get_by_role("link", name=f"{RUN_FAILING} ↗").click()
        assert opened.value.url.endswith(f"/runs/{RUN_FAILING}")
        opened.value.close()
        tab = page.get_by_test_id("main-content").get_by_role("link", name="Policy results")
        expect(tab).to_be_visible()  # the DAG-run tab
        _shot(page, f"run-failing-{scheme}")

        # A download link serves the stored report.
        with page.expect_download() as download_info:
            frame.get_by_role("link", name="JSON").first.click()
        report = json.loads(Path(download_info.value.path()).read_text())
        assert report["outcome"] == "soft-fail" and report["context"]["run_id"] == RUN_FAILING

        # The passing run's tab: outcome, and the policy set's test cases.
        passing = quote(checked_runs.passing, safe="")
        page.goto(f"{api_server.url}/dags/{DAG_ID}/runs/{passing}/plugin/policy_results")
        frame = page.frame_locator("iframe[title='Policy results']")
        expect(frame.locator(".verdict")).to_contain_text("warn", ignore_case=True, timeout=60_000)
        expect(frame.locator(".verdict-text")).to_contain_text("mandatory-tags (advisory)")
        expect(frame.get_by_role("heading", name="Policy set tests")).to_be_visible()
        expect(frame.locator(".grid.tests")).to_contain_text("restrict-ec2-instance-types")
        _shot(page, f"run-passing-{scheme}")

        # The overview from the navigation, then filtered to failing checks.
        page.get_by_test_id("nav-sidebar").get_by_role("link", name="Policy results").click()
        page.wait_for_url("**/plugin/policy-results**")
        frame = page.frame_locator("iframe[title='Policy results']")
        # Other tests' checks may share the DB: look at this module's two by their DAG run IDs.
        failing_row = frame.locator(f"tr.check-row[data-run='{checked_runs.failing}']")
        passing_row = frame.locator(f"tr.check-row[data-run='{checked_runs.passing}']")
        expect(failing_row).to_contain_text(RUN_FAILING, timeout=60_000)
        expect(failing_row).to_contain_text("soft fail", ignore_case=True)
        expect(failing_row).to_contain_text("destroy-protection")
        expect(passing_row).to_contain_text(RUN_PASSING)
        expect(passing_row).to_contain_text(WORKSPACE)
        expect(frame.locator("tr.rate-row[data-policy='mandatory-tags']")).to_contain_text("0%")
        expect(frame.locator("tr.rate-row[data-policy='s3-no-public-access']")).to_contain_text("100%")
        _shot(page, f"overview-{scheme}")
        frame.locator("select[name='outcome']").select_option("soft-fail")
        frame.get_by_role("button", name="Apply").click()
        expect(passing_row).to_have_count(0)
        expect(failing_row).to_be_visible()
        expect(frame.locator("tr.check-row:not([data-outcome='soft-fail'])")).to_have_count(0)
        _shot(page, f"overview-soft-fail-{scheme}")

        # The run page on its own (outside the Airflow frame), whole, with the failing policy open.
        page.goto(f"{api_server.url}/tfc-sentinel/runs/{DAG_ID}/{failing}")
        expect(page.locator("details.policy[data-policy='destroy-protection'] code.address")).to_have_text(
            FAILING_RESOURCE
        )
        _shot(page, f"run-failing-page-{scheme}")
    finally:
        context.close()
