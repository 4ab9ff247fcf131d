"""``make demo``'s driver, in this session's Airflow (temporary AIRFLOW_HOME, migrated DB): it starts
its own emulator, points ``tfc_default`` at it, checks the two seeded runs with ``dag.test()`` and prints
the table. Only ``airflow db migrate`` is skipped (the session already migrated)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfc_sentinel import demo


def test_make_demo_driver(
    airflow_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The driver sets the connection for its own emulator; put the session's back afterwards.
    monkeypatch.setenv("AIRFLOW_CONN_TFC_DEFAULT", os.environ["AIRFLOW_CONN_TFC_DEFAULT"])
    assert demo.main(["--no-migrate"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("Terraform run  ") :]
    rows = {line.split()[0]: line.split() for line in table.splitlines()[2:4]}
    assert rows[demo.PASSING_RUN][1:3] == ["warn", "success"]
    assert rows[demo.FAILING_RUN][1:3] == ["soft-fail", "failed"]
    assert "destroy-protection (soft-mandatory)" in table
    assert "Live plan exports left in the emulator: 0 (deleted: 2)" in out
    assert "Requests that carried the token to the blob host: 0" in out
    home = Path(os.environ["AIRFLOW_HOME"])
    for run_id in demo.DEMO_RUNS:
        # Made and named; what lands in it depends on where Airflow's logging was bound first (under
        # pytest: the capture, not the file descriptors the driver redirects).
        assert f"DAG log   {home / 'demo-logs' / f'{run_id}.log'}" in out
        assert (home / "demo-logs" / f"{run_id}.log").is_file()
    reports = [line.split()[1] for line in out.splitlines() if line.strip().startswith("reports ")]
    assert len(reports) == 2
    for folder in reports:
        assert {p.name for p in Path(folder).iterdir()} == {
            "report.json",
            "report.junit.xml",
            "report.html",
            "report.md",
        }


def test_results_table_lines_up() -> None:
    results = [
        demo.CheckResult("run-a", "manual__1", "success", {}, {"outcome": "pass", "policies": []}),
        demo.CheckResult("run-bb", "manual__2", "failed", {"create_export": "failed"}, None),
    ]
    lines = demo.results_table(results).splitlines()
    assert lines[0].index("outcome") == lines[2].index("pass") == lines[3].index("error")
    assert lines[3].split("  ")[0] == "run-bb" and "error (create_export)" in lines[3]
