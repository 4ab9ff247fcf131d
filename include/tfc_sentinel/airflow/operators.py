"""Operators for one Terraform run's plan export: create it, download its bundle, delete it.

The three steps are separate tasks so the wait between them can be deferred (``PlanExportSensor``)
and so the delete can be a teardown that runs whatever failed before it.

XCom written (all plain strings, nothing secret):

- ``CreatePlanExportOperator``: ``plan_id`` and ``run_url`` as soon as the run is resolved, then
  ``export_id``; its return value is the export ID too.
- ``DownloadBundleOperator``: ``export_id`` only when it had to re-export an expired export; its
  return value is the bundle directory's location (``file:///…/bundle``, ``s3://…/bundle``).
- ``DeletePlanExportOperator``: returns the IDs it deleted.

Idempotency: the create task writes the export ID to ``task_state_store`` right after creating it and
reuses that export on a retry while it is live; without a stored ID the client's
``create_or_reuse_plan_export`` finds a live export through the plan's ``relationships.exports``. The
download task does the same for its re-export.

Importing this module is cheap (DAG files import it): the HTTP client, the bundle code and object
storage load when a task runs.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from tfc_sentinel.airflow.hooks import DEFAULT_CONN_ID
from tfc_sentinel.airflow.links import XCOM_RUN_URL, TerraformRunLink

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from tfc_sentinel.airflow.hooks import TerraformCloudHook
    from tfc_sentinel.bundle import UnpackLimits
    from tfc_sentinel.tfc import PlanExport, Run, TfcClient

RUN_ID_PATTERN = r"^run-[A-Za-z0-9]+$"
XCOM_EXPORT_ID = "export_id"
XCOM_PLAN_ID = "plan_id"
STATE_EXPORT_ID = "export_id"
STATE_REEXPORT_ID = "reexport_id"
STORAGE_SECTION, STORAGE_OPTION = "tfc_sentinel", "bundle_storage"
_UNSAFE_SEGMENT = re.compile(r"[^A-Za-z0-9_.-]+")
_MISSING = frozenset({"", "None", "none", "null"})


def check_run_id(value: Any) -> str:
    """The Terraform run ID, or AirflowFailException saying what a run ID looks like."""
    if not isinstance(value, str) or not re.match(RUN_ID_PATTERN, value.strip()):
        raise AirflowFailException(
            f"{value!r} is not a Terraform run ID: expected 'run-' followed by letters and digits, "
            "as shown in the run's URL in Terraform Cloud (…/runs/run-…)"
        )
    return value.strip()


def _export_id(value: Any, what: str) -> str:
    from tfc_sentinel.airflow.triggers import check_export_id

    try:
        return check_export_id(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        raise AirflowFailException(f"{what}: {exc}") from None


def _hook(conn_id: str) -> TerraformCloudHook:
    from tfc_sentinel.airflow.hooks import TerraformCloudHook

    return TerraformCloudHook(conn_id)


def _error(exc: BaseException, doing: str) -> Exception:
    from tfc_sentinel.airflow.hooks import task_error

    return task_error(exc, doing)


def _delete_quietly(client: TfcClient, export_id: str, log: Any) -> None:
    """Best-effort delete for cleanup paths: a failure is logged, never raised over the real error."""
    from tfc_sentinel.tfc import TfcError

    try:
        client.delete_plan_export(export_id)
        log.info("deleted plan export %s", export_id)
    except TfcError as exc:
        log.warning("could not delete plan export %s (the teardown will try again): %s", export_id, exc)


class CreatePlanExportOperator(BaseOperator):
    """Create (or reuse) the Sentinel mock bundle export of a Terraform run's plan.

    Resolves run → plan, checks the plan can be exported (failing with what to do when not), records
    ``plan_id``/``run_url`` in XCom, then creates or reuses the export and records ``export_id``
    (XCom and ``task_state_store``) before anything waits. Returns the export ID.

    :param run_id: the Terraform run (``run-…``); templated.
    :param tfc_conn_id: the ``terraform_cloud`` connection.
    """

    template_fields: Sequence[str] = ("run_id",)
    operator_extra_links = (TerraformRunLink(),)
    ui_color = "#e9e4f7"

    def __init__(self, *, run_id: str, tfc_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id = run_id
        self.tfc_conn_id = tfc_conn_id

    def execute(self, context: Context) -> str:
        from tfc_sentinel.tfc import NotFoundError, TfcError

        run_id = check_run_id(self.run_id)
        ti = context["ti"]
        store = context.get("task_state_store")
        hook = _hook(self.tfc_conn_id)
        with hook.get_client() as client:
            try:
                run = client.get_run(run_id)
            except NotFoundError:
                raise AirflowFailException(
                    f"Terraform run {run_id} does not exist or the token of connection {self.tfc_conn_id!r} "
                    "cannot see it (Terraform Cloud answers 404 for both). Check the run ID and that the "
                    "token belongs to the run's organization with read access to its workspace."
                ) from None
            except TfcError as exc:
                raise _error(exc, f"reading Terraform run {run_id}") from exc
            if not run.plan_id:
                raise AirflowException(
                    f"Terraform run {run_id} has no plan yet (status {run.status!r}); retry once it has planned"
                )
            ti.xcom_push(key=XCOM_PLAN_ID, value=run.plan_id)
            if run_url := self._run_url(hook, client, run):
                ti.xcom_push(key=XCOM_RUN_URL, value=run_url)
            self._check_exportable(client, run)
            export = self._reuse_earlier_export(client, store, run.plan_id)
            if export is None:
                try:
                    export = client.create_or_reuse_plan_export(run.plan_id)
                except TfcError as exc:
                    raise _error(exc, f"creating the plan export of run {run_id}") from exc
                if store is not None:
                    store.set(STATE_EXPORT_ID, export.id)
                self.log.info("plan export %s of plan %s is %s", export.id, run.plan_id, export.status)
            ti.xcom_push(key=XCOM_EXPORT_ID, value=export.id)
        return export.id

    def _run_url(self, hook: TerraformCloudHook, client: TfcClient, run: Run) -> str | None:
        """The run's app URL for the extra link; unknown is fine (it only costs the link)."""
        from tfc_sentinel.tfc import TfcError

        if not run.workspace_id:
            return None
        try:
            workspace = client.get_workspace_by_id(run.workspace_id)
        except TfcError as exc:
            self.log.warning(
                "no link to run %s: reading workspace %s failed: %s", run.id, run.workspace_id, exc
            )
            return None
        organization = workspace.organization or hook.organization
        if not organization or not workspace.name:
            return None
        return hook.run_url(organization, workspace.name, run.id)

    def _check_exportable(self, client: TfcClient, run: Run) -> None:
        from tfc_sentinel.tfc import TfcError

        assert run.plan_id is not None
        try:
            plan = client.get_plan(run.plan_id)
        except TfcError as exc:
            raise _error(exc, f"reading plan {run.plan_id} of run {run.id}") from exc
        blocker = plan.export_blocker()
        if blocker is None:
            return
        if plan.status != "finished" and not plan.is_final:
            raise AirflowException(f"Terraform run {run.id} cannot be exported yet: {blocker}")
        raise AirflowFailException(f"Terraform run {run.id} cannot be exported: {blocker}")

    def _reuse_earlier_export(self, client: TfcClient, store: Any, plan_id: str) -> PlanExport | None:
        """The export an earlier try of this task created, if it is still live; else None.

        A stored export that is no longer usable (errored, canceled, expired, other plan) was ours, so it
        is deleted here rather than left for nobody to clean up.
        """
        from tfc_sentinel.tfc import NotFoundError, TfcError

        prior = store.get(STATE_EXPORT_ID) if store is not None else None
        if not isinstance(prior, str) or not prior:
            return None
        try:
            export = client.get_plan_export(prior)
        except NotFoundError:
            self.log.info("plan export %s from an earlier try is gone; creating a new one", prior)
            return None
        except TfcError as exc:
            raise _error(exc, f"reading plan export {prior} from an earlier try") from exc
        if export.is_live and export.plan_id in (plan_id, None):
            self.log.info("reusing plan export %s (%s) from an earlier try", export.id, export.status)
            return export
        self.log.info("plan export %s from an earlier try is %s; replacing it", export.id, export.status)
        _delete_quietly(client, export.id, self.log)
        return None


def bundle_storage_root(storage: str | ObjectStoragePath | None = None) -> ObjectStoragePath:
    """Where bundles go: ``storage``, else ``[tfc_sentinel] bundle_storage``, else
    ``$AIRFLOW_HOME/tfc-sentinel/bundles``. A plain path means the local file system."""
    import os

    from airflow.sdk import ObjectStoragePath, conf

    if storage is None or (isinstance(storage, str) and not storage.strip()):
        storage = conf.get(STORAGE_SECTION, STORAGE_OPTION, fallback=None) or None
    if storage is None:
        home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
        storage = os.path.join(home, "tfc-sentinel", "bundles")
    if isinstance(storage, ObjectStoragePath):
        return storage
    text = str(storage).strip()
    if "://" not in text:
        text = "file://" + os.path.abspath(os.path.expanduser(text))
    return ObjectStoragePath(text)


# ``[tfc_sentinel]`` options for unpacking bundles -> the UnpackLimits field each sets.
UNPACK_LIMIT_OPTIONS = {
    "max_bundle_bytes": "max_total_bytes",
    "max_bundle_files": "max_members",
    "max_member_bytes": "max_member_bytes",
    "max_ratio": "max_ratio",
}


def bundle_unpack_limits(limits: UnpackLimits | Mapping[str, int] | None = None) -> UnpackLimits:
    """The limits for unpacking a downloaded bundle.

    Each limit comes from ``limits`` (an ``UnpackLimits``, or a dict of some of its fields), else from
    the ``[tfc_sentinel]`` options ``max_bundle_bytes`` (all members together), ``max_bundle_files``,
    ``max_member_bytes`` and ``max_ratio`` (expansion over the compressed size; 0 = off), else the
    defaults of :class:`~tfc_sentinel.bundle.UnpackLimits`. Values are whole numbers (``_`` allowed);
    a bad one fails the task (a retry cannot fix configuration) with a message naming it.
    """
    from airflow.sdk import conf

    from tfc_sentinel.bundle import UnpackLimits

    if isinstance(limits, UnpackLimits):
        return limits
    chosen: dict[str, Any] = {}
    for option, field in UNPACK_LIMIT_OPTIONS.items():
        raw = conf.get(STORAGE_SECTION, option, fallback=None)
        if raw is None or not str(raw).strip():
            continue
        try:
            chosen[field] = int(str(raw).strip().replace("_", ""))
        except ValueError:
            raise AirflowFailException(
                f"[{STORAGE_SECTION}] {option} = {raw!r} is not a whole number; set it to a number "
                f"({'a multiple of the compressed size' if option == 'max_ratio' else 'bytes or files'}) "
                "or remove it to use the default"
            ) from None
    chosen.update(limits or {})
    try:
        return UnpackLimits(**chosen)
    except (TypeError, ValueError) as exc:
        raise AirflowFailException(f"bundle unpack limits: {exc}") from None


def _is_local(path: ObjectStoragePath) -> bool:
    return path.protocol in ("file", "local", "")


def _segment(value: str) -> str:
    """A DAG or DAG-run ID as one safe path segment (manual run IDs carry ':' and '+')."""
    return _UNSAFE_SEGMENT.sub("_", value).strip("._") or "_"


class DownloadBundleOperator(BaseOperator):
    """Download a finished plan export's bundle to storage, unpack it safely, return its location.

    Layout under the storage root: ``<dag_id>/<dag_run_id>/bundle.tar.gz`` and ``…/bundle/`` (the
    unpacked mocks and ``sentinel.hcl``). Remote storage (``s3://``, ``gs://``, …) gets both through a
    local temporary directory, because unpacking checks every member on local disk first.

    An export that expired before the download (they live one hour) is replaced once: a new export of
    the same plan is created, awaited synchronously for at most ``reexport_timeout`` seconds, and
    downloaded; its ID goes to XCom ``export_id`` so the teardown deletes it.

    :param export_id: the finished export (``pe-…``); templated.
    :param storage: storage root (path, URL or ``ObjectStoragePath``); templated. See
        :func:`bundle_storage_root` for the default.
    :param plan_id: the plan, for a re-export when the export no longer names it; templated.
    :param unpack_limits: limits for unpacking (an ``UnpackLimits`` or a dict of its fields); what is
        not given comes from the ``[tfc_sentinel]`` configuration, see :func:`bundle_unpack_limits`.
    """

    template_fields: Sequence[str] = ("export_id", "storage", "plan_id")
    ui_color = "#e9e4f7"

    def __init__(
        self,
        *,
        export_id: str,
        storage: str | ObjectStoragePath | None = None,
        plan_id: str | None = None,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        reexport_timeout: float = 300.0,
        poll_interval: float = 2.0,
        unpack_limits: UnpackLimits | Mapping[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.export_id = export_id
        self.storage = storage
        self.plan_id = plan_id
        self.tfc_conn_id = tfc_conn_id
        self.reexport_timeout = reexport_timeout
        self.unpack_limits = unpack_limits
        self.poll_interval = poll_interval

    def execute(self, context: Context) -> str:
        from tfc_sentinel.tfc import NotFoundError, TfcError

        export_id = _export_id(self.export_id, "the export to download")
        target = (
            bundle_storage_root(self.storage) / _segment(context["dag"].dag_id) / _segment(context["run_id"])
        )
        with _hook(self.tfc_conn_id).get_client() as client:
            try:
                export = client.get_plan_export(export_id)
                if export.status == "finished":
                    try:
                        return self._fetch(client, export.id, target)
                    except NotFoundError:  # expired between the two calls: look again
                        export = client.get_plan_export(export_id)
                        if export.status != "expired":
                            raise
                if export.status != "expired":
                    self._refuse(export)
                replacement = self._reexport(client, context, export)
                return self._fetch(client, replacement.id, target)
            except TfcError as exc:
                raise _error(exc, f"downloading the bundle of plan export {export_id}") from exc

    @staticmethod
    def _refuse(export: PlanExport) -> None:
        from tfc_sentinel.tfc.calls import require_finished

        if export.is_waiting:
            raise AirflowException(
                f"plan export {export.id} is still {export.status!r}: wait for it to finish first "
                "(put PlanExportSensor before this task)"
            )
        require_finished(export)  # raises PlanExportFailedError with the export's own message

    def _reexport(self, client: TfcClient, context: Context, expired: PlanExport) -> PlanExport:
        """Replace an expired export once (reusing this task's earlier replacement on a retry), record
        it for the teardown, and wait for it within ``reexport_timeout``."""
        store = context.get("task_state_store")
        export = self._earlier_reexport(client, store)
        if export is None:
            plan_id = expired.plan_id or (self.plan_id if self.plan_id not in _MISSING else None)
            if not plan_id:
                raise AirflowFailException(
                    f"plan export {expired.id} expired before download and names no plan to export again; "
                    "pass plan_id (the create task's 'plan_id' XCom)"
                )
            self.log.warning(
                "plan export %s expired before download; exporting plan %s again", expired.id, plan_id
            )
            export = client.create_or_reuse_plan_export(plan_id)
            if store is not None:
                store.set(STATE_REEXPORT_ID, export.id)
        context["ti"].xcom_push(key=XCOM_EXPORT_ID, value=export.id)  # XCom is cleared at each try
        return client.wait_for_plan_export(export.id, self.reexport_timeout, self.poll_interval)

    def _earlier_reexport(self, client: TfcClient, store: Any) -> PlanExport | None:
        from tfc_sentinel.tfc import NotFoundError

        prior = store.get(STATE_REEXPORT_ID) if store is not None else None
        if not isinstance(prior, str) or not prior:
            return None
        try:
            export = client.get_plan_export(prior)
        except NotFoundError:
            return None
        if not export.is_live:
            return None
        self.log.info("reusing re-export %s from an earlier try", export.id)
        return export

    def _fetch(self, client: TfcClient, export_id: str, target: ObjectStoragePath) -> str:
        """Download, unpack and check the bundle; return the unpacked directory's location."""
        from tfc_sentinel.bundle import (
            ArchiveTooLargeError,
            Bundle,
            BundleError,
            TooManyMembersError,
            unpack_bundle,
        )

        limits = bundle_unpack_limits(self.unpack_limits)

        try:
            if _is_local(target):
                local = Path(target.path)
                local.mkdir(parents=True, exist_ok=True)
                _remove_leftovers(local, self.log)
                try:
                    archive = client.download_plan_export(export_id, local / "bundle.tar.gz")
                    bundle = Bundle.load(unpack_bundle(archive, local / "bundle", limits, overwrite=True))
                except BundleError:
                    # Unusable, maybe hostile: keep neither the archive nor a bundle that does not load,
                    # so nothing in storage looks like a result.
                    (local / "bundle.tar.gz").unlink(missing_ok=True)
                    shutil.rmtree(local / "bundle", ignore_errors=True)
                    raise
                self.log.info("%s", bundle.describe())
                return str(target / "bundle")
            with tempfile.TemporaryDirectory(prefix="tfc-sentinel-") as tmp:
                archive = client.download_plan_export(export_id, Path(tmp) / "bundle.tar.gz")
                bundle = Bundle.load(unpack_bundle(archive, Path(tmp) / "bundle", limits))
                self.log.info("%s", bundle.describe())
                _upload(Path(tmp), target)
            return str(target / "bundle")
        except BundleError as exc:
            hint = ""
            if isinstance(exc, (ArchiveTooLargeError, TooManyMembersError)):
                hint = (
                    f". In Airflow the limits are the [{STORAGE_SECTION}] options "
                    f"{', '.join(UNPACK_LIMIT_OPTIONS)} (or this operator's unpack_limits)"
                )
            raise AirflowFailException(
                f"the bundle of plan export {export_id} is unusable: {exc}{hint}"
            ) from exc


_LEFTOVERS = (".bundle.tar.gz.*.part", ".bundle.*.unpacking", ".bundle.*.old")


def _remove_leftovers(folder: Path, log: Any) -> None:
    """Remove the temporary files of an earlier try that died mid-download or mid-unpack.

    Downloads and unpacking write to hidden temporary names and rename into place, so a failure never
    leaves a partial bundle under the real names; but a worker killed outright (SIGKILL, OOM, a lost
    node) cannot remove its temporary file. The folder is this DAG run's and only this task writes
    there, so anything matching is a dead try's: the retry clears it before starting.
    """
    for pattern in _LEFTOVERS:
        for stale in folder.glob(pattern):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
            log.info("removed %s, left by an earlier try that did not finish", stale.name)


def _upload(local: Path, target: ObjectStoragePath) -> None:
    """Copy the archive and the unpacked files to remote storage, replacing an earlier try's copy."""
    remote_bundle = target / "bundle"
    if remote_bundle.exists():
        remote_bundle.fs.rm(remote_bundle.path, recursive=True)
    for path in sorted(local.rglob("*")):
        if not path.is_file():
            continue
        destination = target / path.relative_to(local).as_posix()
        destination.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as source, destination.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)


class DeletePlanExportOperator(BaseOperator):
    """Delete the run's plan exports; meant as a teardown (``.as_teardown(setups=create)``).

    Deletes ``export_id`` plus the ``export_id`` XCom of each task in ``source_task_ids``. When none is
    recorded but a source task recorded ``plan_id`` (it failed between creating and recording), every
    live export of that plan found through ``relationships.exports`` is deleted. An export that is
    already gone counts as deleted. Returns the IDs this task deleted.

    :param export_id: an explicit export (``pe-…``); templated; empty or ``None`` is ignored.
    :param source_task_ids: tasks whose ``export_id``/``plan_id`` XComs name the exports.
    """

    template_fields: Sequence[str] = ("export_id",)
    ui_color = "#f7e4e4"

    def __init__(
        self,
        *,
        export_id: str | None = None,
        source_task_ids: Sequence[str] = (),
        tfc_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.export_id = export_id
        self.source_task_ids = list(source_task_ids)
        self.tfc_conn_id = tfc_conn_id

    def _recorded(self, context: Context, key: str) -> list[str]:
        ti = context["ti"]
        found = []
        for task_id in self.source_task_ids:
            value = ti.xcom_pull(task_ids=task_id, key=key)
            if isinstance(value, str) and value not in _MISSING:
                found.append(value)
        return found

    def execute(self, context: Context) -> list[str]:
        from tfc_sentinel.tfc import TfcError

        candidates = [self.export_id] if isinstance(self.export_id, str) else []
        candidates += self._recorded(context, XCOM_EXPORT_ID)
        export_ids = list(
            dict.fromkeys(_export_id(v, "export to delete") for v in candidates if v not in _MISSING)
        )
        plan_ids = [] if export_ids else list(dict.fromkeys(self._recorded(context, XCOM_PLAN_ID)))
        if not export_ids and not plan_ids:
            self.log.info("no plan export was recorded for this run: nothing to delete")
            return []
        deleted: list[str] = []
        failures: list[Exception] = []
        with _hook(self.tfc_conn_id).get_client() as client:
            for plan_id in plan_ids:
                try:
                    export_ids += self._live_exports_of(client, plan_id)
                except TfcError as exc:
                    failures.append(_error(exc, f"listing the exports of plan {plan_id}"))
            for export_id in export_ids:
                try:
                    if client.delete_plan_export(export_id):
                        self.log.info("deleted plan export %s", export_id)
                        deleted.append(export_id)
                    else:
                        self.log.info("plan export %s was already gone", export_id)
                except TfcError as exc:
                    failures.append(_error(exc, f"deleting plan export {export_id}"))
        if failures:
            retryable = all(not isinstance(f, AirflowFailException) for f in failures)
            message = "; ".join(str(f) for f in failures)
            raise AirflowException(message) if retryable else AirflowFailException(message)
        return deleted

    def _live_exports_of(self, client: TfcClient, plan_id: str) -> list[str]:
        from tfc_sentinel.tfc import NotFoundError

        live = []
        for export_id in client.get_plan(plan_id).export_ids:
            try:
                export = client.get_plan_export(export_id)
            except NotFoundError:
                continue
            if export.is_live or export.status in ("errored", "canceled"):
                live.append(export.id)
        self.log.info("no export ID was recorded; plan %s has exports %s", plan_id, live or "none")
        return live
