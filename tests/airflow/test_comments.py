"""Posting the results back to Terraform Cloud: ``PostRunCommentOperator`` in the real pipeline.

The DAG is ``tfc_policy_check`` from its file (its ``post_comment`` teardown follows ``run_policies``),
run with ``dag.test()`` against the emulator; the comments are read back through the API.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

import pytest

from tests.airflow.conftest import DAGS_FOLDER
from tfc_sentinel.emulator import EmulatorServer

RUN_PASSING: Final = "run-coldsirKVxipUP0Z"
RUN_SOFT_FAILING: Final = "run-3YMjH7RcU18bXbD9"


def build_dag(enabled: bool | str | None) -> Any:
    """A fresh copy of the DAG (dag.test() keeps a run's conf in the DAG's Params), its comment task
    switched by ``enabled`` instead of the ``post_comment`` Param."""
    spec = importlib.util.spec_from_file_location(
        "tfc_policy_check_comments", DAGS_FOLDER / "tfc_policy_check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    dag.get_task("wait_for_export").poke_interval = 0.1
    dag.get_task("download_bundle").poll_interval = 0.1
    dag.get_task("post_comment").enabled = enabled
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
    return dag


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def comments(make_client: Callable[[], Any], run_id: str) -> list[str]:
    return [comment.body for comment in make_client().list_run_comments(run_id)]


def test_a_failed_check_is_posted_once_in_markdown(
    airflow_db: Any, tfc: EmulatorServer, make_client: Callable[[], Any]
) -> None:
    dag_run = build_dag(True).test(run_conf={"run_id": RUN_SOFT_FAILING})
    assert dag_run.state == "failed"  # the check's verdict; the comment does not change it
    assert states(dag_run)["run_policies"] == "failed" and states(dag_run)["post_comment"] == "success"
    [body] = comments(make_client, RUN_SOFT_FAILING)
    assert body.startswith("### ❌ Sentinel soft-fail")  # the Markdown report's summary line comes first
    assert "| Policy |" in body and "destroy-protection" in body and "soft-mandatory" in body
    assert "aws_s3_bucket.legacy_reports" in body  # the violating resource
    assert f"`tfc_policy_check/{dag_run.run_id}/run_policies`" in body.splitlines()[-1]
    comment_id = dag_run.get_task_instance("post_comment").xcom_pull(task_ids="post_comment")
    assert comment_id.startswith("wsc-")


def test_a_retry_after_a_lost_reply_does_not_post_twice(
    airflow_db: Any, tfc: EmulatorServer, make_client: Callable[[], Any]
) -> None:
    tfc.add_faults({"method": "POST", "path": "/api/v2/runs/{run_id}/comments", "sequence": ["lost"]})
    dag_run = build_dag(True).test(run_conf={"run_id": RUN_PASSING})
    assert dag_run.state == "success", states(dag_run)
    assert dag_run.get_task_instance("post_comment").try_number == 2
    assert len(comments(make_client, RUN_PASSING)) == 1
    assert tfc.snapshot()["requests"]["POST /api/v2/runs/{run_id}/comments"] == 1


def test_off_by_default(airflow_db: Any, tfc: EmulatorServer, make_client: Callable[[], Any]) -> None:
    dag_run = build_dag("{{ params.get('post_comment') }}").test(run_conf={"run_id": RUN_PASSING})
    assert dag_run.state == "success"
    assert states(dag_run)["post_comment"] == "skipped"
    assert comments(make_client, RUN_PASSING) == []


def test_configuration_turns_it_on(
    airflow_db: Any, tfc: EmulatorServer, make_client: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__TFC_SENTINEL__POST_COMMENTS", "True")
    dag_run = build_dag(None).test(run_conf={"run_id": RUN_PASSING})
    assert states(dag_run)["post_comment"] == "success"
    [body] = comments(make_client, RUN_PASSING)
    assert body.startswith("### ⚠️ Sentinel warn") and "mandatory-tags" in body


def test_nothing_is_posted_when_the_check_did_not_run(airflow_db: Any, tfc: EmulatorServer) -> None:
    dag_run = build_dag(True).test(run_conf={"run_id": "run-doesNotExist42"})
    assert states(dag_run)["run_policies"] == "upstream_failed"
    assert states(dag_run)["post_comment"] == "skipped"
    assert not any("comments" in key for key in tfc.snapshot()["requests"])
