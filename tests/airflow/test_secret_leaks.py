"""Issue 9 item 3: nothing a ``tfc_policy_check`` run produces holds a secret in clear.

Four runs of the real DAG (``dag.test()``, real metadata DB, HTTP to the emulator): a passing check
that defers, a failing check that comments on the Terraform run, a run that rides out faults on every
endpoint (lost answers, 429, 503, a truncated and a reset download, each retried), and a run whose
download fails for good. urllib3 and our client log at DEBUG meanwhile, the level where HTTP libraries
print request lines with signed paths.

Then everything they produced is gathered and scanned (:func:`gather`):

- task logs: what ``dag.test`` printed (it runs tasks in-process and prints their logs), every log
  record, and any file under ``$AIRFLOW_HOME/logs``; exception messages and tracebacks are in there;
- the metadata DB: every XCom value, DAG-run conf and rendered template field of the runs, and, as a
  catch-all, the raw bytes of the sqlite file (trigger rows, task-state store, audit log, …);
- bundle storage: every file (bundles, reports in all four formats);
- the "Policy results" UI: the overview, each run's tab and every report download it links, as an
  Airflow admin sees them;
- what went to Terraform Cloud: run comments, and the emulator's request log (method, path, whether an
  ``Authorization`` header came) of the API host and of the blob host. The blob host's log names the
  signed paths it served (those requests are the signed URLs), so it is scanned for tokens only, and
  must show no ``Authorization`` header at all.

Secrets come from :data:`SECRET_SOURCES` (extend it, don't special-case): every API token the emulator
accepts (and its secret part after ``.atlasv1.``), every signed blob URL ``/download`` handed out (whole
and its secret), every run-task access token and callback code (none yet: no run here is started by a
run task; see :func:`run_task_tokens`). The scan must find none; ``test_the_scan_finds_planted_secrets``
proves it can.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
import requests

from tests.airflow.reliability import (
    DAG_ID,
    RUN_PASSING,
    RUN_SOFT_FAILING,
    STORAGE_ENV,
    load_dag,
    record,
)
from tfc_sentinel.emulator import EmulatorServer

EXPORT: Final = "/api/v2/plan-exports/{export_id}"
BLOB: Final = "/v1/object/{secret}"
UI_PREFIX: Final = "/tfc-sentinel"
MIN_SECRET_LENGTH: Final = 8  # shorter strings would match by chance (Airflow's masker stops at 5)


@dataclass(frozen=True)
class Secret:
    kind: str
    value: str

    def __repr__(self) -> str:  # a failing assertion must not print the secret it found
        return f"Secret({self.kind}, {len(self.value)} chars)"


@dataclass(frozen=True)
class Hit:
    artifact: str
    kind: str
    offset: int


# -- where secrets come from ---------------------------------------------------------------------------------


def api_tokens(emulator: EmulatorServer) -> Iterator[Secret]:
    """Every user API token the emulator accepts, and the part after ``.atlasv1.``, which is the secret
    half of a Terraform Cloud token (a log that cut the prefix off would still leak it)."""
    for token in emulator.state.store.tokens:
        yield Secret("api-token", token)
        if ".atlasv1." in token:
            yield Secret("api-token-secret-part", token.split(".atlasv1.", 1)[1])


def signed_blob_urls(emulator: EmulatorServer) -> Iterator[Secret]:
    """Every signed URL ``/download`` redirected to since the reset, whole and its secret."""
    for secret in emulator.granted_blob_secrets():
        yield Secret("signed-url", f"{emulator.blob_url}/v1/object/{secret}")
        yield Secret("signed-url-secret", secret)


def run_task_tokens(emulator: EmulatorServer) -> Iterator[Secret]:
    """Run-task access tokens and callback codes of every task result the emulator made.

    The runs below are not started by a run task yet, so this yields nothing for them. Extension point
    for the run-task work (``report_run_task``): add a run started through the run-task receiver to
    ``run_everything``; its task result's token and code are then scanned for with no change here.
    """
    for result in emulator.state.store.task_results.values():
        yield Secret("run-task-access-token", result.access_token)
        yield Secret("run-task-callback-code", result.callback_secret)


SECRET_SOURCES: Final[list[Callable[[EmulatorServer], Iterable[Secret]]]] = [
    api_tokens,
    signed_blob_urls,
    run_task_tokens,
]


def collect_secrets(emulator: EmulatorServer) -> list[Secret]:
    found = {s for source in SECRET_SOURCES for s in source(emulator) if len(s.value) >= MIN_SECRET_LENGTH}
    return sorted(found, key=lambda s: (s.kind, s.value))


# -- the scan ------------------------------------------------------------------------------------------------


BLOB_REQUESTS: Final = "emulator request log, blob host"
EXPECTED: Final = {BLOB_REQUESTS: frozenset({"signed-url", "signed-url-secret"})}
"""Where a secret belongs: the blob host's own record of the requests it served names the signed paths
(those requests *are* the signed URLs). Nothing else may hold one."""


def scan(artifacts: Mapping[str, bytes], secrets: Iterable[Secret]) -> list[Hit]:
    """Every place a secret occurs where it does not belong, as bytes (binary files and the sqlite DB
    included)."""
    hits = []
    for secret in secrets:
        needle = secret.value.encode()
        for name, content in artifacts.items():
            if secret.kind in EXPECTED.get(name, ()):
                continue
            if (offset := content.find(needle)) >= 0:
                hits.append(Hit(name, secret.kind, offset))
    return hits


def _files(root: Path, label: str) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {f"{label}: {p.relative_to(root)}": p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _db_rows(dag_run_ids: Iterable[str]) -> dict[str, bytes]:
    """XCom values, DAG-run conf and rendered fields of the runs, one artifact each (readable names)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    found: dict[str, bytes] = {}
    with create_session() as session:
        for run_id in dag_run_ids:
            dag_run = session.query(DagRun).filter_by(dag_id=DAG_ID, run_id=run_id).one()
            found[f"DAG-run conf of {run_id}"] = json.dumps(dag_run.conf, default=str).encode()
            for row in session.query(XComModel).filter_by(dag_id=DAG_ID, run_id=run_id):
                found[f"XCom {run_id} {row.task_id}.{row.key}"] = json.dumps(row.value, default=str).encode()
            for row in session.query(RenderedTaskInstanceFields).filter_by(dag_id=DAG_ID, run_id=run_id):
                fields = json.dumps(row.rendered_fields, default=str).encode()
                found[f"rendered fields {run_id} {row.task_id}"] = fields
    return found


def gather(
    *,
    logs: str,
    airflow_home: Path,
    storage: Path,
    dag_run_ids: Iterable[str] = (),
    ui_pages: Mapping[str, bytes] | None = None,
    emulator: EmulatorServer | None = None,
) -> dict[str, bytes]:
    """Everything the runs produced, by artifact name."""
    artifacts: dict[str, bytes] = {"task logs (printed and recorded)": logs.encode()}
    artifacts |= _files(airflow_home / "logs", "log file")
    artifacts |= _files(storage, "bundle storage")
    for suffix in ("", "-wal", "-journal"):
        db = airflow_home / f"airflow.db{suffix}"
        if db.exists():
            artifacts[f"metadata DB file airflow.db{suffix}"] = db.read_bytes()
    artifacts |= _db_rows(dag_run_ids)
    artifacts |= {f"UI page {url}": page for url, page in (ui_pages or {}).items()}
    if emulator is not None:
        entries = requests.get(f"{emulator.api_url}/_emulator/requests", timeout=30).json()["requests"]
        for app, name in (("api", "emulator request log, API host"), ("blob", BLOB_REQUESTS)):
            mine = [entry for entry in entries if entry["app"] == app]
            artifacts[name] = json.dumps(mine).encode()
        comments = [c.body for c in emulator.state.store.comments.values()]
        artifacts["run comments posted to Terraform Cloud"] = json.dumps(comments).encode()
    return artifacts


# -- the runs --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ui_client(airflow_db: Path) -> Iterator[Any]:
    """The "Policy results" app behind Airflow's auth manager, as the api-server mounts it, with an
    admin's token (tests/ui/conftest.py builds it the same way)."""
    from airflow.api_fastapi.app import get_auth_manager, init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from tfc_sentinel.ui import URL_PREFIX
    from tfc_sentinel.ui.plugin import TfcSentinelPlugin

    os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "tfc-sentinel-ui-tests-" + "k" * 64)
    root = FastAPI()
    init_auth_manager(root)
    root.mount(URL_PREFIX, TfcSentinelPlugin.fastapi_apps[0]["app"])
    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))
    with TestClient(root, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def ui_pages(client: Any, dag_run_ids: Iterable[str]) -> dict[str, bytes]:
    """The overview, each run's tab and every report download the tab links to."""
    pages: dict[str, bytes] = {}
    urls = [f"{UI_PREFIX}/"] + [f"{UI_PREFIX}/runs/{DAG_ID}/{quote(r, safe='')}" for r in dag_run_ids]
    for url in urls:
        answer = client.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 200, (url, answer.status_code)
        pages[url] = answer.content
        for link in sorted(set(re.findall(r'href="([^"]*/reports/[^"]+)"', answer.text))):
            download = client.get(link.replace("&amp;", "&"))
            assert download.status_code == 200, (link, download.status_code)
            pages[link] = download.content
    return pages


def run_everything(emulator: EmulatorServer) -> list[Any]:
    """The four runs; each DAG object is fresh, each run's conf names its scenario (kept in the DB)."""
    runs = []
    # 1. A passing check; exports take 1.5 s, so the sensor defers and the trigger waits.
    emulator.configure(export_delay=1.5)
    runs.append(load_dag().test(run_conf={"run_id": RUN_PASSING, "scenario": "passing"}))
    emulator.configure(export_delay=0.2)
    # 2. A failing check that posts its Markdown report to the Terraform run.
    runs.append(
        load_dag().test(run_conf={"run_id": RUN_SOFT_FAILING, "post_comment": True, "scenario": "failing"})
    )
    # 3. Faults everywhere, each ridden out by a retry (the client's, or a task's).
    emulator.add_faults(
        {"method": "POST", "path": "/api/v2/plan-exports", "sequence": ["lost"]},
        {"method": "GET", "path": EXPORT, "sequence": ["503", "429"]},
        {"method": "GET", "path": BLOB, "sequence": ["truncate", "reset-midway"]},
        {"method": "DELETE", "path": EXPORT, "sequence": ["lost"]},
    )
    runs.append(load_dag().test(run_conf={"run_id": RUN_PASSING, "scenario": "faults-ridden-out"}))
    # 4. A download that fails for good: every error path that handles the signed URL runs.
    emulator.add_faults({"method": "GET", "path": BLOB, "fault": "reset-midway", "times": 15})
    runs.append(load_dag().test(run_conf={"run_id": RUN_PASSING, "scenario": "download-fails"}))
    return runs


# -- the tests ---------------------------------------------------------------------------------------------------


def test_nothing_the_runs_produce_holds_a_secret(
    emulator: EmulatorServer,
    airflow_home: Path,
    airflow_db: Path,
    ui_client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = tmp_path / "storage"
    monkeypatch.setenv(STORAGE_ENV, str(storage))
    for name in ("urllib3", "tfc_sentinel", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)
    emulator.reset()
    try:
        dag_runs = run_everything(emulator)
        printed = capfd.readouterr()
        ids = [dag_run.run_id for dag_run in dag_runs]
        artifacts = gather(
            logs=printed.out + printed.err + caplog.text,
            airflow_home=airflow_home,
            storage=storage,
            dag_run_ids=ids,
            ui_pages=ui_pages(ui_client, ids),
            emulator=emulator,
        )
        secrets = collect_secrets(emulator)
    finally:
        emulator.reset()

    # A scan of nothing finds nothing: the runs happened and every kind of artifact was gathered.
    states = {dag_run.conf["scenario"]: str(dag_run.state) for dag_run in dag_runs}
    assert states == {
        "passing": "success",
        "failing": "failed",
        "faults-ridden-out": "success",
        "download-fails": "failed",
    }
    names = list(artifacts)
    logs = artifacts["task logs (printed and recorded)"].decode()
    assert "downloading plan export" in logs and "urllib3.connectionpool" in logs
    assert "policy check failed at fail_on=soft-mandatory" in logs and "No partial file was kept" in logs
    assert any(n.startswith("XCom ") and n.endswith("run_policies.policy_summary") for n in names)
    assert sum(n.startswith("DAG-run conf") for n in names) == 4
    assert any(n.startswith("metadata DB file") for n in names)
    assert any(n.startswith("bundle storage") and n.endswith("report.html") for n in names)
    assert any(n.startswith("UI page") and n.endswith("report.json") for n in names)
    assert sum(n.startswith("UI page /tfc-sentinel/runs/") and "/reports/" not in n for n in names) == 4
    assert artifacts["run comments posted to Terraform Cloud"] != b"[]"
    kinds = {s.kind for s in secrets}
    assert {"api-token", "api-token-secret-part", "signed-url", "signed-url-secret"} <= kinds
    # One signed URL per download attempt: two clean runs, two retried attempts, 15 failed ones.
    assert sum(s.kind == "signed-url-secret" for s in secrets) >= 2 + 3 + 15

    hits = scan(artifacts, secrets)
    record(
        "secrets",
        "everything four runs produced",
        passed=not hits,
        hits=len(hits),
        secrets=len(secrets),
        artifacts=len(artifacts),
        bytes_scanned=sum(len(v) for v in artifacts.values()),
    )
    assert hits == [], "\n".join(f"{h.kind} in {h.artifact} at byte {h.offset}" for h in hits)

    # The blob host's request log (scanned above for tokens only): no request carried an Authorization
    # header, whatever its credential.
    blob = json.loads(artifacts[BLOB_REQUESTS])
    assert len(blob) >= 2 + 3 + 15 and json.loads(artifacts["emulator request log, API host"])
    assert [e["path"] for e in blob if e["authorization"] or e["credential"]] == []


def test_the_scan_finds_planted_secrets(tmp_path: Path, emulator: EmulatorServer) -> None:
    """The scanner is only worth its silence if it can speak: a token left in a report, a signed URL in
    a log line and in a file under the log folder are all found, through the same ``gather``."""
    home, storage = tmp_path / "home", tmp_path / "storage"
    reports = storage / DAG_ID / "some_run" / "reports"
    reports.mkdir(parents=True)
    (reports / "report.md").write_text(f"policy check passed\nAuthorization: Bearer {emulator.token}\n")
    (home / "logs").mkdir(parents=True)
    signed = Secret("signed-url-secret", "pLaNtEd-sEcReT-0123456789abcdefghij")
    (home / "logs" / "attempt=1.log").write_text(f"GET /v1/object/{signed.value} HTTP/1.1 200\n")
    line = f"downloading from {emulator.blob_url}/v1/object/{signed.value}"
    artifacts = gather(logs=line, airflow_home=home, storage=storage)
    hits = scan(artifacts, [*api_tokens(emulator), signed])
    assert {(h.artifact, h.kind) for h in hits} == {
        ("bundle storage: tfc_policy_check/some_run/reports/report.md", "api-token"),
        ("bundle storage: tfc_policy_check/some_run/reports/report.md", "api-token-secret-part"),
        ("log file: attempt=1.log", "signed-url-secret"),
        ("task logs (printed and recorded)", "signed-url-secret"),
    }
