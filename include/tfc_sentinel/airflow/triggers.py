"""The trigger that waits for a plan export in the triggerer, so no worker slot is held meanwhile.

It is rebuilt from ``serialize()`` after every triggerer restart, so its deadline is absolute
(``end_time``, epoch seconds) and its kwargs are plain JSON. It yields exactly one event:

=============  ==============================================================  ===========================
``status``     meaning                                                         extra keys
=============  ==============================================================  ===========================
``finished``   the bundle is ready to download                                 (none)
``errored``    Terraform Cloud could not build it                              ``message``
``canceled``   someone canceled the export                                     ``message``
``expired``    it finished and expired before anyone noticed                   ``message``
``timeout``    ``end_time`` passed while it was still being built              ``message``, ``last_status``
``error``      the trigger itself failed (bad token, export gone, network…)    ``message``, ``retryable``
=============  ==============================================================  ===========================

Every event also carries ``export_id``. The trigger never deletes the export on its own: ``cleanup()``
runs on triggerer restarts too, and a restarted trigger must find the export still there. Only
``on_kill()`` (a user marked the task failed/success or cleared it) deletes it, best effort.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from tfc_sentinel.tfc import AsyncTfcClient

EXPORT_ID = re.compile(r"^pe-[A-Za-z0-9]+$")
TERMINAL_STATUSES = ("finished", "errored", "canceled", "expired")
EVENT_STATUSES = frozenset({*TERMINAL_STATUSES, "timeout", "error"})
ON_KILL_TIMEOUT = 30.0


def check_export_id(export_id: Any) -> str:
    """Refuse anything but a plan export ID: it goes into URLs and into trigger kwargs."""
    if not isinstance(export_id, str) or not EXPORT_ID.match(export_id):
        raise ValueError(f"{export_id!r} is not a plan export ID (expected 'pe-' followed by letters/digits)")
    return export_id


class PlanExportTrigger(BaseTrigger):
    """Poll ``GET /plan-exports/:id`` with the async client until it is final or ``end_time`` passes.

    :param export_id: the plan export (``pe-…``).
    :param conn_id: the ``terraform_cloud`` connection.
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the trigger gives up with a ``timeout`` event.
    """

    def __init__(self, export_id: str, conn_id: str, poll_interval: float, end_time: float) -> None:
        super().__init__()
        self.export_id = check_export_id(export_id)
        if not isinstance(conn_id, str) or not conn_id:
            raise ValueError(f"conn_id must be a connection ID, not {conn_id!r}")
        for name, value in (("poll_interval", poll_interval), ("end_time", end_time)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        self.conn_id = conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)
        self._client: AsyncTfcClient | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "export_id": self.export_id,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
            },
        )

    def _event(self, status: str, **extra: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "export_id": self.export_id, **extra})

    async def _open_client(self) -> AsyncTfcClient:
        from tfc_sentinel.airflow.hooks import TerraformCloudHook

        self._client = await TerraformCloudHook(self.conn_id).get_async_client()
        return self._client

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            event = await self._wait()
        except Exception as exc:  # one terminal event whatever happens; CancelledError passes through
            from tfc_sentinel.airflow.hooks import TerraformCloudHook

            self.log.warning("waiting for plan export %s failed: %s", self.export_id, exc)
            event = self._event(
                "error",
                message=f"waiting for plan export {self.export_id} failed: {exc}",
                retryable=TerraformCloudHook.is_retryable(exc),
            )
        finally:
            await self._close_client()
        yield event

    async def _wait(self) -> TriggerEvent:
        from tfc_sentinel.tfc.calls import require_finished
        from tfc_sentinel.tfc.errors import PlanExportFailedError

        client = await self._open_client()
        while True:
            export = await client.get_plan_export(self.export_id)
            if export.status in TERMINAL_STATUSES:
                self.log.info("plan export %s is %s", export.id, export.status)
                if export.status == "finished":
                    return self._event("finished")
                try:
                    require_finished(export)
                except PlanExportFailedError as failure:
                    return self._event(export.status, message=str(failure))
            remaining = self.end_time - time.time()
            if remaining <= 0:
                return self._event(
                    "timeout",
                    last_status=export.status,
                    message=f"plan export {export.id} was still {export.status!r} when the sensor's "
                    "timeout passed",
                )
            await asyncio.sleep(min(self.poll_interval, remaining))

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def cleanup(self) -> None:
        """Release the HTTP session; never touch the export (this also runs on triggerer restarts)."""
        await self._close_client()

    async def on_kill(self) -> None:
        """A user killed the deferred task: delete the export, best effort, within a bounded time."""
        from tfc_sentinel.airflow.hooks import TerraformCloudHook

        try:
            async with asyncio.timeout(ON_KILL_TIMEOUT):
                async with await TerraformCloudHook(self.conn_id).get_async_client() as client:
                    deleted = await client.delete_plan_export(self.export_id)
            self.log.info("plan export %s %s", self.export_id, "deleted" if deleted else "was already gone")
        except Exception as exc:
            self.log.warning("could not delete plan export %s on kill: %s", self.export_id, exc)
