"""The example policy sets in include/policies/, proven through the engine until ``tfc-sentinel test`` lands.

Three layers:

* every ``sentinel test`` case of every policy, evaluated as the CLI would: the case's own mocks,
  modules and params (the set's ``sentinel.hcl`` plays no part), asserting the case's ``rules``;
* the layout: each policy has a passing and a failing case and is listed in ``sentinel.hcl``, the sets
  use all three enforcement levels, the committed mocks are what ``generate_mocks.py`` writes;
* every policy of every set against the bundle of every exportable fixture run, as the emulator builds
  it, with the params of ``sentinel.hcl``: the exact failing policies per run, and the two runs the
  Airflow demo relies on.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tfc_sentinel.bundle import build_mock_files
from tfc_sentinel.emulator.clock import Clock
from tfc_sentinel.emulator.config import EmulatorConfig
from tfc_sentinel.emulator.fixtures import load_fixture_dir
from tfc_sentinel.emulator.store import Store
from tfc_sentinel.lang import (
    ModuleImporter,
    PolicyResult,
    Program,
    compile_policy,
    default_importer,
    evaluate,
)
from tfc_sentinel.policy import (
    DiscoveredCase,
    DiscoveredPolicy,
    EnforcementLevel,
    PolicySetConfig,
    discover_policies,
    load_policy_set,
    load_test_case,
)

POLICIES_DIR = Path(__file__).resolve().parents[2] / "include" / "policies"
SET_DIRS = sorted(path.parent for path in POLICIES_DIR.glob("*/sentinel.hcl"))
SET_NAMES = [path.name for path in SET_DIRS]
MANDATORY = (EnforcementLevel.SOFT_MANDATORY, EnforcementLevel.HARD_MANDATORY)

# The Airflow demo: a run that passes every soft- and hard-mandatory policy of the AWS set (it still
# gets advisory warnings) and one that a soft-mandatory policy stops (destroy-protection).
DEMO_SET = "aws-baseline"
DEMO_PASSING_RUN = "run-coldsirKVxipUP0Z"  # acme-corp/net-prod "Initial network"
DEMO_FAILING_RUN = "run-3YMjH7RcU18bXbD9"  # acme-corp/net-prod "Triggered via API" (resize web tier)

AWS_CHANGES = {"destroy-protection", "mandatory-tags"}
# Failing policies per set and exportable fixture run (include/tfc_sentinel/emulator/fixtures/seed.json).
EXPECTED_FAILURES: dict[str, dict[str, set[str]]] = {
    "aws-baseline": {
        # acme-corp/net-prod and net-sandbox: the initial network, then "resize web tier", which
        # deletes the legacy reports bucket (a protected type) in an ordinary run.
        "run-coldsirKVxipUP0Z": {"mandatory-tags"},
        "run-wW7Tcc6xBzcL0S7g": {"mandatory-tags"},
        "run-FC2APG9zdPRVYoXW": AWS_CHANGES,
        "run-x2ogsxqG1E9EflbM": AWS_CHANGES,
        "run-3YMjH7RcU18bXbD9": AWS_CHANGES,
        "run-KNxZ7SQYPKBrP117": AWS_CHANGES | {"monthly-cost-limit"},  # 316.62 a month
        # Azure and GCP workspaces are not what this set is for: their providers are not allowed.
        "run-qIzvk6Dnq4hJmNNb": {"allowed-providers"},
        "run-YUhipmwHHBbfbCZx": {"allowed-providers", "mandatory-tags"},
        "run-hgKggGd4S4wY4bdo": {"allowed-providers", "mandatory-tags"},
        "run-HYRwMpRmODADM8Yk": {"allowed-providers"},
        "run-5Rk072NlOV3PB2QF": {"allowed-providers"},
        "run-WalghsEdqmXZVcST": {"allowed-providers"},
    },
    "azure-gcp-baseline": {
        # AWS workspaces: the aws provider is not allowed; runs queued without a commit also fail
        # traceable-changes (speculative ones apply nothing and pass).
        "run-coldsirKVxipUP0Z": {"allowed-providers"},
        "run-wW7Tcc6xBzcL0S7g": {"allowed-providers"},
        "run-FC2APG9zdPRVYoXW": {"allowed-providers", "traceable-changes"},
        "run-x2ogsxqG1E9EflbM": {"allowed-providers"},
        "run-3YMjH7RcU18bXbD9": {"allowed-providers"},
        "run-KNxZ7SQYPKBrP117": {"allowed-providers", "traceable-changes"},
        # acme-corp/storage-prod: "Premium tier" replaces the storage account (a protected type).
        "run-qIzvk6Dnq4hJmNNb": set(),
        "run-YUhipmwHHBbfbCZx": {"azure-storage-allowed-skus", "destroy-protection"},
        "run-hgKggGd4S4wY4bdo": {"azure-storage-allowed-skus", "destroy-protection", "traceable-changes"},
        "run-HYRwMpRmODADM8Yk": set(),  # a destroy run may delete it
        # globex/gcp-compute: instances lack the team label (advisory); the API run has no commit.
        "run-5Rk072NlOV3PB2QF": {"required-labels"},
        "run-WalghsEdqmXZVcST": {"required-labels", "traceable-changes"},
    },
}


# --- evaluation ---------------------------------------------------------------------------------------


@cache
def compiled(path: Path) -> Program:
    return compile_policy(path.read_text(encoding="utf-8"), path.name)


def _source(path: Path) -> tuple[str, str]:
    return path.read_text(encoding="utf-8"), path.name


def run_case(policy: Path, case_path: Path) -> tuple[PolicyResult, dict[str, Any] | None]:
    """Evaluate ``policy`` as ``sentinel test`` runs one case; returns the result and the expected rules."""
    case = load_test_case(case_path, strict=True)
    modules = {name: _source(module.local_path()) for name, module in case.module_sources().items()}
    data: dict[str, Any] = {}
    for name, mock in case.mocks.items():
        if mock.is_module:
            assert mock.path is not None
            modules[name] = _source(mock.path)
        else:
            data[name] = mock.data
    importer = default_importer(mocks=data, modules=ModuleImporter(modules))
    result = evaluate(compiled(policy), imports=importer, params=case.params, globals=case.globals)
    return result, case.rules


def explain(result: PolicyResult) -> str:
    rules = {name: outcome.value for name, outcome in result.rules.items()}
    return f"result={result.result!r} error={result.error} rules={rules}\nprints:\n{result.prints}trace={result.trace}"


# --- sentinel test cases -----------------------------------------------------------------------------


def _discovered(set_dir: Path) -> list[DiscoveredPolicy]:
    return discover_policies([set_dir], cwd=set_dir)


ALL_CASES: list[tuple[str, DiscoveredPolicy, DiscoveredCase]] = [
    (set_dir.name, policy, case)
    for set_dir in SET_DIRS
    for policy in _discovered(set_dir)
    for case in policy.cases
]


@pytest.mark.parametrize(
    ("set_name", "policy", "case"),
    ALL_CASES,
    ids=[f"{s}/{p.name}/{c.name}" for s, p, c in ALL_CASES],
)
def test_case(set_name: str, policy: DiscoveredPolicy, case: DiscoveredCase) -> None:
    result, rules = run_case(policy.path, case.path)
    assert result.error is None, explain(result)
    if rules is None:  # no test block: the policy must pass
        assert result.passed, explain(result)
        return
    for name, expected in rules.items():
        if name == "main":
            assert result.result == expected, f'expected "main" to be {expected}\n{explain(result)}'
        else:
            assert name in result.rules, f"rule {name!r} was not evaluated\n{explain(result)}"
            assert result.rules[name].value == expected, (
                f'expected "{name}" to be {expected}\n{explain(result)}'
            )
    # Failing cases must say which resources are at fault, so reports can list them.
    if rules.get("main") is False:
        assert result.prints.strip(), f"a failing policy should print its violations\n{explain(result)}"


def test_there_are_example_sets() -> None:
    assert "aws-baseline" in SET_NAMES
    assert len(SET_NAMES) >= 2
    assert len(ALL_CASES) >= 40


# --- layout --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=SET_NAMES)
def test_every_policy_has_a_passing_and_a_failing_case(set_dir: Path) -> None:
    for policy in _discovered(set_dir):
        expected_main = set()
        for case in policy.cases:
            rules = load_test_case(case.path).rules
            expected_main.add(True if rules is None else rules.get("main"))
        assert {True, False} <= expected_main, f"{policy.name}: cases expect main to be {expected_main}"


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=SET_NAMES)
def test_sentinel_hcl_lists_every_policy_with_all_levels(set_dir: Path) -> None:
    config = load_policy_set(set_dir, strict=True)
    assert not config.warnings
    on_disk = {policy.path for policy in _discovered(set_dir)}
    configured = {policy.local_path() for policy in config.policies}
    assert configured == on_disk
    assert {policy.enforcement_level for policy in config.policies} == {
        EnforcementLevel.ADVISORY,
        EnforcementLevel.SOFT_MANDATORY,
        EnforcementLevel.HARD_MANDATORY,
    }
    for source in [*config.module_sources().values(), *config.mocks.values()]:
        assert source.path is not None and source.path.is_file(), source


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=SET_NAMES)
def test_sentinel_hcl_params_are_declared_by_their_policies(set_dir: Path) -> None:
    config = load_policy_set(set_dir)
    for policy in config.policies:
        declared = {param[0] for param in compiled(policy.local_path()).code.params}
        assert set(config.params_for(policy)) <= declared, policy.name


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=SET_NAMES)
def test_every_policy_passes_with_the_sets_own_mocks(set_dir: Path) -> None:
    """``sentinel apply`` in the folder uses the mocks of sentinel.hcl: the compliant test data."""
    config = load_policy_set(set_dir)
    for policy in config.policies:
        result = evaluate_with_config(config, policy.name, {})
        assert result.passed, f"{policy.name}: {explain(result)}"


def _load_generator() -> ModuleType:
    path = POLICIES_DIR / "generate_mocks.py"
    spec = importlib.util.spec_from_file_location("generate_mocks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=SET_NAMES)
def test_committed_mocks_are_what_the_generator_writes(set_dir: Path) -> None:
    assert _load_generator().stale_mocks(set_dir / "testdata") == []


def test_sets_share_one_functions_module() -> None:
    """Each set is self-contained (a copy), but the copies must not drift apart."""
    for relative in ("modules/plan-functions.sentinel",):
        texts = {(set_dir / relative).read_text() for set_dir in SET_DIRS}
        assert len(texts) == 1, f"{relative} differs between the sets"


# --- fixture runs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixtureRun:
    id: str
    meta: Mapping[str, Any]
    files: Mapping[str, str]


@cache
def fixture_runs() -> dict[str, FixtureRun]:
    """The mock files of every run the emulator's fixtures can export, built as the emulator builds them."""
    captured: dict[str, FixtureRun] = {}

    def capture(plan: Mapping[str, Any], run: Mapping[str, Any] | None) -> bytes:
        assert run is not None
        captured[run["id"]] = FixtureRun(run["id"], run, build_mock_files(plan, run))
        return b""

    store = Store(EmulatorConfig(export_delay=0.0), Clock(), archive_builder=capture)
    for document in load_fixture_dir():
        store.load(document)
    for user in store.users.values():
        for org in store.visible_organizations(user):
            for workspace in store.workspaces_of(user, org.name):
                for run in store.runs_of_workspace(user, workspace.id):
                    plan = store.plans[run.plan_id]
                    if not (plan.is_exportable and store.can_export(plan)):
                        continue
                    export = store.create_export(user, plan.id, "sentinel-mock-bundle-v0")
                    assert store.export_status(export) == "finished"
    return captured


def evaluate_with_config(
    config: PolicySetConfig, policy_name: str, mock_files: Mapping[str, str]
) -> PolicyResult:
    """One policy of a set with the set's params and modules; ``mock_files`` (bundle file name -> text)
    replace the set's own mocks, as ``tfc-sentinel apply --bundle`` will."""
    policy = config.policy(policy_name)
    modules = {name: _source(module.local_path()) for name, module in config.module_sources().items()}
    for name, mock in config.mocks.items():
        assert mock.path is not None
        modules[name] = (mock_files[mock.path.name], mock.path.name) if mock_files else _source(mock.path)
    importer = default_importer(modules=ModuleImporter(modules))
    return evaluate(compiled(policy.local_path()), imports=importer, params=config.params_for(policy))


def test_all_twelve_exportable_fixture_runs_are_covered() -> None:
    runs = fixture_runs()
    assert len(runs) == 12
    for set_name in SET_NAMES:
        assert set(EXPECTED_FAILURES[set_name]) == set(runs), set_name


FIXTURE_CASES = [
    (set_name, run_id) for set_name in SET_NAMES for run_id in EXPECTED_FAILURES.get(set_name, {})
]


@pytest.mark.parametrize(("set_name", "run_id"), FIXTURE_CASES, ids=[f"{s}/{r}" for s, r in FIXTURE_CASES])
def test_fixture_run_verdicts(set_name: str, run_id: str) -> None:
    config = load_policy_set(POLICIES_DIR / set_name)
    run = fixture_runs()[run_id]
    failed = set()
    for policy in config.policies:
        result = evaluate_with_config(config, policy.name, run.files)
        assert result.error is None, f"{policy.name}: {explain(result)}"
        if not result.passed:
            failed.add(policy.name)
            assert result.prints.strip(), f"{policy.name} failed without saying why: {explain(result)}"
    assert failed == EXPECTED_FAILURES[set_name][run_id]


def _mandatory_failures(set_name: str, run_id: str) -> set[str]:
    config = load_policy_set(POLICIES_DIR / set_name)
    files = fixture_runs()[run_id].files
    return {
        policy.name
        for policy in config.policies
        if policy.enforcement_level in MANDATORY
        and not evaluate_with_config(config, policy.name, files).passed
    }


def test_demo_runs() -> None:
    assert _mandatory_failures(DEMO_SET, DEMO_PASSING_RUN) == set()
    assert _mandatory_failures(DEMO_SET, DEMO_FAILING_RUN) == {"destroy-protection"}
    # The same story for the Azure/GCP set: the seeded "policy_soft_failed" run does soft-fail.
    assert _mandatory_failures("azure-gcp-baseline", "run-5Rk072NlOV3PB2QF") == set()
    assert _mandatory_failures("azure-gcp-baseline", "run-WalghsEdqmXZVcST") == {"traceable-changes"}


def test_fixture_run_metadata_reaches_tfrun() -> None:
    """The verdicts depend on run metadata (destroy runs, cost estimates): make sure it got there."""
    runs = fixture_runs()
    assert "is_destroy = true" in runs["run-HYRwMpRmODADM8Yk"].files["mock-tfrun.sentinel"]
    assert '"proposed_monthly_cost": "316.62"' in runs["run-KNxZ7SQYPKBrP117"].files["mock-tfrun.sentinel"]
    assert runs["run-coldsirKVxipUP0Z"].meta["workspace"]["name"] == "net-prod"
