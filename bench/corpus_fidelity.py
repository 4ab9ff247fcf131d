"""Fidelity against public Sentinel suites: run ``tfc-sentinel test`` on them unchanged and count.

Usage::

    .venv/bin/python bench/corpus_fidelity.py CORPUS_DIR [CORPUS_DIR ...] [--jobs N] [--json]

For each corpus (a local clone, e.g. of hashicorp/terraform-sentinel-policies) every folder holding
``*.sentinel`` policies and a ``test/`` folder is a policy directory. Policies that need the network
(they, or a module their cases load, ``import "http"``) are left out: directories made only of such
policies are not run, and in mixed directories those policies are not counted. The script then runs
the installed ``tfc-sentinel test -json DIR...`` once per corpus, as a user would, times it, and
counts cases whose status is PASS (the case gave the result its test block expects) against the rest,
with a reason for each case that did not. Nothing is downloaded and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfc_sentinel.policy import ConfigError, discover_policies, load_test_case

_HTTP = re.compile(r'^\s*import\s+"http"', re.MULTILINE)
_MISSING = re.compile(r'(mock|module) "[^"]+": cannot read (\S+): file not found')
CLI = Path(sys.executable).parent / "tfc-sentinel"


@dataclass
class CorpusResult:
    root: Path
    command: list[str]
    wall_seconds: float = 0.0
    exit_code: int = 0
    skipped_policies: list[str] = field(default_factory=list)
    cases: dict[str, str] = field(default_factory=dict)  # case path -> status
    reasons: dict[str, str] = field(default_factory=dict)  # non-passing case -> why

    @property
    def passed(self) -> int:
        return sum(status == "PASS" for status in self.cases.values())


def _needs_network(policy: Path, cases: list[Path]) -> bool:
    """The policy or a module one of its cases loads imports ``http``."""
    files = [policy]
    for case in cases:
        try:
            config = load_test_case(case)
        except ConfigError:
            continue
        files += [m.path for m in config.module_sources().values() if m.path is not None]
    for file in files:
        try:
            if _HTTP.search(file.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def policy_dirs(root: Path) -> tuple[list[Path], set[str]]:
    """Folders with policies and a ``test/`` folder, and the display paths of network policies."""
    dirs: list[Path] = []
    network: set[str] = set()
    for test_dir in sorted(root.rglob("test")):
        folder = test_dir.parent
        if not test_dir.is_dir() or not any(folder.glob("*.sentinel")):
            continue
        policies = discover_policies([folder], cwd=root)
        offline = [p for p in policies if not _needs_network(p.path, [c.path for c in p.cases])]
        network.update(p.display for p in policies if p not in offline)
        if offline:
            dirs.append(folder)
    return dirs, network


def _reason(case: dict[str, Any]) -> str:
    errors = case.get("errors") or []
    text = errors[0] if errors else ""
    if case.get("status") == "ERROR":
        missing = _MISSING.search(text)
        if missing:
            return (
                f"upstream: the case's {missing[1]} file {missing[2]} does not exist ({text.splitlines()[0]})"
            )
        return f"error: {text.splitlines()[0] if text else 'unknown'}"
    detail = case.get("rule_detail") or {}
    messages = [item.get("message", "") for item in detail.values() if isinstance(item, dict)]
    return "failed: " + ("; ".join(m for m in messages if m) or "assertion failed")


def run_corpus(root: Path, jobs: int | None) -> CorpusResult:
    dirs, network = policy_dirs(root)
    command = [str(CLI), "test", "-json"]
    if jobs:
        command += ["--jobs", str(jobs)]
    command += [d.relative_to(root).as_posix() or "." for d in dirs]
    result = CorpusResult(root, command, skipped_policies=sorted(network))
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    result.wall_seconds = time.perf_counter() - started
    result.exit_code = done.returncode
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(
            f"{root}: tfc-sentinel test printed no JSON:\n{done.stderr or done.stdout}"
        ) from None
    for policy_path, policy in data["policies"].items():
        if policy_path in network:
            continue
        if not policy["cases"] and policy["status"] == "ERROR":
            result.cases[policy_path] = "ERROR"
            result.reasons[policy_path] = f"policy error: {(policy['errors'] or ['?'])[0].splitlines()[0]}"
        for case_path, case in policy["cases"].items():
            result.cases[case_path] = case["status"]
            if case["status"] != "PASS":
                result.reasons[case_path] = _reason(case)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", type=Path, help="local clones of Sentinel policy suites")
    parser.add_argument("--jobs", type=int, default=None, help="passed to tfc-sentinel test --jobs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not args.corpora:  # `make bench` runs every script bare: the corpora are local, never fetched
        print("corpus_fidelity: no corpus given, nothing to do; pass local clones of the suites as arguments")
        return 0
    results = [run_corpus(root.resolve(), args.jobs) for root in args.corpora]
    total = sum(len(r.cases) for r in results)
    passed = sum(r.passed for r in results)
    upstream = sum(reason.startswith("upstream:") for r in results for reason in r.reasons.values())
    if args.json:
        print(
            json.dumps(
                {
                    "corpora": [
                        {
                            "root": str(r.root),
                            "command": shlex.join(r.command),
                            "wall_seconds": round(r.wall_seconds, 3),
                            "exit_code": r.exit_code,
                            "cases": len(r.cases),
                            "passed": r.passed,
                            "left_out_network_policies": r.skipped_policies,
                            "not_passing": r.reasons,
                        }
                        for r in results
                    ],
                    "cases": total,
                    "passed": passed,
                    "share": passed / total if total else None,
                    "upstream_broken": upstream,
                },
                indent=2,
            )
        )
        return 0
    for r in results:
        print(f"== {r.root}")
        print(f"   command:  (cd {shlex.quote(str(r.root))} && {shlex.join(r.command)})")
        print(f"   wall:     {r.wall_seconds:.2f} s (exit status {r.exit_code})")
        print(f"   cases:    {r.passed}/{len(r.cases)} give the expected result")
        if r.skipped_policies:
            print(f"   left out (need the network): {len(r.skipped_policies)} policies")
            for name in r.skipped_policies:
                print(f"     {name}")
        for case, reason in sorted(r.reasons.items()):
            print(f"   NOT PASS  {case}: {reason}")
    share = 100.0 * passed / total if total else 0.0
    print(f"== total: {passed}/{total} cases = {share:.2f}%")
    if upstream:
        runnable = total - upstream
        print(
            f"   {upstream} cases fail because the upstream suite is broken (missing files); "
            f"of the other {runnable}: {passed}/{runnable} = {100.0 * passed / runnable:.2f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
