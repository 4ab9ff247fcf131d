"""Wait for a plan export to finish, deferred by default so no worker slot is held meanwhile.

Deferred, the wait has an absolute deadline (``now + timeout``) carried by the trigger, and the task is
deferred with ``timeout=None``: a framework deferral timeout would fail the task without calling
``execute_complete``, and the export would leak. Instead the trigger reports ``timeout`` and
``execute_complete`` deletes the export before failing with ``AirflowSensorTimeout``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from tfc_sentinel.airflow.hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

FAILED_STATUSES = frozenset({"errored", "canceled", "expired"})


class PlanExportSensor(BaseSensorOperator):
    """Succeed when the plan export is ``finished``; return its ID.

    Fails at once (no retries) when the export ends ``errored``, ``canceled`` or ``expired``, with the
    export's own error message. On timeout it deletes the export, then raises ``AirflowSensorTimeout``.

    :param export_id: the plan export (``pe-…``); templated.
    :param tfc_conn_id: the ``terraform_cloud`` connection.
    :param deferrable: wait in the triggerer (default). ``False`` uses ``mode`` (``poke`` or
        ``reschedule``) like any sensor. Deferred by default although ``[operators] default_deferrable``
        defaults to false: an export takes seconds to minutes, and a deployment without a triggerer
        should pass ``deferrable=False`` explicitly.
    :param poke_interval: seconds between checks (also the trigger's poll interval).
    :param timeout: seconds to wait in total before giving up.
    """

    template_fields: Sequence[str] = ("export_id",)
    ui_color = "#e9e4f7"

    def __init__(
        self,
        *,
        export_id: str,
        tfc_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = True,
        poke_interval: float = 5.0,
        timeout: float = 1800.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.export_id = export_id
        self.tfc_conn_id = tfc_conn_id
        self.deferrable = deferrable

    def _checked_export_id(self) -> str:
        from tfc_sentinel.airflow.triggers import check_export_id

        try:
            return check_export_id(
                self.export_id.strip() if isinstance(self.export_id, str) else self.export_id
            )
        except ValueError as exc:
            raise AirflowFailException(f"the export to wait for: {exc}") from None

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from tfc_sentinel.airflow.hooks import TerraformCloudHook, task_error
        from tfc_sentinel.tfc import TfcError
        from tfc_sentinel.tfc.calls import require_finished

        export_id = self._checked_export_id()
        try:
            with TerraformCloudHook(self.tfc_conn_id).get_client() as client:
                export = client.get_plan_export(export_id)
            if export.status == "finished":
                return PokeReturnValue(is_done=True, xcom_value=export.id)
            if export.status in FAILED_STATUSES:
                require_finished(export)  # raises with the export's message and what to do
        except TfcError as exc:
            raise task_error(exc, f"waiting for plan export {export_id}") from exc
        self.log.info("plan export %s is %s", export.id, export.status)
        return False

    def execute(self, context: Context) -> Any:
        from tfc_sentinel.airflow.triggers import PlanExportTrigger

        export_id = self._checked_export_id()
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout:
                self._delete_export("the sensor timed out")
                raise
        if self.poke(context):  # finished already: no trip through the triggerer
            return export_id
        self.defer(
            trigger=PlanExportTrigger(
                export_id=export_id,
                conn_id=self.tfc_conn_id,
                poll_interval=self.poke_interval,
                end_time=time.time() + self.timeout,
            ),
            method_name="execute_complete",
            timeout=None,
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> str:
        """Resume after the trigger's one event: return the ID, or fail saying why."""
        from tfc_sentinel.airflow.triggers import EVENT_STATUSES

        if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
            raise AirflowException(f"the plan export trigger sent an unexpected event: {event!r}")
        export_id = self._checked_export_id()
        if event.get("export_id") != export_id:
            raise AirflowException(
                f"the plan export trigger reported on {event.get('export_id')!r}, not on {export_id!r}"
            )
        status = event["status"]
        message = str(event.get("message") or f"plan export {export_id} ended {status!r}")
        if status == "finished":
            self.log.info("plan export %s finished", export_id)
            return export_id
        if status in FAILED_STATUSES:
            raise AirflowFailException(message)
        if status == "timeout":
            self._delete_export("the sensor timed out")
            raise AirflowSensorTimeout(f"{message}; the export was deleted")
        if event.get("retryable"):
            raise AirflowException(message)
        raise AirflowFailException(message)

    def _delete_export(self, why: str) -> None:
        """Best effort: the teardown task is the second safety net."""
        from tfc_sentinel.airflow.hooks import TerraformCloudHook

        try:
            with TerraformCloudHook(self.tfc_conn_id).get_client() as client:
                gone = not client.delete_plan_export(self._checked_export_id())
            self.log.info(
                "%s: plan export %s %s", why, self.export_id, "was already gone" if gone else "deleted"
            )
        except Exception as exc:
            self.log.warning("%s; could not delete plan export %s: %s", why, self.export_id, exc)

    def on_kill(self) -> None:
        self._delete_export("the sensor was killed")
