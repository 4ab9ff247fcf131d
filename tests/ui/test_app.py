"""The results app over HTTP (FastAPI's TestClient), on Airflow's real auth manager and metadata DB.

The checks are real (``checked_runs``: ``tfc_policy_check`` run with ``dag.test()``); the app is
mounted under ``/tfc-sentinel`` next to the auth manager, as the api-server mounts it. Tokens are
minted by the auth manager itself, so authentication takes Airflow's own path (bearer header or the
UI's ``_token`` cookie).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.ui.conftest import (
    DAG_ID,
    FAILING_RESOURCE,
    RUN_FAILING,
    RUN_PASSING,
    WORKSPACE,
    CheckedRuns,
    token_for,
)

PREFIX: Final = "/tfc-sentinel"
REPORT_NAMES: Final = ("report.json", "report.junit.xml", "report.html", "report.md")
TEST_NAMES: Final = ("tests.json", "tests.junit.xml", "tests.html", "tests.md")


@pytest.fixture(scope="module")
def client(ui_root: Any, checked_runs: CheckedRuns) -> Iterator[TestClient]:
    with TestClient(ui_root) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('admin', 'admin')}"}


@pytest.fixture(scope="module")
def viewer(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('vera', 'viewer')}"}


def run_path(run_id: str, *rest: str) -> str:
    return "/".join([PREFIX, "runs", DAG_ID, quote(run_id, safe=""), *rest])


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed (what a reader sees, roughly)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- authentication and permissions ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def routes(checked_runs: CheckedRuns) -> list[str]:
    return [
        f"{PREFIX}/",
        f"{PREFIX}/?outcome=fail",
        run_path(checked_runs.failing),
        run_path(checked_runs.failing, "reports", "run_policies", "-1", "report.json"),
    ]


def test_every_route_answers_401_without_a_login(client: TestClient, routes: list[str]) -> None:
    for route in routes:
        reply = client.get(route)
        assert reply.status_code == 401, route
        assert reply.headers["www-authenticate"] == "Bearer"
        assert reply.json() == {"detail": "Not authenticated"}


def forged_tokens() -> list[str]:
    """Garbage, a token signed with another key, and an expired one signed with the right key."""
    import jwt
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    other_key = jwt.encode(
        {"sub": "admin", "role": "admin"}, "someone-elses-key-" + "z" * 64, algorithm="HS512"
    )
    expired = get_auth_manager().generate_jwt(
        SimpleAuthManagerUser(username="admin", role="admin"), expiration_time_in_seconds=-120
    )
    return ["not.a.jwt", other_key, expired]


def test_a_forged_or_expired_token_is_401_not_403(
    ui_root: Any, client: TestClient, routes: list[str]
) -> None:
    for token in forged_tokens():
        with TestClient(ui_root, cookies={"_token": token}) as cookie_client:
            for route in routes:
                assert client.get(route, headers={"Authorization": f"Bearer {token}"}).status_code == 401
                assert cookie_client.get(route).status_code == 401


def test_a_browser_gets_a_readable_401_page_with_the_login_link(client: TestClient) -> None:
    reply = client.get(f"{PREFIX}/", headers={"Accept": "text/html"})
    assert reply.status_code == 401
    assert reply.headers["content-type"].startswith("text/html")
    assert "Not logged in" in reply.text and 'href="/auth/login' in reply.text


def test_the_ui_cookie_is_enough(ui_root: Any, client: TestClient, checked_runs: CheckedRuns) -> None:
    """The Airflow UI's iframe carries no header, only the ``_token`` cookie the login set."""
    with TestClient(ui_root, cookies={"_token": token_for("vera", "viewer")}) as cookie_client:
        assert cookie_client.get(run_path(checked_runs.failing)).status_code == 200


@pytest.fixture
def outsider(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A user the auth manager lets read every DAG but ``tfc_policy_check`` (as a FAB role or a team
    rule would); the app must ask the auth manager, not decide by itself."""
    from airflow.api_fastapi.app import get_auth_manager

    manager = get_auth_manager()
    allowed = manager.is_authorized_dag

    def is_authorized_dag(*, method: str, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        if user.get_name() == "outsider" and details is not None and details.id == DAG_ID:
            return False
        return allowed(method=method, user=user, access_entity=access_entity, details=details)

    monkeypatch.setattr(manager, "is_authorized_dag", is_authorized_dag)
    return {"Authorization": f"Bearer {token_for('outsider', 'admin')}"}


def test_dags_the_user_may_not_read_are_hidden_and_refused(
    client: TestClient, outsider: dict[str, str], checked_runs: CheckedRuns
) -> None:
    overview = client.get(f"{PREFIX}/", headers=outsider)
    assert overview.status_code == 200
    assert checked_runs.failing not in overview.text and "No policy checks match" in overview.text
    assert "destroy-protection" not in overview.text  # not even in the pass rates or the filters
    assert client.get(run_path(checked_runs.failing), headers=outsider).status_code == 403
    download = run_path(checked_runs.failing, "reports", "run_policies", "-1", "report.json")
    assert client.get(download, headers=outsider).status_code == 403


# -- the DAG-run tab --------------------------------------------------------------------------------------


def test_failing_run_tab(
    client: TestClient, viewer: dict[str, str], checked_runs: CheckedRuns, emulator: Any
) -> None:
    reply = client.get(run_path(checked_runs.failing), headers=viewer)
    assert reply.status_code == 200
    assert reply.headers["content-security-policy"].startswith("default-src 'none'")
    assert reply.text.count("<script") == 1  # only the hash-pinned link helper
    assert "script-src 'sha256-" in reply.headers["content-security-policy"]
    page = reply.text
    text = text_of(page)
    assert "SOFT FAIL" in text.upper()
    assert "Failed at fail_on=soft-mandatory: destroy-protection (soft-mandatory)" in text
    assert f"acme-corp / {WORKSPACE}" in text
    run_url = f"{emulator.api_url}/app/acme-corp/{WORKSPACE}/runs/{RUN_FAILING}"
    assert f'href="{run_url}"' in page and RUN_FAILING in text
    # One row per policy with its level and result; the failing one opens on its violations and prints.
    rows = re.findall(
        r'<details class="policy"( open)? data-policy="([^"]+)"><summary class="prow">(.*?)</summary>', page
    )
    policies = {name: (bool(opened), text_of(summary)) for opened, name, summary in rows}
    assert len(policies) == 9
    assert policies["destroy-protection"][0] and "soft-mandatory" in policies["destroy-protection"][1]
    assert "fail" in policies["destroy-protection"][1]
    assert not policies["restrict-ec2-instance-types"][0]
    assert (
        "hard-mandatory" in policies["restrict-ec2-instance-types"][1]
        and " ms" in policies["s3-no-public-access"][1]
    )
    assert f'<code class="address">{FAILING_RESOURCE}</code>' in page
    assert (
        "protected_resources_kept" in page
        and f"{FAILING_RESOURCE}: protected resource would be deleted" in text
    )
    # No test cases for this run (run_tests was off); the four report downloads are offered.
    assert "Policy set tests" not in text
    for name in REPORT_NAMES:
        assert run_path(checked_runs.failing, "reports", "run_policies", "-1", name) in page
    assert "tests.json" not in page
    assert '<meta http-equiv="refresh"' not in page  # the run is over


def test_passing_run_tab_shows_the_test_cases(
    client: TestClient, viewer: dict[str, str], checked_runs: CheckedRuns
) -> None:
    reply = client.get(run_path(checked_runs.passing), headers=viewer)
    assert reply.status_code == 200
    text = text_of(reply.text)
    assert "Passed at fail_on=soft-mandatory; failed below the threshold: mandatory-tags (advisory)" in text
    assert "Policy set tests" in text and re.search(r"(\d+) of \1 test cases passed", text)
    tests_grid = reply.text.split('<div class="grid tests">', 1)[1]
    assert "restrict-ec2-instance-types" in tests_grid and "fail-oversized" in tests_grid
    for name in REPORT_NAMES + TEST_NAMES:
        assert run_path(checked_runs.passing, "reports", "run_policies", "-1", name) in reply.text


def test_unknown_run_is_404(client: TestClient, viewer: dict[str, str]) -> None:
    assert client.get(run_path("manual__1999-01-01T00:00:00+00:00"), headers=viewer).status_code == 404
    assert client.get(f"{PREFIX}/runs/no_such_dag/whatever", headers=viewer).status_code in (403, 404)


@pytest.fixture
def hidden_report(checked_runs: CheckedRuns, client: TestClient, viewer: dict[str, str]) -> Iterator[Path]:
    """The failing run's JSON report moved away (storage cleaned up, or not mounted on this api-server)."""
    reply = client.get(
        run_path(checked_runs.failing, "reports", "run_policies", "-1", "report.json"), headers=viewer
    )
    assert reply.status_code == 200
    from airflow.utils.session import create_session

    from tfc_sentinel.ui import data

    with create_session() as session:
        checks, _ = data.query_checks(session, {DAG_ID}, dag_id=DAG_ID, run_id=checked_runs.failing)
    location = checks[0].report_location("report", "json")
    assert location is not None
    path = Path(location.removeprefix("file://"))
    aside = path.with_name("moved-away.json")
    shutil.move(path, aside)
    try:
        yield path
    finally:
        shutil.move(aside, path)


def test_a_missing_report_falls_back_to_the_xcom_summary(
    client: TestClient, viewer: dict[str, str], checked_runs: CheckedRuns, hidden_report: Path
) -> None:
    reply = client.get(run_path(checked_runs.failing), headers=viewer)
    assert reply.status_code == 200
    text = text_of(reply.text)
    assert "The full report cannot be shown (the report file is gone" in text
    assert 'data-policy="destroy-protection"' in reply.text and "soft-mandatory" in text
    download = run_path(checked_runs.failing, "reports", "run_policies", "-1", "report.json")
    missing = client.get(download, headers=viewer)
    assert missing.status_code == 404 and "gone" in missing.json()["detail"]


# -- downloads --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORT_NAMES + TEST_NAMES)
def test_every_stored_report_downloads(
    client: TestClient, viewer: dict[str, str], checked_runs: CheckedRuns, name: str
) -> None:
    reply = client.get(run_path(checked_runs.passing, "reports", "run_policies", "-1", name), headers=viewer)
    assert reply.status_code == 200
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(f'__{name}"')
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-security-policy"].startswith("sandbox")
    expected_type = {
        "json": "application/json",
        "xml": "application/xml",
        "html": "text/html",
        "md": "text/markdown",
    }
    assert reply.headers["content-type"].startswith(expected_type[name.rsplit(".", 1)[1]])
    if name == "report.json":
        report = json.loads(reply.text)
        assert report["outcome"] == "warn" and report["context"]["run_id"] == RUN_PASSING
    if name == "tests.junit.xml":
        assert "<testsuites" in reply.text


@pytest.mark.parametrize(
    ("task", "map_index", "name"),
    [
        ("run_policies", "-1", "tests.json"),  # the failing run did not run the set's tests
        ("run_policies", "-1", "../../../etc/passwd"),
        ("run_policies", "-1", "bundle.tar.gz"),
        ("run_policies", "0", "report.json"),
        ("create_export", "-1", "report.json"),
    ],
)
def test_only_files_a_check_recorded_are_served(
    client: TestClient,
    viewer: dict[str, str],
    checked_runs: CheckedRuns,
    task: str,
    map_index: str,
    name: str,
) -> None:
    url = run_path(checked_runs.failing, "reports", task, map_index, quote(name, safe=""))
    assert client.get(url, headers=viewer).status_code == 404


# -- the overview -----------------------------------------------------------------------------------------


def listed(page: str) -> list[tuple[str, str]]:
    """(DAG run ID, outcome) of every check row, in page order."""
    return [
        (run, outcome)
        for outcome, run in re.findall(
            r'<tr class="check-row" data-outcome="([^"]+)" data-run="([^"]+)"', page
        )
    ]


def ours(page: str, runs: CheckedRuns) -> list[str]:
    """The outcomes of this module's two checks, in page order (other tests' checks share the DB)."""
    mine = {runs.failing, runs.passing}
    return [outcome for run, outcome in listed(page) if run in mine]


def rate_of(page: str, policy: str) -> str | None:
    match = re.search(rf'data-policy="{re.escape(policy)}">.*?<strong>([^<]+)</strong>', page)
    return match.group(1) if match else None


def test_overview_lists_recent_checks_and_pass_rates(
    client: TestClient, viewer: dict[str, str], checked_runs: CheckedRuns
) -> None:
    reply = client.get(f"{PREFIX}/", headers=viewer)
    assert reply.status_code == 200
    page = reply.text
    assert ours(page, checked_runs) == ["soft-fail", "warn"]  # newest first
    assert RUN_PASSING in page and RUN_FAILING in page and WORKSPACE in page
    assert run_path(checked_runs.failing) in page  # each check links to its run's results
    # Every aws-baseline fixture run fails mandatory-tags and passes s3-no-public-access; only some
    # delete a protected bucket.
    assert rate_of(page, "mandatory-tags") == "0%"
    assert rate_of(page, "s3-no-public-access") == "100%"
    assert rate_of(page, "destroy-protection") not in (None, "0%", "100%")
    assert f'<option value="{WORKSPACE}">' in page


@pytest.mark.parametrize(
    ("query", "expected", "outcomes"),
    [
        ("outcome=soft-fail", ["soft-fail"], {"soft-fail"}),
        ("outcome=warn", ["warn"], {"warn"}),
        ("outcome=fail", [], {"fail"}),
        (f"workspace={WORKSPACE}", ["soft-fail", "warn"], None),
        ("workspace=no-such-workspace", [], set()),
        ("policy=destroy-protection", ["soft-fail", "warn"], None),
        ("policy=no-such-policy", [], set()),
        ("period=24h", ["soft-fail", "warn"], None),
        ("period=all&dag_id=tfc_policy_check", ["soft-fail", "warn"], None),
        ("dag_id=another_dag", [], set()),
        ("period=forever&outcome=<script>", ["soft-fail", "warn"], None),  # unknown values are ignored
    ],
)
def test_overview_filters(
    client: TestClient,
    viewer: dict[str, str],
    checked_runs: CheckedRuns,
    query: str,
    expected: list[str],
    outcomes: set[str] | None,
) -> None:
    reply = client.get(f"{PREFIX}/?{query}", headers=viewer)
    assert reply.status_code == 200
    assert ours(reply.text, checked_runs) == expected
    if outcomes is not None:  # nothing else slipped through either
        assert {outcome for _, outcome in listed(reply.text)} <= outcomes
    assert "<script>alert" not in reply.text and reply.text.count("<script") == 1


def test_policy_filter_narrows_the_pass_rates(client: TestClient, viewer: dict[str, str]) -> None:
    page = client.get(f"{PREFIX}/?policy=destroy-protection", headers=viewer).text
    assert rate_of(page, "destroy-protection") not in (None, "0%", "100%")
    assert rate_of(page, "mandatory-tags") is None
    assert '<option value="destroy-protection" selected>' in page


def test_the_plugin_declares_the_views_airflow_shows() -> None:
    from tfc_sentinel.ui.plugin import TfcSentinelPlugin

    views: list[dict[str, Any]] = TfcSentinelPlugin.external_views
    by_destination: dict[str, dict[str, Any]] = {view["destination"]: view for view in views}
    assert by_destination["dag_run"] == {
        "name": "Policy results",
        "href": "tfc-sentinel/runs/{DAG_ID}/{RUN_ID}",
        "destination": "dag_run",
        "url_route": "policy_results",
    }
    assert by_destination["nav"]["href"] == "tfc-sentinel/" and by_destination["nav"]["url_route"]
    reserved = ("/api/v2", "/ui", "/execution", "/auth", "/pluginsv2")
    assert all(not app["url_prefix"].startswith(reserved) for app in TfcSentinelPlugin.fastapi_apps)
