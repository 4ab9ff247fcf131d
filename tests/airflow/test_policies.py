"""``RunPoliciesOperator`` one task at a time: real bundles exported from the emulator, the example
policy sets, the built-in engine, local and ``memory://`` object storage. The DAG tests run the same
operator on a real metadata DB; here the Airflow runtime is reduced to XCom (``TaskInstanceStub``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import pytest
from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import AirflowFailException

from tests.airflow.test_operators import TaskInstanceStub
from tfc_sentinel.airflow.policies import (
    RunPoliciesOperator,
    _redact_url,
    examples_dir,
    threshold_failures,
    write_atomically,
)
from tfc_sentinel.emulator import EmulatorServer

PASSING: Final = "run-coldsirKVxipUP0Z"
SOFT_FAILING: Final = "run-3YMjH7RcU18bXbD9"
AWS_SET: Final = examples_dir() / "aws-baseline"


@pytest.fixture(scope="module")
def bundles(emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Each run's unpacked bundle in ``<root>/<dag>/<run>/bundle``, as DownloadBundleOperator lays it out."""
    from tfc_sentinel.tfc import RetryPolicy, TfcClient, TfcConfig
    from tfc_sentinel.tfc.lifecycle import export_run_bundle

    emulator.reset()
    root = tmp_path_factory.mktemp("bundles")
    found = {}
    retry = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_total_wait=15)
    with TfcClient(TfcConfig(host=emulator.api_url, token=emulator.token, retry=retry)) as client:
        for run_id in (PASSING, SOFT_FAILING):
            folder = root / "tfc_policy_check" / f"tfc-{run_id}"
            folder.mkdir(parents=True)
            export_run_bundle(client, run_id, folder / "bundle.tar.gz", folder / "bundle", poll_interval=0.05)
            found[run_id] = folder / "bundle"
    assert emulator.snapshot()["live_exports"] == 0
    yield found


@pytest.fixture(autouse=True)
def memory_storage() -> Iterator[None]:
    """fsspec's in-memory file system as the ``memory://`` object store (it stands in for s3://)."""
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem()
    attach("memory", fs=fs)
    yield
    for root in ("/policy-sets", "/bundles"):
        if fs.exists(root):
            fs.rm(root, recursive=True)


@pytest.fixture
def xcom() -> dict[tuple[str, str], Any]:
    return {}


@pytest.fixture
def context(xcom: dict[tuple[str, str], Any]) -> dict[str, Any]:
    return {
        "ti": TaskInstanceStub("run_policies", xcom),
        "dag": SimpleNamespace(dag_id="tfc_policy_check"),
        "run_id": "tfc-run-x",
    }


def policies_op(bundle: Any, **kwargs: Any) -> RunPoliciesOperator:
    return RunPoliciesOperator(task_id="run_policies", bundle=str(bundle), **kwargs)


def local(location: str) -> Path:
    return Path(location.removeprefix("file://"))


def test_passing_run_returns_a_small_summary_and_writes_every_report(
    bundles: dict[str, Path], context: dict[str, Any], xcom: dict[tuple[str, str], Any]
) -> None:
    summary = policies_op(
        bundles[PASSING], tfc_run_id=PASSING, run_url="https://app.terraform.io/app/acme/net/runs/" + PASSING
    ).execute(context)
    assert xcom[("run_policies", "policy_summary")] == summary
    assert (summary["outcome"], summary["failed"], summary["blocking"]) == ("warn", False, [])
    assert summary["policy_set"] == str(AWS_SET)
    assert summary["bundle"] == str(bundles[PASSING])
    reports = bundles[PASSING].parent / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "report.html",
        "report.json",
        "report.junit.xml",
        "report.md",
    ]
    document = json.loads((reports / "report.json").read_text())
    assert document["context"]["run_id"] == PASSING
    assert document["context"]["dag_run_id"] == "tfc-run-x"
    assert "mandatory-tags" in (reports / "report.md").read_text()
    assert json.loads(json.dumps(summary)) == summary  # JSON only


def test_soft_failure_fails_the_task_with_the_policies_and_levels(
    bundles: dict[str, Path], context: dict[str, Any], xcom: dict[tuple[str, str], Any]
) -> None:
    with pytest.raises(AirflowFailException) as failure:
        policies_op(bundles[SOFT_FAILING]).execute(context)
    first_line = str(failure.value).splitlines()[0]
    assert first_line == "policy check failed at fail_on=soft-mandatory: destroy-protection (soft-mandatory)"
    assert "mandatory-tags (advisory, fail)" in str(failure.value)
    summary = xcom[("run_policies", "policy_summary")]
    assert summary["failed"] is True and summary["blocking"] == ["destroy-protection"]
    assert local(summary["reports"]["html"]).is_file()


@pytest.mark.parametrize(
    ("fail_on", "blocking"),
    [("soft-mandatory", ["destroy-protection"]), ("hard-mandatory", []), ("never", [])],
)
def test_thresholds(bundles: dict[str, Path], fail_on: str, blocking: list[str]) -> None:
    from tfc_sentinel.policy.runner import apply_policy_set

    result = apply_policy_set(AWS_SET, bundles[SOFT_FAILING])
    assert [p.name for p in threshold_failures(result, fail_on)] == blocking


def test_policy_set_and_bundle_on_object_storage(
    bundles: dict[str, Path], context: dict[str, Any], xcom: dict[tuple[str, str], Any]
) -> None:
    """Remote storage (``memory://`` stands in for s3://): both are copied to a temp dir for the engine,
    and the reports go next to the remote bundle."""
    remote_set = ObjectStoragePath("memory://policy-sets/aws-baseline")
    for path in AWS_SET.rglob("*"):
        if path.is_file():
            target = remote_set / path.relative_to(AWS_SET).as_posix()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    remote_run = ObjectStoragePath("memory://bundles/tfc_policy_check/tfc-run-remote")
    for path in bundles[PASSING].rglob("*"):
        if path.is_file():
            target = remote_run / "bundle" / path.relative_to(bundles[PASSING]).as_posix()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    summary = policies_op(remote_run / "bundle", policy_set=str(remote_set)).execute(context)
    assert summary["outcome"] == "warn"
    assert summary["policy_set"] == "memory://policy-sets/aws-baseline"
    assert (
        summary["reports"]["json"] == "memory://bundles/tfc_policy_check/tfc-run-remote/reports/report.json"
    )
    document = json.loads(ObjectStoragePath(summary["reports"]["json"]).read_text())
    assert document["outcome"] == "warn"


def test_example_set_by_name_and_run_tests(
    bundles: dict[str, Path], context: dict[str, Any], tmp_path: Path
) -> None:
    bundle = tmp_path / "run" / "bundle"
    shutil.copytree(bundles[PASSING], bundle)
    summary = policies_op(bundle, policy_set="aws-baseline", run_tests="True", fail_on="never").execute(
        context
    )
    assert summary["policy_set"] == str(AWS_SET)
    assert summary["tests"]["outcome"] == "pass"
    assert summary["tests"]["counts"]["cases"] == summary["tests"]["counts"]["cases_passed"] > 0
    assert {Path(loc).name for loc in summary["tests"]["reports"].values()} == {
        "tests.json",
        "tests.junit.xml",
        "tests.html",
        "tests.md",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "opa"}, "engine 'opa' is not known"),
        ({"fail_on": "advisory"}, "fail_on 'advisory' is not known"),
        ({"policy_set": "/nowhere/set"}, "policy set /nowhere/set not found"),
        (
            {"policy_set": "memory://no-such-bucket/set"},
            "policy set memory://no-such-bucket/set cannot be read",
        ),
    ],
)
def test_bad_arguments_say_what_to_do(
    bundles: dict[str, Path], context: dict[str, Any], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(AirflowFailException, match=message):
        policies_op(bundles[PASSING], **kwargs).execute(context)


def test_missing_bundle_names_the_upstream_task(context: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(AirflowFailException, match="download_bundle"):
        policies_op("None").execute(context)
    with pytest.raises(AirflowFailException, match="is not a folder"):
        policies_op(tmp_path / "gone").execute(context)


def test_atomic_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/reports/report.json")
    write_atomically(target, '{"a": 1}')
    write_atomically(target, '{"a": 2}')
    assert json.loads((tmp_path / "reports" / "report.json").read_text()) == {"a": 2}
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["report.json"]


def test_credentials_never_leave_in_locations() -> None:
    assert _redact_url("s3://AKIA:secret@bucket/sets/aws") == "s3://bucket/sets/aws"
    assert _redact_url("/local/path") == "/local/path"


def test_importing_the_module_loads_no_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tfc_sentinel.airflow.policies; "
        "print([m for m in ('tfc_sentinel.policy', 'tfc_sentinel.lang', 'tfc_sentinel.report') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_failing_set_tests_fail_the_task_and_say_so_first(
    bundles: dict[str, Path], context: dict[str, Any], tmp_path: Path
) -> None:
    broken = tmp_path / "aws-baseline"
    shutil.copytree(AWS_SET, broken)
    case = broken / "test" / "ec2-require-imdsv2" / "pass.hcl"
    case.write_text(case.read_text().replace("main            = true", "main            = false"))
    with pytest.raises(AirflowFailException) as failure:
        policies_op(bundles[PASSING], policy_set=str(broken), run_tests=True).execute(context)
    assert str(failure.value).startswith("the policy set's own tests fail")
    # fail_on=never reports it without failing.
    summary = policies_op(bundles[PASSING], policy_set=str(broken), run_tests=True, fail_on="never").execute(
        context
    )
    assert summary["tests"]["outcome"] == "fail" and summary["tests"]["counts"]["cases_failed"] == 1
