"""One run's plan export from start to end, for the CLI and the demo (Airflow splits it into tasks).

create or reuse -> wait -> download -> unpack -> delete, where the delete happens whatever failed
before it, so no export is left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tfc_sentinel.tfc.client import TfcClient
from tfc_sentinel.tfc.errors import TfcError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    run_id: str
    plan_id: str
    export_id: str
    archive: Path
    bundle_dir: Path | None
    deleted: bool


def export_run_bundle(
    client: TfcClient,
    run_id: str,
    archive: str | Path,
    unpack_to: str | Path | None = None,
    *,
    timeout: float = 600.0,
    poll_interval: float = 2.0,
    keep_export: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> ExportResult:
    """Export ``run_id``'s Sentinel mock bundle to ``archive`` (and unpack it to ``unpack_to``)."""
    run = client.get_run(run_id)
    if not run.plan_id:
        raise TfcError(f"run {run_id} has no plan yet (status {run.status!r}); wait until it has planned")
    progress(f"run {run.id} ({run.status}) -> plan {run.plan_id}")
    export = client.create_or_reuse_plan_export(run.plan_id)
    progress(f"plan export {export.id} ({export.status})")
    deleted = False
    try:
        export = client.wait_for_plan_export(export.id, timeout=timeout, poll_interval=poll_interval)
        progress(f"plan export {export.id} finished")
        path = client.download_plan_export(export.id, archive)
        progress(f"downloaded {path} ({path.stat().st_size} bytes)")
        bundle_dir = None
        if unpack_to is not None:
            from tfc_sentinel.bundle import unpack_bundle

            bundle_dir = unpack_bundle(path, unpack_to)
            progress(f"unpacked to {bundle_dir}")
    finally:
        if not keep_export:
            try:
                deleted = client.delete_plan_export(export.id)
                progress(
                    f"deleted plan export {export.id}" if deleted else f"plan export {export.id} already gone"
                )
            except TfcError as exc:  # never hide the original failure behind a cleanup failure
                log.error("could not delete plan export %s: %s", export.id, exc)
    return ExportResult(run.id, run.plan_id, export.id, path, bundle_dir, deleted)
