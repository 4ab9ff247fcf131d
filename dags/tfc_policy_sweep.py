"""Every 15 minutes: find new Terraform runs with finished, exportable plans and check each one once.

For every run found, ``tfc_policy_check`` is triggered with DAG run ID ``tfc-<run-id>`` and conf
``{"run_id": "<run-id>"}``. A run that already has such a DAG run counts as checked and is skipped, so a
run never gets two checks (clear the existing DAG run to check it again).

Which workspaces: the Params below, else the Variable ``tfc_sentinel_sweep`` (JSON with the same keys:
``{"organization": "acme-corp", "tags": ["prod"]}``), else every workspace of the ``tfc_default``
connection's organization. Watermarks live in the Variable ``tfc_sentinel_sweep_watermarks``, written
only when a sweep succeeded. Logic: ``tfc_sentinel.airflow.sweep``.

Tasks: ``find_runs`` → ``trigger_check`` (mapped over the runs found; none found = skipped; an
existing DAG run = skipped) → ``save_watermark`` (runs unless a trigger failed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param

from tfc_sentinel.airflow.sweep import (
    CHECK_DAG_ID,
    FindRunsToCheckOperator,
    SaveSweepStateOperator,
    TriggerPolicyCheckOperator,
)

CONN_ID = "tfc_default"

with DAG(
    dag_id="tfc_policy_sweep",
    description="Find new Terraform runs and trigger tfc_policy_check once per run",
    schedule="*/15 * * * *",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,  # two sweeps at once would race on the watermark Variable
    dagrun_timeout=timedelta(minutes=14),
    render_template_as_native_obj=True,  # list Params reach the operator as lists
    doc_md=__doc__,
    tags=["terraform", "sentinel"],
    params={
        "organization": Param(
            None,
            type=["null", "string"],
            title="Organization",
            description="Empty: the Variable tfc_sentinel_sweep, else the connection's organization.",
        ),
        "workspaces": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            title="Workspace names",
            description="Sweep only these workspaces.",
        ),
        "tags": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            title="Workspace tags",
            description="Sweep the workspaces carrying all these tags (when no names are given).",
        ),
        "since": Param(
            None,
            type=["null", "string"],
            title="Since",
            description="ISO 8601 timestamp overriding the stored watermarks (re-sweep a period).",
        ),
    },
) as dag:
    find = FindRunsToCheckOperator(
        task_id="find_runs",
        organization="{{ params.organization }}",
        workspaces="{{ params.workspaces }}",
        tags="{{ params.tags }}",
        since="{{ params.since }}",
        tfc_conn_id=CONN_ID,
        retries=2,
    )
    trigger = TriggerPolicyCheckOperator.partial(
        task_id="trigger_check",
        check_dag_id=CHECK_DAG_ID,
        map_index_template="{{ task.tfc_run_id }}",
        retries=2,
    ).expand(tfc_run_id=find.output)
    save = SaveSweepStateOperator(
        task_id="save_watermark", find_task_id=find.task_id, trigger_rule="none_failed"
    )
    find >> trigger >> save
