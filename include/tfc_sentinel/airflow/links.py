"""The "Terraform run" button on a task: opens the run in the Terraform Cloud UI.

The worker calls ``get_link`` at the end of every run segment (also one ending in deferral or failure)
and stores the answer as XCom ``_link_TerraformRunLink``; the api-server shows that. The URL comes from
the ``run_url`` XCom that ``CreatePlanExportOperator`` pushes before anything waits, so the button works
even when a later step fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

XCOM_RUN_URL = "run_url"


class TerraformRunLink(BaseOperatorLink):
    """Link to the Terraform run whose plan the task exports; empty when the URL is not known (yet)."""

    name = "Terraform run"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        try:
            from airflow.sdk.execution_time.xcom import XCom

            url = XCom.get_value(ti_key=ti_key, key=XCOM_RUN_URL)
        except Exception:  # a link must never break the task or the page
            return ""
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
