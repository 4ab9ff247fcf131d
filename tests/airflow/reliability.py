"""What the reliability tests share: a fresh ``tfc_policy_check`` per run, the after-run invariants, and
the record the README's figures are computed from.

The invariants (issue 9) hold after every fault scenario, whatever the DAG run's outcome:

- no plan export is left alive in the emulator;
- at most one export was created for the run (two only where the first one expired before download and
  had to be replaced; never two alive at once, which the emulator refuses anyway);
- nothing half-written is left in bundle storage: no temporary file (``.part``, ``.tmp``,
  ``.unpacking``), no archive without its unpacked bundle, no bundle that does not load, no report set
  that is incomplete or unreadable;
- the blob host never saw the API token (``blob_auth_leaks == 0``).

``TFC_SENTINEL_RELIABILITY_LOG`` (a file path) makes every checked scenario append one JSON line with
what was measured; ``bench/reliability_summary.py`` sets it and prints the figures.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from tests.airflow.conftest import DAGS_FOLDER
from tfc_sentinel.emulator import EmulatorServer

DAG_ID: Final = "tfc_policy_check"
DAG_FILE: Final = DAGS_FOLDER / f"{DAG_ID}.py"
PIPELINE: Final = ("create_export", "wait_for_export", "download_bundle", "run_policies")
TEARDOWN: Final = "delete_export"
RUN_PASSING: Final = "run-coldsirKVxipUP0Z"  # passes every mandatory policy of aws-baseline
RUN_SOFT_FAILING: Final = "run-3YMjH7RcU18bXbD9"  # fails the soft-mandatory destroy-protection
STORAGE_ENV: Final = "AIRFLOW__TFC_SENTINEL__BUNDLE_STORAGE"
RECORD_ENV: Final = "TFC_SENTINEL_RELIABILITY_LOG"
TEMP_SUFFIXES: Final = (".part", ".tmp", ".unpacking", ".old")
REPORT_SUFFIXES: Final = (".json", ".junit.xml", ".html", ".md")

_loaded = itertools.count()


def load_dag() -> Any:
    """A fresh DAG object from the repository's file, with test-sized waits.

    Fresh every time: ``dag.test()`` writes a run's conf into the DAG's own Param objects, and scenarios
    change task attributes (sensor timeout, callbacks); a new object keeps runs from leaking into each
    other.
    """
    name = f"tfc_policy_check_reliability_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    dag.get_task("wait_for_export").poke_interval = 0.1
    download = dag.get_task("download_bundle")
    download.poll_interval = 0.1
    download.reexport_timeout = 30
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
    return dag


def task_states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def expected_states(failed_task: str | None, teardown: str = "success") -> dict[str, str]:
    """The pipeline's states when ``failed_task`` fails (None: everything succeeds): the tasks before it
    succeeded, the ones after it never ran; the delete teardown runs either way."""
    states: dict[str, str] = {}
    failed = False
    for task_id in PIPELINE:
        if failed:
            states[task_id] = "upstream_failed"
        elif task_id == failed_task:
            states[task_id], failed = "failed", True
        else:
            states[task_id] = "success"
    states[TEARDOWN] = teardown
    return states


def run_folder(storage: Path, dag_run_id: str) -> Path:
    """Where ``DownloadBundleOperator`` puts a DAG run's files (its ``_segment`` rule)."""
    import re

    segment = re.sub(r"[^A-Za-z0-9_.-]+", "_", dag_run_id).strip("._") or "_"
    return storage / DAG_ID / segment


def partial_files(storage: Path) -> list[str]:
    """Everything in bundle storage a reader could mistake for a result, or that a dead try left.

    Empty means: no temporary names, every archive has its unpacked bundle and vice versa, every
    bundle loads, every report set is complete and parses.
    """
    from tfc_sentinel.bundle import Bundle, BundleError

    problems: list[str] = []
    if not storage.exists():
        return problems
    for path in sorted(storage.rglob("*")):
        name = path.name
        if name.startswith(".") or name.endswith(TEMP_SUFFIXES):
            problems.append(f"temporary or hidden leftover: {path.relative_to(storage)}")
    for archive in sorted(storage.rglob("bundle.tar.gz")):
        if not (archive.parent / "bundle").is_dir():
            problems.append(f"archive without an unpacked bundle: {archive.relative_to(storage)}")
    for bundle in sorted(p for p in storage.rglob("bundle") if p.is_dir()):
        try:
            Bundle.load(bundle)
        except (BundleError, OSError) as exc:
            problems.append(f"bundle that does not load: {bundle.relative_to(storage)}: {exc}")
    for reports in sorted(p for p in storage.rglob("reports") if p.is_dir()):
        for stem in ("report", "tests"):
            present = [reports / f"{stem}{suffix}" for suffix in REPORT_SUFFIXES]
            found = [p for p in present if p.exists()]
            if found and len(found) != len(present):
                problems.append(f"incomplete report set {stem} in {reports.relative_to(storage)}")
            for report in found:
                try:
                    if report.name.endswith(".json"):
                        json.loads(report.read_text())
                    elif report.name.endswith(".xml"):
                        ElementTree.parse(report)
                    elif not report.read_text().strip():
                        raise ValueError("empty")
                except (ValueError, ElementTree.ParseError) as exc:
                    problems.append(f"unreadable report {report.relative_to(storage)}: {exc}")
    return problems


@dataclass
class Aftermath:
    """What is left after a scenario, as measured (the figures are computed from these)."""

    live_exports: int
    exports_created: int
    partial_files: list[str]
    blob_auth_leaks: int
    exports: list[dict[str, str]] = field(default_factory=list)


def aftermath(emulator: EmulatorServer, storage: Path) -> Aftermath:
    """Measure the invariants. Exports created = the ones still recorded (live or expired) plus the
    deleted ones: the emulator never forgets an export except by deleting it, and counts deletions."""
    snapshot = emulator.snapshot()
    return Aftermath(
        live_exports=snapshot["live_exports"],
        exports_created=len(snapshot["exports"]) + snapshot["deleted_exports"],
        partial_files=partial_files(storage),
        blob_auth_leaks=snapshot["blob_auth_leaks"],
        exports=snapshot["exports"],
    )


def record(kind: str, name: str, passed: bool, **measured: Any) -> None:
    """Append one JSON line to ``$TFC_SENTINEL_RELIABILITY_LOG`` (nothing when unset)."""
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    line = {"kind": kind, "name": name, "passed": passed, **measured}
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, default=str) + "\n")


def record_aftermath(kind: str, name: str, after: Aftermath, passed: bool, **extra: Any) -> None:
    measured = asdict(after)
    measured.pop("exports")
    measured["partial_files"] = len(after.partial_files)
    record(kind, name, passed, **measured, **extra)
