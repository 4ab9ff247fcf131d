"""Sentinel policy check of one Terraform run: export its plan's mock bundle, download it, delete the export.

Trigger it with conf ``{"run_id": "run-…"}`` and the DAG run ID ``tfc-<run-id>`` (one DAG run per
Terraform run: the REST API answers 409 to a duplicate, so a repeated notification does nothing).

Tasks, in order:

1. ``create_export``: resolves run → plan, creates or reuses the plan export, records ``plan_id``,
   ``run_url`` (the "Terraform run" link) and ``export_id`` in XCom before anything waits.
2. ``wait_for_export``: deferred sensor; no worker slot is held while Terraform Cloud builds the bundle.
3. ``download_bundle``: streams the archive to bundle storage, unpacks it safely, returns the bundle
   directory's location (re-exports once if the export expired first).
4. ``delete_export``: teardown; runs whatever happened before and deletes every export the run made.

Policy evaluation goes between ``download_bundle`` and ``delete_export``: it takes the bundle location
(``download_bundle``'s return value) and is appended to ``pipeline`` below.

Only operator wiring lives here: the HTTP client and bundle code load when tasks run, so parsing this
file costs about what an empty DAG costs.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain

from tfc_sentinel.airflow.operators import (
    RUN_ID_PATTERN,
    CreatePlanExportOperator,
    DeletePlanExportOperator,
    DownloadBundleOperator,
)
from tfc_sentinel.airflow.sensors import PlanExportSensor

CONN_ID = "tfc_default"

with DAG(
    dag_id="tfc_policy_check",
    description="Export a Terraform run's Sentinel mock bundle and check it against policies",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["terraform", "sentinel"],
    params={
        "run_id": Param(
            type="string",
            pattern=RUN_ID_PATTERN,
            title="Terraform run ID",
            description="The run to check, e.g. run-9xTq2LmE4bVd1aHs (from the run's URL).",
        )
    },
) as dag:
    create = CreatePlanExportOperator(
        task_id="create_export", run_id="{{ params.run_id }}", tfc_conn_id=CONN_ID, retries=2
    )
    wait = PlanExportSensor(
        task_id="wait_for_export", export_id=create.output, tfc_conn_id=CONN_ID, poke_interval=5, timeout=1800
    )
    download = DownloadBundleOperator(
        task_id="download_bundle",
        export_id=wait.output,
        plan_id="{{ ti.xcom_pull(task_ids='create_export', key='plan_id') }}",
        tfc_conn_id=CONN_ID,
        retries=2,
    )
    pipeline = [create, wait, download]
    # A teardown without a setup runs once everything upstream is done, even when create_export failed
    # after creating the export; it does not decide the DAG run's state.
    delete = DeletePlanExportOperator(
        task_id="delete_export",
        source_task_ids=[create.task_id, download.task_id],
        tfc_conn_id=CONN_ID,
        retries=3,
    ).as_teardown()
    chain(*pipeline, delete)
