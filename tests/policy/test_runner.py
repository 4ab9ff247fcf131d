"""The runner: ``sentinel test`` suites and policy-set checks against a bundle, on both backends.

Policy sets under ``sets/`` are ours: ``suite`` has passing, failing and broken policies and cases,
``apply-aws`` is a set for the emulator fixture plan ``aws-network-changes.json`` with every
enforcement level, ``apply-broken`` mixes one good policy with broken ones.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.policy.runner_support import (
    APPLY_SET,
    BROKEN_SET,
    SUITE,
    build_bundle,
    copy_set,
    listing,
)
from tests.policy.test_binary import FAKE, RECORDED
from tfc_sentinel.bundle import unpack_bundle
from tfc_sentinel.lang.values import UNDEFINED, Builtin
from tfc_sentinel.policy import BackendError, EnforcementLevel
from tfc_sentinel.policy.backends import Backend
from tfc_sentinel.policy.backends.binary import SentinelBinary, SentinelBinaryBackend
from tfc_sentinel.policy.backends.builtin import (
    BuiltinBackend,
    CaseTask,
    SourceCache,
    _crashed_case,
    _values_equal,
    parallel_map,
    plain_value,
    run_case,
)
from tfc_sentinel.policy.runner import apply_policy_set, get_backend, parse_param, run_tests
from tfc_sentinel.report import Outcome, RunOutcome, RunResult, render
from tfc_sentinel.report.values import OpaqueValue


def outcomes(run: RunResult) -> dict[str, tuple[Outcome, dict[str, Outcome]]]:
    return {p.name: (p.outcome, {Path(c.path).name: c.outcome for c in p.cases}) for p in run.policies}


def policy(run: RunResult, name: str) -> Any:
    return next(p for p in run.policies if p.name == name)


@pytest.fixture(scope="module")
def suite_run() -> RunResult:
    return run_tests([SUITE], cwd=SUITE, jobs=1)


# --- sentinel test --------------------------------------------------------------------------------------


def test_suite_outcomes(suite_run: RunResult) -> None:
    assert outcomes(suite_run) == {
        "always-false": (Outcome.FAIL, {"no-test-block.hcl": Outcome.FAIL}),
        "bad-hcl": (Outcome.ERROR, {"broken.hcl": Outcome.ERROR, "ok.hcl": Outcome.PASS}),
        "missing-mock": (Outcome.ERROR, {"gone.hcl": Outcome.ERROR, "ok.hcl": Outcome.PASS}),
        "missing-module": (Outcome.ERROR, {"nope.hcl": Outcome.ERROR}),
        "restrict-types": (
            Outcome.PASS,
            {
                "fail.hcl": Outcome.PASS,
                "legacy.json": Outcome.PASS,
                "param.hcl": Outcome.PASS,
                "pass.hcl": Outcome.PASS,
            },
        ),
        "runtime-error": (Outcome.ERROR, {"error.hcl": Outcome.ERROR}),
        "syntax-error": (Outcome.ERROR, {}),
        "untested": (Outcome.SKIPPED, {}),
    }
    assert suite_run.exit_code == 2
    assert suite_run.outcome is RunOutcome.ERROR


def test_each_problem_names_its_file_and_line(suite_run: RunResult) -> None:
    syntax = policy(suite_run, "syntax-error")
    assert syntax.error.startswith('syntax-error.sentinel:3:19: expected an expression, found "}"')
    errors = {
        Path(case.path).name: case.error
        for p in suite_run.policies
        for case in p.cases
        if case.outcome is Outcome.ERROR
    }
    assert errors["gone.hcl"] == (
        'test/missing-mock/gone.hcl:1: mock "tfplan/v2": cannot read mocks/does-not-exist.sentinel: '
        "file not found"
    )
    assert errors["nope.hcl"] == (
        'test/missing-module/nope.hcl:2: module "helpers": cannot read ../../modules/nope.sentinel: '
        "file not found"
    )
    assert errors["broken.hcl"].startswith("test/bad-hcl/broken.hcl:5:1: not valid HCL")
    assert errors["error.hcl"].startswith("runtime-error.sentinel:3:9: deliberate failure")
    assert "called from runtime-error.sentinel:6:15 (check)" in errors["error.hcl"]


def test_assertions_rules_prints_and_positions(suite_run: RunResult) -> None:
    failing = policy(suite_run, "always-false").cases[0]
    assert failing.failures == ['expected "main" to be true, got: false']
    assert failing.prints == ["limit is 3"]
    assert failing.rules["main"].position.line == 4
    assert failing.rules["main"].position.filename == "always-false.sentinel"
    restrict = {Path(c.path).name: c for c in policy(suite_run, "restrict-types").cases}
    fail = restrict["fail.hcl"]
    assert [(a.rule, a.expected, a.actual, a.passed) for a in fail.assertions] == [
        ("main", False, False, True),
        ("no_violators", False, False, True),
    ]
    assert fail.prints == ["aws_instance.web has instance type m5.large"]
    assert fail.rules["no_violators"].position.line == 14
    assert fail.result is False
    assert restrict["legacy.json"].legacy is True
    assert restrict["legacy.json"].warnings
    assert all(case.duration > 0 for case in restrict.values())


def test_parallel_run_matches_serial(suite_run: RunResult) -> None:
    parallel = run_tests([SUITE], cwd=SUITE, jobs=3)

    def comparable(run: RunResult) -> list[Any]:
        rows = []
        for p in run.policies:
            cases = [dataclasses.replace(c, duration=0.0) for c in p.cases]
            rows.append(dataclasses.replace(p, duration=0.0, cases=cases))
        return rows

    assert comparable(parallel) == comparable(suite_run)


def test_spawned_workers_give_the_same_results(suite_run: RunResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes with threads (Airflow workers) spawn instead of forking."""
    from tfc_sentinel.policy.backends import builtin

    monkeypatch.setattr(builtin, "_mp_context", lambda: multiprocessing.get_context("spawn"))
    spawned = run_tests([SUITE], cwd=SUITE, jobs=2, run_regex="restrict|missing")
    expected = {k: v for k, v in outcomes(suite_run).items() if "restrict" in k or "missing" in k}
    assert outcomes(spawned) == expected


def test_daemonic_processes_run_cases_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfc_sentinel.policy.backends import builtin

    monkeypatch.setattr(builtin, "_in_daemon", lambda: True)
    monkeypatch.setattr(builtin, "parallel_map", None)  # would fail if called
    run = run_tests([SUITE], cwd=SUITE, jobs=4, run_regex="restrict")
    assert outcomes(run)["restrict-types"][0] is Outcome.PASS


def test_run_regex_selects_policy_and_case() -> None:
    run = run_tests([SUITE], cwd=SUITE, run_regex="restrict/param", jobs=1)
    assert outcomes(run) == {"restrict-types": (Outcome.PASS, {"param.hcl": Outcome.PASS})}
    assert run.exit_code == 0
    assert run_tests([SUITE], cwd=SUITE, run_regex="always-false").exit_code == 1


def test_display_paths_follow_the_working_directory() -> None:
    run = run_tests(["suite"], cwd=SUITE.parent, run_regex="always-false")
    assert run.policies[0].path == "suite/always-false.sentinel"
    assert run.policies[0].cases[0].path == "suite/test/always-false/no-test-block.hcl"


def test_missing_path_is_a_run_error(tmp_path: Path) -> None:
    run = run_tests(["nope"], cwd=tmp_path)
    assert run.error is not None and "nope: no such file or folder" in run.error
    assert run.exit_code == 2


def test_sentinel_test_json_shape(suite_run: RunResult) -> None:
    data = json.loads(render(suite_run, "sentinel-json"))
    entry = data["policies"]["restrict-types.sentinel"]
    assert set(entry) == {"path", "status", "errors", "cases"}
    assert entry["status"] == "PASS"
    case = entry["cases"]["test/restrict-types/fail.hcl"]
    assert set(case) == {
        "path",
        "status",
        "errors",
        "trace",
        "rule_detail",
        "config_warnings",
        "config_legacy",
    }
    assert case["trace"]["rules"]["main"]["position"]["line"] == 16
    assert case["trace"]["print"] == "aws_instance.web has instance type m5.large\n"
    syntax = data["policies"]["syntax-error.sentinel"]
    assert syntax["status"] == "ERROR" and syntax["cases"] == {}
    assert data["policies"]["untested.sentinel"]["status"] == "?"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_data_mocks_static_imports_globals_and_unknown_rules(tmp_path: Path) -> None:
    write(
        tmp_path / "p.sentinel",
        """
        import "time"
        import "people"
        import "settings"
        is_morning = rule { time.hour < 12 }
        main = rule { is_morning and people.owner is "ops" and settings.level is 2 and limit is 5 }
        """,
    )
    write(tmp_path / "test/p/people.json", '{"owner": "ops"}')
    write(
        tmp_path / "test/p/pass.hcl",
        """
        mock "time" {
          data = { hour = 9 }
        }
        mock "settings" {
          data = { level = 2 }
        }
        import "static" "people" {
          source = "people.json"
        }
        global "limit" {
          value = 5
        }
        test {
          rules = {
            main       = true
            is_morning = true
            missing    = true
          }
        }
        """,
    )
    run = run_tests([tmp_path], cwd=tmp_path, jobs=1)
    case = run.policies[0].cases[0]
    assert case.outcome is Outcome.FAIL
    assert case.failures == [
        'expected "missing" to be true, got: undefined (rule "missing" does not exist in the policy)'
    ]


def test_plugins_and_unknown_imports_are_case_errors(tmp_path: Path) -> None:
    write(tmp_path / "p.sentinel", 'import "clock"\nmain = rule { clock.ok }\n')
    write(tmp_path / "test/p/plugin.hcl", 'import "plugin" "clock" {\n  source = "./clock-plugin"\n}\n')
    write(tmp_path / "test/p/unknown.hcl", "test {\n  rules = { main = true }\n}\n")
    run = run_tests([tmp_path], cwd=tmp_path, jobs=1)
    errors = {Path(c.path).name: c.error for c in run.policies[0].cases}
    assert errors["plugin.hcl"].startswith('test/p/plugin.hcl:1: import "clock" is a plugin')
    assert 'import "clock": unknown import' in errors["unknown.hcl"]
    assert "add a mock block for it to test/p/unknown.hcl" in errors["unknown.hcl"]


def test_values_cross_processes_as_plain_data() -> None:
    value = plain_value({"f": Builtin("length", len), "xs": [1, UNDEFINED, {"k": None}]})
    assert value == {"f": OpaqueValue("func", "<builtin length>"), "xs": [1, UNDEFINED, {"k": None}]}
    assert pickle.loads(pickle.dumps(value)) == value


def test_assertion_equality_is_sentinel_equality() -> None:
    assert not _values_equal(True, 1)
    assert not _values_equal(1, True)
    assert _values_equal(1, 1.0)
    assert not _values_equal("1", 1)
    assert _values_equal([{"day": "wed", "hour": 9}], [{"hour": 9, "day": "wed"}])
    assert not _values_equal(False, UNDEFINED)
    assert _values_equal({"1": True}, {1: True})
    assert not _values_equal([1], [1, 2])


def test_source_cache_recompiles_edited_files(tmp_path: Path) -> None:
    cache = SourceCache(max_entries=2)
    file = write(tmp_path / "p.sentinel", "main = rule { true }\n")
    first = cache.policy(file, "p.sentinel")
    assert cache.policy(file, "p.sentinel") is first
    file.write_text("main = rule { false }  # edited\n", encoding="utf-8")
    assert cache.policy(file, "p.sentinel") is not first


# --- workers --------------------------------------------------------------------------------------------


def _crashy(item: int) -> int:
    """Module level so spawned workers can import it."""
    if item == 2:
        os._exit(3)
    if item == 3:
        raise ValueError("bad item")
    if item == 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return item * 10


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_dying_worker_fails_only_its_item(method: str) -> None:
    context = multiprocessing.get_context(method)
    results = parallel_map(
        _crashy, [1, 2, 3, 4, 5, 6], 2, lambda item, why: f"{item}: {why}", context=context
    )
    assert results[0] == 10 and results[4:] == [50, 60]
    assert results[1] == "2: the worker process stopped unexpectedly (exit status 3)"
    assert results[2] == "3: the worker failed: ValueError: bad item"
    assert results[3] == "4: the worker process was killed by SIGKILL"


def test_a_crashed_case_is_an_error_for_that_case() -> None:
    task = CaseTask("/x/p.sentinel", "p.sentinel", "/x/test/p/c.hcl", "test/p/c.hcl", "/x")
    outcome = _crashed_case(task, "the worker process was killed by SIGKILL")
    assert outcome.case is not None
    assert outcome.case.outcome is Outcome.ERROR
    assert outcome.case.error.startswith("the worker process was killed by SIGKILL while running this case")


def test_an_engine_bug_is_an_error_for_that_case(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfc_sentinel.policy.backends import builtin

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(builtin, "evaluate", boom)
    task = CaseTask(
        str(SUITE / "untested.sentinel"),
        "untested.sentinel",
        str(SUITE / "test/bad-hcl/ok.hcl"),
        "ok.hcl",
        str(SUITE),
    )
    outcome = run_case(task, SourceCache())
    assert outcome.case is not None and outcome.case.outcome is Outcome.ERROR
    assert outcome.case.error.startswith("internal error while running this case: KeyError: 'surprise'")


# --- apply ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "run-1.tar.gz")


def levels_and_outcomes(run: RunResult) -> list[tuple[str, EnforcementLevel, Outcome]]:
    return [(p.name, p.enforcement_level, p.outcome) for p in run.policies]


def test_apply_a_policy_set_to_a_bundle(bundle: Path) -> None:
    run = apply_policy_set(APPLY_SET, bundle)
    assert levels_and_outcomes(run) == [
        ("instance-types", EnforcementLevel.HARD_MANDATORY, Outcome.PASS),
        ("owner-tag", EnforcementLevel.SOFT_MANDATORY, Outcome.FAIL),
        ("no-deletes", EnforcementLevel.ADVISORY, Outcome.FAIL),
        ("v1-instances", EnforcementLevel.HARD_MANDATORY, Outcome.PASS),
        ("cost-limit", EnforcementLevel.HARD_MANDATORY, Outcome.PASS),
    ]
    assert run.outcome is RunOutcome.SOFT_FAIL and run.exit_code == 1
    assert (run.policy_set, run.bundle) == (str(APPLY_SET), str(bundle))
    owner = policy(run, "owner-tag")
    assert owner.path == "owner-tag.sentinel"
    assert owner.result is False
    assert owner.rules["main"].value is False and owner.rules["main"].position.line == 11
    assert owner.prints == ["aws_instance.web[0] has no owner tag", "aws_instance.web[1] has no owner tag"]
    assert [v.address for v in owner.violations] == ["aws_instance.web[0]", "aws_instance.web[1]"]
    assert all(p.duration > 0 for p in run.policies)
    assert [p.name for p in run.blocking] == ["owner-tag"]


def test_override_and_params(bundle: Path) -> None:
    overridden = apply_policy_set(APPLY_SET, bundle, override=True)
    assert overridden.outcome is RunOutcome.WARN and overridden.exit_code == 0
    strict = apply_policy_set(
        APPLY_SET, bundle, override=True, params={"allowed_types": ["t3.micro"], "monthly_limit": 10}
    )
    assert policy(strict, "instance-types").outcome is Outcome.FAIL
    assert policy(strict, "cost-limit").outcome is Outcome.FAIL
    assert strict.outcome is RunOutcome.FAIL and strict.exit_code == 1
    assert {b.name for b in strict.blocking} == {"instance-types", "cost-limit"}


def test_apply_an_unpacked_bundle_folder(bundle: Path, tmp_path: Path) -> None:
    folder = unpack_bundle(bundle, tmp_path / "unpacked")
    from_folder = apply_policy_set(APPLY_SET, folder)
    assert levels_and_outcomes(from_folder) == levels_and_outcomes(apply_policy_set(APPLY_SET, bundle))


def test_bundle_mocks_are_loaded_once_per_apply(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfc_sentinel.lang import program

    compiled: list[str] = []
    original = program._compile_data_module

    def counting(source: str, filename: str) -> Any:
        compiled.append(filename)
        return original(source, filename)

    monkeypatch.setattr(program, "_compile_data_module", counting)
    apply_policy_set(APPLY_SET, bundle)
    # tfplan/v2 (three policies through the module), tfplan and tfplan/v1 (one file), tfrun: once each
    assert sorted(compiled) == ["mock-tfplan-v2.sentinel", "mock-tfplan.sentinel", "mock-tfrun.sentinel"]


def test_unpacked_archive_is_removed(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    policy_set = copy_set(APPLY_SET, tmp_path / "set")
    before = listing(policy_set)
    run = apply_policy_set(policy_set, bundle)
    assert run.error is None
    assert listing(scratch) == []
    assert listing(policy_set) == before


def test_broken_policies_are_errors_and_the_rest_runs(bundle: Path) -> None:
    run = apply_policy_set(BROKEN_SET, bundle)
    assert [(p.name, p.outcome) for p in run.policies] == [
        ("good", Outcome.PASS),
        ("syntax", Outcome.ERROR),
        ("missing-file", Outcome.ERROR),
        ("uses-gone-module", Outcome.ERROR),
    ]
    errors = {p.name: p.error for p in run.policies}
    assert errors["syntax"].startswith('syntax.sentinel:3:1: expected an expression, found "}"')
    assert errors["missing-file"] == (
        'sentinel.hcl:16: policy "missing-file": cannot read ./missing-file.sentinel: file not found'
    )
    assert errors["uses-gone-module"] == (
        'uses-gone-module.sentinel:1:1: import "gone": sentinel.hcl:2: module "gone": cannot read '
        "./modules/gone.sentinel: file not found"
    )
    assert run.outcome is RunOutcome.SOFT_FAIL  # errors count as failures at their enforcement level


def test_unusable_set_or_bundle_is_a_run_error(bundle: Path, tmp_path: Path) -> None:
    write(tmp_path / "set/sentinel.hcl", 'policy "p" {\n  source = \n}\n')
    bad_set = apply_policy_set(tmp_path / "set", bundle)
    assert bad_set.error is not None and "sentinel.hcl:" in bad_set.error and bad_set.exit_code == 2
    no_bundle = apply_policy_set(APPLY_SET, tmp_path / "missing.tar.gz")
    assert no_bundle.error is not None and "does not exist" in no_bundle.error
    assert no_bundle.exit_code == 2
    not_a_bundle = apply_policy_set(APPLY_SET, tmp_path)
    assert not_a_bundle.error is not None and "not a Sentinel mock bundle" in not_a_bundle.error


def test_parse_param() -> None:
    assert parse_param('types=["a", "b"]') == ("types", ["a", "b"])
    assert parse_param("limit=10") == ("limit", 10)
    assert parse_param("name=prod") == ("name", "prod")
    assert parse_param('quoted="10"') == ("quoted", "10")
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_param("novalue")


# --- backends -------------------------------------------------------------------------------------------


@pytest.fixture
def fake_sentinel(tmp_path: Path) -> Path:
    script = tmp_path / "bin" / "sentinel"
    script.parent.mkdir()
    script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    return script


def test_both_backends_satisfy_the_interface(fake_sentinel: Path) -> None:
    assert isinstance(BuiltinBackend(), Backend)
    assert isinstance(SentinelBinaryBackend(SentinelBinary(fake_sentinel)), Backend)
    assert isinstance(get_backend("sentinel", binary_path=fake_sentinel), SentinelBinaryBackend)
    with pytest.raises(BackendError, match="unknown engine"):
        get_backend("opa")


def test_sentinel_engine_runs_tests_through_the_binary(
    fake_sentinel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_OUTPUT", str(RECORDED / "test-json-mixed.json"))
    monkeypatch.setenv("FAKE_EXIT", "1")
    monkeypatch.setenv("FAKE_LOG", str(log))
    run = run_tests(["."], run_regex="ec2", engine="sentinel", binary_path=fake_sentinel, cwd=tmp_path)
    assert run.engine.name == "sentinel" and run.engine.version == "0.40.0"
    assert len(run.policies) == 5 and run.exit_code == 2
    call = json.loads(log.read_text().splitlines()[0])
    assert call["argv"] == ["test", "-json", "-run=ec2", "."]
    assert call["cwd"] == str(tmp_path)


def test_sentinel_engine_applies_with_bundle_mocks_and_params(
    fake_sentinel: Path, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_OUTPUT", str(RECORDED / "apply-json-mixed.json"))
    monkeypatch.setenv("FAKE_EXIT", "1")
    monkeypatch.setenv("FAKE_LOG", str(log))
    run = apply_policy_set(
        APPLY_SET, bundle, engine="sentinel", binary_path=fake_sentinel, params={"monthly_limit": 5}
    )
    assert run.engine.name == "sentinel"
    assert run.error is None and run.policies
    config = json.loads(log.read_text().splitlines()[0])["config"]
    assert 'mock "tfplan/v2"' in config and "mock-tfplan-v2.sentinel" in config
    assert f'source = "{APPLY_SET / "instance-types.sentinel"}"' in config
    assert '"monthly_limit" = 5' in config


def test_sentinel_engine_without_a_binary_is_a_run_error(tmp_path: Path, bundle: Path) -> None:
    missing = tmp_path / "no-sentinel"
    tests = run_tests([SUITE], engine="sentinel", binary_path=missing)
    assert tests.error is not None and "does not exist" in tests.error and tests.exit_code == 2
    applied = apply_policy_set(APPLY_SET, bundle, engine="sentinel", binary_path=missing)
    assert applied.error is not None and applied.exit_code == 2
