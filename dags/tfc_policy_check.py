"""Sentinel policy check of one Terraform run: export its plan's mock bundle, check it, delete the export.

Trigger it with conf ``{"run_id": "run-…"}`` and the DAG run ID ``tfc-<run-id>`` (one DAG run per
Terraform run: the REST API answers 409 to a duplicate, so a repeated notification does nothing, and
``tfc_policy_sweep`` skips runs that already have one).

Params: ``run_id`` (required, ``run-…``), ``policy_set`` (a folder with ``sentinel.hcl``, a storage URL or
an example set's name; empty = ``[tfc_sentinel] policy_set`` or the example set ``aws-baseline``),
``engine`` (``builtin`` or ``sentinel``), ``fail_on`` (``hard-mandatory``, ``soft-mandatory``,
``never``), ``run_tests`` (also run the set's own test cases), ``post_comment`` (comment on the
Terraform run with the Markdown report; empty = ``[tfc_sentinel] post_comments``, off by default),
``run_task`` (set only by the run-task webhook receiver: the task result to report to, its access token
sealed with the Fernet key; see ``tfc_sentinel.airflow.runtasks``).

Tasks, in order:

1. ``create_export``: resolves run → plan, creates or reuses the plan export, records ``plan_id``,
   ``run_url`` (the "Terraform run" link) and ``export_id`` in XCom before anything waits.
2. ``wait_for_export``: deferred sensor; no worker slot is held while Terraform Cloud builds the bundle.
3. ``download_bundle``: streams the archive to bundle storage, unpacks it safely, returns the bundle
   directory's location (re-exports once if the export expired first).
4. ``run_policies``: evaluates the policy set against the bundle, writes the reports (JSON, JUnit, HTML,
   Markdown) next to it, returns a small summary, fails at ``fail_on``.
5. ``post_comment``: teardown; posts the Markdown report as a run comment, once, when switched on.
6. ``delete_export``: teardown; runs whatever happened before (a failed policy check included) and
   deletes every export the run made.
7. ``report_run_task``: teardown; in DAG runs started by a Terraform Cloud run task, sends the verdict
   (passed/failed, one outcome per policy) to the task's callback URL; skips otherwise.
8. ``run_task_watchdog``: runs beside the pipeline in run-task DAG runs; sends ``running`` while the
   check takes long and ``failed`` before Terraform Cloud's 10-minute limit; skips otherwise.

Only operator wiring lives here: the HTTP client, the engine and the bundle code load when tasks run,
so parsing this file costs about what an empty DAG costs.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain

from tfc_sentinel.airflow.comments import PostRunCommentOperator
from tfc_sentinel.airflow.operators import (
    RUN_ID_PATTERN,
    CreatePlanExportOperator,
    DeletePlanExportOperator,
    DownloadBundleOperator,
)
from tfc_sentinel.airflow.policies import (
    DEFAULT_FAIL_ON,
    ENGINE_CHOICES,
    FAIL_ON_CHOICES,
    RunPoliciesOperator,
)
from tfc_sentinel.airflow.runtasks import ReportRunTaskResultOperator, RunTaskWatchdogOperator
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
        ),
        "policy_set": Param(
            None,
            type=["null", "string"],
            title="Policy set",
            description="Folder with sentinel.hcl, storage URL (s3://…) or example set name "
            "(aws-baseline, azure-gcp-baseline). Empty: [tfc_sentinel] policy_set, else aws-baseline.",
        ),
        "engine": Param(
            "builtin",
            enum=list(ENGINE_CHOICES),
            title="Engine",
            description="builtin (pure Python) or sentinel (HashiCorp binary, [tfc_sentinel] sentinel_binary).",
        ),
        "fail_on": Param(
            DEFAULT_FAIL_ON,
            enum=list(FAIL_ON_CHOICES),
            title="Fail the check at",
            description="Lowest enforcement level whose failure fails the run_policies task.",
        ),
        "run_tests": Param(
            False,
            type="boolean",
            title="Run the set's tests",
            description="Also run the policy set's own test cases.",
        ),
        "post_comment": Param(
            None,
            type=["null", "boolean"],
            title="Post results to Terraform Cloud",
            description="Comment on the run with the Markdown report. Empty: [tfc_sentinel] post_comments "
            "(off by default).",
        ),
        "run_task": Param(
            None,
            type=["null", "object"],
            title="Run task (set by the webhook receiver)",
            description="Leave empty. The run-task receiver sets it: the task result to report the verdict "
            "to, with its access token sealed by Airflow's Fernet key.",
        ),
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
    policies = RunPoliciesOperator(
        task_id="run_policies",
        bundle=download.output,
        policy_set="{{ params.policy_set }}",
        engine="{{ params.engine }}",
        fail_on="{{ params.fail_on }}",
        run_tests="{{ params.run_tests }}",
        tfc_run_id="{{ params.run_id }}",
        run_url="{{ ti.xcom_pull(task_ids='create_export', key='run_url') }}",
    )
    # A teardown too, so a failed check is still reported; it skips when commenting is off.
    comment = PostRunCommentOperator(
        task_id="post_comment",
        tfc_run_id="{{ params.run_id }}",
        enabled="{{ params.post_comment }}",
        tfc_conn_id=CONN_ID,
        retries=2,
    ).as_teardown()
    policies >> comment
    pipeline = [create, wait, download, policies]
    # A teardown without a setup runs once everything upstream is done, even when create_export failed
    # after creating the export or run_policies failed the check; it does not decide the DAG run's state.
    delete = DeletePlanExportOperator(
        task_id="delete_export",
        source_task_ids=[create.task_id, download.task_id],
        tfc_conn_id=CONN_ID,
        retries=3,
    ).as_teardown()
    chain(*pipeline, delete)
    # Run-task DAG runs only (both skip at once otherwise). The report is a teardown for the same reason
    # as post_comment: a check that failed or could not run must still be reported, and the DAG run's
    # state stays the check's. If the report cannot be delivered, the watchdog (a normal task) tries a
    # last "failed" and fails, so the DAG run shows it.
    report = ReportRunTaskResultOperator(
        task_id="report_run_task",
        run_task="{{ params.run_task | tojson }}",
        tfc_conn_id=CONN_ID,
        retries=2,
        retry_delay=10,
    ).as_teardown()
    policies >> report
    RunTaskWatchdogOperator(
        task_id="run_task_watchdog", run_task="{{ params.run_task | tojson }}", tfc_conn_id=CONN_ID
    )
