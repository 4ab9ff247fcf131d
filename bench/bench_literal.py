"""Rendering a large plan's ``mock-tfplan-v2.sentinel`` vs ``json.dumps`` of the same data.

Prints both times and their ratio, measured in the same run (best of several rounds), so the number
means the same on any machine. ``json.dumps`` (C-accelerated, no indentation) is the floor a
pure-Python literal renderer is compared against.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

from tfc_sentinel.bundle.literal import UNDEFINED, render
from tfc_sentinel.bundle.tfplan import tfplan_v2_data, tfplan_v2_source

RESOURCES = 4000
ROUNDS = 5


def synthetic_plan(resources: int = RESOURCES, seed: int = 7) -> dict[str, Any]:
    """A plan shaped like real ones: modules, count indexes, nested blocks, tags, unknowns."""
    rng = random.Random(seed)
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for i in range(resources):
        module = f"module.m{i % 20}"
        address = f"{module}.aws_instance.web[{i}]"
        values = {
            "ami": f"ami-{rng.getrandbits(64):016x}",
            "instance_type": rng.choice(["t3.micro", "t3.large", "m5.xlarge"]),
            "cpu_core_count": rng.randint(1, 64),
            "monitoring": rng.random() < 0.5,
            "user_data": None,
            "weight": rng.random(),
            "tags": {f"tag{j}": f'value "{j}" with unicode é ✓\n' for j in range(8)},
            "root_block_device": [
                {"volume_size": rng.randint(8, 500), "encrypted": True, "iops": None} for _ in range(2)
            ],
            "security_groups": [f"sg-{rng.getrandbits(32):08x}" for _ in range(4)],
        }
        base = {
            "address": address,
            "mode": "managed",
            "type": "aws_instance",
            "name": "web",
            "index": i,
            "provider_name": "registry.terraform.io/hashicorp/aws",
        }
        planned.append({**base, "schema_version": 1, "values": values})
        changes.append(
            {
                **base,
                "module_address": module,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": {"id": True, "arn": True, "tags": {}},
                    "before_sensitive": False,
                    "after_sensitive": {"tags": {}},
                },
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.5.7",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
    }


def best_of(rounds: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    plan = synthetic_plan()
    data = dict(tfplan_v2_data(plan))
    sentinel_text = tfplan_v2_source(plan)
    json_text = json.dumps(data, default=lambda o: None if o is UNDEFINED else o)
    t_sentinel = best_of(ROUNDS, lambda: tfplan_v2_source(plan))
    t_render = best_of(ROUNDS, lambda: render(data))
    t_json = best_of(ROUNDS, lambda: json.dumps(data, default=lambda o: None if o is UNDEFINED else o))
    t_json_sorted = best_of(
        ROUNDS, lambda: json.dumps(data, sort_keys=True, indent="\t", default=lambda o: None)
    )
    print(
        f"synthetic plan: {RESOURCES} resources; mock {len(sentinel_text) / 1e6:.1f} MB, json {len(json_text) / 1e6:.1f} MB"
    )
    print(f"tfplan-v2 source (build + render)     {t_sentinel * 1000:8.1f} ms")
    print(f"render(data) only                     {t_render * 1000:8.1f} ms")
    print(f"json.dumps(data)                      {t_json * 1000:8.1f} ms")
    print(f"json.dumps(data, sort_keys, indent)   {t_json_sorted * 1000:8.1f} ms")
    print(f"ratio tfplan-v2 / json.dumps          {t_sentinel / t_json:8.2f}x")
    print(f"ratio render / json.dumps(sorted, indented) {t_render / t_json_sorted:8.2f}x")


if __name__ == "__main__":
    main()
