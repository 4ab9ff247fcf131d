"""Evaluation speed of a typical filter policy over a large plan, against plain Python on the same data.

Builds a ``tfplan/v2``-shaped import object with N resource changes in memory (default 20,000; a
mix of types, modes and actions like a real plan), then times, best of several runs each:

* the engine: ``evaluate`` of a compiled policy that filters ``aws_instance`` creates/updates
  whose ``instance_type`` is not allowed (compile time reported separately);
* the same logic written directly in Python over the same dicts.

    .venv/bin/python bench/bench_eval.py [resource_changes] [runs]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any

from tfc_sentinel.lang import compile_policy, default_importer, evaluate

POLICY = """
import "tfplan/v2" as tfplan

param allowed default ["t2.micro", "t3.micro", "t3.small"]

violations = filter tfplan.resource_changes as _, rc {
	rc.type is "aws_instance" and
	rc.mode is "managed" and
	(rc.change.actions contains "create" or rc.change.actions contains "update") and
	rc.change.after.instance_type not in allowed
}

main = rule { length(violations) is 0 }
"""

ALLOWED = ["t2.micro", "t3.micro", "t3.small"]
_TYPES = ["aws_instance"] * 4 + ["aws_s3_bucket", "aws_security_group", "aws_iam_role", "aws_db_instance"]
_INSTANCE_TYPES = ["t2.micro", "t3.micro", "t3.small", "m5.large", "c5.xlarge"]
_ACTIONS = [["create"], ["update"], ["no-op"], ["delete"], ["delete", "create"], ["read"]]


def build_plan(count: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    changes: dict[str, Any] = {}
    for n in range(count):
        rtype = rng.choice(_TYPES)
        name = f"r{n}"
        address = f"{rtype}.{name}"
        actions = list(rng.choice(_ACTIONS))
        after: dict[str, Any] | None = {
            "tags": {"owner": "team-a", "env": rng.choice(["dev", "prod"])},
            "ami": f"ami-{n:08x}",
            "subnet_id": f"subnet-{rng.randrange(1000)}",
        }
        assert after is not None
        if rtype == "aws_instance":
            after["instance_type"] = rng.choice(_INSTANCE_TYPES)
        if actions == ["delete"]:
            after = None
        changes[address] = {
            "address": address,
            "mode": "data" if rng.random() < 0.05 else "managed",
            "type": rtype,
            "name": name,
            "index": None,
            "module_address": "",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "deposed": "",
            "change": {
                "actions": actions,
                "before": None,
                "after": after,
                "after_unknown": {"id": True},
                "before_sensitive": {},
                "after_sensitive": {},
            },
        }
    return {"terraform_version": "1.9.5", "resource_changes": changes, "variables": {}}


def python_reference(plan: dict[str, Any], allowed: list[str]) -> bool:
    violations = {}
    for address, rc in plan["resource_changes"].items():
        if (
            rc["type"] == "aws_instance"
            and rc["mode"] == "managed"
            and ("create" in rc["change"]["actions"] or "update" in rc["change"]["actions"])
            and rc["change"]["after"]["instance_type"] not in allowed
        ):
            violations[address] = rc
    return len(violations) == 0


def best_of(runs: int, fn: Callable[[], object]) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    plan = build_plan(count)
    importer = default_importer(mocks={"tfplan/v2": plan})

    start = time.perf_counter()
    program = compile_policy(POLICY, "restrict-ec2.sentinel")
    compile_time = time.perf_counter() - start

    engine_time, outcome = best_of(runs, lambda: evaluate(program, imports=importer))
    python_time, expected = best_of(runs, lambda: python_reference(plan, ALLOWED))
    result = getattr(outcome, "result", None)
    error = getattr(outcome, "error", None)
    if error is not None or result != expected:
        raise SystemExit(f"engine disagrees with Python: {result!r} vs {expected!r} ({error})")

    print(f"resource_changes: {count}, best of {runs} runs, result {result}")
    print(f"compile:   {compile_time * 1000:8.2f} ms")
    print(f"engine:    {engine_time * 1000:8.2f} ms  ({engine_time / count * 1e6:.2f} us per resource)")
    print(f"python:    {python_time * 1000:8.2f} ms  ({python_time / count * 1e6:.2f} us per resource)")
    print(f"ratio:     {engine_time / python_time:8.1f}x  (target <= 25x)")


if __name__ == "__main__":
    main()
