"""Loading a ~50 MB ``mock-tfplan-v2.sentinel`` with ``fastload.load_literals`` vs ``json.loads``.

Builds a synthetic ``terraform show -json`` plan with 20,000 varied resource changes (several providers
and types, modules, count and for_each indexes, nested blocks, tags, lists, floats, unknowns, awkward
strings), renders the mock with the project's writer (``build_mock_files``), writes it to a temporary
file and measures in the same run, best of several rounds:

(a) ``json.loads`` of the same top-level values as one JSON document (``undefined`` written as ``null``);
(b) ``load_literals`` of the mock file's text, and (c) ``evaluate_module``, the whole path the engine
takes to turn a mock file into an import (literals plus the parsed and evaluated functions).

Checks that (b) gives the writer's data back, then prints sizes, times, the ratio (target ≤ 5x; the
GC-paused ``json.loads`` is shown too, since ``load_literals`` pauses the GC while decoding) and the
tracemalloc peak of (b) relative to the file size (target ≤ 6x); exits non-zero when a target is
missed. The v1 ``mock-tfplan.sentinel`` of the same plan is measured for information.

    .venv/bin/python bench/bench_mockload.py [resources] [rounds]
"""

from __future__ import annotations

import gc
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from tfc_sentinel.bundle import UNDEFINED as WRITER_UNDEFINED
from tfc_sentinel.bundle import build_mock_files
from tfc_sentinel.bundle.tfplan import tfplan_v2_data
from tfc_sentinel.lang import evaluate_module
from tfc_sentinel.lang.fastload import load_literals
from tfc_sentinel.lang.values import UNDEFINED

RESOURCES = 20_000
ROUNDS = 3
TIME_TARGET = 5.0
MEMORY_TARGET = 6.0

_PROVIDERS = {
    "aws": "registry.terraform.io/hashicorp/aws",
    "google": "registry.terraform.io/hashicorp/google",
    "azurerm": "registry.terraform.io/hashicorp/azurerm",
    "kubernetes": "registry.terraform.io/hashicorp/kubernetes",
}
_TYPES = [
    ("aws", "aws_instance"),
    ("aws", "aws_s3_bucket"),
    ("aws", "aws_security_group"),
    ("aws", "aws_iam_role"),
    ("google", "google_compute_instance"),
    ("azurerm", "azurerm_storage_account"),
    ("kubernetes", "kubernetes_deployment"),
]
_WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()
_ODD = ['say "hi"\n', "C:\\temp\\x", "ünïcode ✓ 雪", "${var.x} // # not comments", "tab\there", "\x01\x7f"]


def _attributes(rng: random.Random, rtype: str, i: int) -> dict[str, Any]:
    """Type-flavoured attributes, a few hundred bytes of JSON each."""
    tags = {"Name": f"{rtype}-{i}", "Owner": rng.choice(_WORDS)} if i % 2 else {"Name": f"{rtype}-{i}"}
    values: dict[str, Any] = {"tags": tags}
    if rtype == "aws_instance":
        values |= {
            "ami": f"ami-{rng.getrandbits(64):016x}",
            "instance_type": rng.choice(["t3.micro", "t3.large", "m5.xlarge"]),
            "cpu_core_count": rng.randint(1, 64),
            "root_block_device": [{"volume_size": rng.randint(8, 500), "encrypted": True, "iops": None}],
            "vpc_security_group_ids": [f"sg-{rng.getrandbits(32):08x}" for _ in range(rng.randint(1, 2))],
            "user_data": rng.choice(_ODD) if i % 50 == 0 else None,
        }
    elif rtype == "aws_s3_bucket":
        values |= {
            "bucket": f"bucket-{i}-{rng.choice(_WORDS)}",
            "force_destroy": False,
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "Resource": f"arn:aws:s3:::bucket-{i}/*"}]}
            ),
        }
    elif rtype == "aws_security_group":
        values["ingress"] = [
            {
                "from_port": port,
                "to_port": port,
                "protocol": "tcp",
                "cidr_blocks": [f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24"],
                "description": rng.choice(_ODD) if i % 97 == 0 else "",
            }
            for port in rng.sample([22, 80, 443, 5432, 6379, 8080], 1)
        ]
    elif rtype == "aws_iam_role":
        values |= {"name": f"role-{i}", "max_session_duration": 3600, "path": "/service/"}
    elif rtype == "google_compute_instance":
        values |= {
            "machine_type": rng.choice(["e2-small", "n2-standard-4"]),
            "labels": {"team": rng.choice(_WORDS)},
            "scheduling": [{"preemptible": False}],
        }
    elif rtype == "azurerm_storage_account":
        values |= {
            "account_tier": "Standard",
            "network_rules": [{"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]}],
        }
    else:
        values |= {
            "metadata": [{"name": f"app-{i}", "namespace": "default", "labels": {"app": f"app-{i}"}}],
            "spec": [{"replicas": rng.randint(1, 5), "cpu_limit": rng.choice([0.25, 0.5, 1.5])}],
        }
    return values


def synthetic_plan(resources: int = RESOURCES, seed: int = 7) -> dict[str, Any]:
    """A ``terraform show -json`` plan: modules, count/for_each indexes, varied types, unknowns."""
    rng = random.Random(seed)
    root: list[dict[str, Any]] = []
    children: dict[str, list[dict[str, Any]]] = {}
    changes: list[dict[str, Any]] = []
    for i in range(resources):
        provider, rtype = _TYPES[i % len(_TYPES)]
        module = "" if i % 3 == 0 else f"module.m{i % 17}"
        index: int | str | None = i if i % 2 else (f"k{i}" if i % 4 == 0 else None)
        suffix = "" if index is None else f"[{index}]" if isinstance(index, int) else f'["{index}"]'
        address = f"{module + '.' if module else ''}{rtype}.r{i}{suffix}"
        after = _attributes(rng, rtype, i)
        unknown = {"id": True} if i % 5 else {}
        base: dict[str, Any] = {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": f"r{i}",
            "provider_name": _PROVIDERS[provider],
        }
        if index is not None:
            base["index"] = index
        planned = {**base, "schema_version": 1, "values": after}
        (children.setdefault(module, []) if module else root).append(planned)
        change = {**base, "change": {"actions": ["create"] if i % 4 else ["update"], "before": None}}
        if module:
            change["module_address"] = module
        change["change"] |= {
            "after": after,
            "after_unknown": unknown,
            "before_sensitive": False,
            "after_sensitive": False,
        }
        if i % 400 == 0:
            del change["change"]["after"]  # no "after" at all: the writer stores undefined
        changes.append(change)
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": {"region": {"value": "eu-west-1"}, "count": {"value": 3}},
        "planned_values": {
            "outputs": {"ids": {"sensitive": False}},  # unknown output: undefined
            "root_module": {
                "resources": root,
                "child_modules": [
                    {"address": name, "resources": rs} for name, rs in sorted(children.items())
                ],
            },
        },
        "resource_changes": changes,
        "output_changes": {"ids": {"actions": ["create"], "before": None, "after_unknown": True}},
    }


def _best(rounds: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _peak(func: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        result = func()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak


def _plain(value: Any) -> Any:
    if value is UNDEFINED or value is WRITER_UNDEFINED:
        return None
    raise TypeError(type(value).__name__)


def _paused(func: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        gc.disable()
        try:
            return func()
        finally:
            gc.enable()

    return run


def _read_back(text: str) -> str:
    """The text as a loader gets it: written to a file and read again."""
    with tempfile.NamedTemporaryFile("w", suffix=".sentinel", encoding="utf-8", delete=False) as handle:
        handle.write(text)
        path = handle.name
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    finally:
        os.unlink(path)


def _measure(label: str, text: str, json_text: str, rounds: int) -> tuple[float, float]:
    size = len(text.encode("utf-8"))
    t_json = _best(rounds, lambda: json.loads(json_text))
    t_json_paused = _best(rounds, _paused(lambda: json.loads(json_text)))
    t_fast = _best(rounds, lambda: load_literals(text, label))
    t_engine = _best(rounds, lambda: evaluate_module(text, label))
    peak_json = _peak(lambda: json.loads(json_text))
    peak_fast = _peak(lambda: load_literals(text, label))
    peak_engine = _peak(lambda: evaluate_module(text, label))
    print(f"{label:26s} {size / 1e6:7.1f} MB   json of the same values {len(json_text) / 1e6:6.1f} MB")
    print(f"  (a) json.loads                {t_json * 1000:8.0f} ms   peak {peak_json / 1e6:6.0f} MB")
    print(f"      json.loads, GC paused     {t_json_paused * 1000:8.0f} ms")
    print(f"  (b) load_literals             {t_fast * 1000:8.0f} ms   peak {peak_fast / 1e6:6.0f} MB")
    print(
        f"  time (b)/(a)                  {t_fast / t_json:8.2f}x  (vs GC-paused json.loads {t_fast / t_json_paused:.2f}x)"
    )
    print(f"  peak memory of (b) / file     {peak_fast / size:8.2f}x")
    print(f"  (c) evaluate_module (engine)  {t_engine * 1000:8.0f} ms   peak {peak_engine / 1e6:6.0f} MB")
    print(
        f"  time (c)/(a)                  {t_engine / t_json:8.2f}x   memory (c) / file {peak_engine / size:.2f}x"
    )
    return max(t_fast, t_engine) / t_json, max(peak_fast, peak_engine) / size


def main(argv: list[str]) -> int:
    resources = int(argv[1]) if len(argv) > 1 else RESOURCES
    rounds = int(argv[2]) if len(argv) > 2 else ROUNDS
    plan = synthetic_plan(resources)
    files = build_mock_files(plan)
    v2_data = dict(tfplan_v2_data(plan))
    text = _read_back(files["mock-tfplan-v2.sentinel"])
    module = load_literals(text, "mock-tfplan-v2.sentinel")
    if module.rest or json.dumps(module.values, default=_plain, sort_keys=True) != json.dumps(
        v2_data, default=_plain, sort_keys=True
    ):
        print("load_literals does not give the writer's data back")
        return 1
    del module
    print(f"synthetic plan: {resources} resource changes (best of {rounds} rounds)")
    ratio, memory = _measure(
        "mock-tfplan-v2.sentinel", text, json.dumps(v2_data, default=_plain, ensure_ascii=False), rounds
    )
    print(f"targets: time <= {TIME_TARGET:g}x, memory <= {MEMORY_TARGET:g}x")
    v1_text = _read_back(files["mock-tfplan.sentinel"])
    v1_values = load_literals(v1_text, "mock-tfplan.sentinel").values
    print("for information, v1 (integer map keys take the object_pairs_hook path):")
    _measure(
        "mock-tfplan.sentinel", v1_text, json.dumps(v1_values, default=_plain, ensure_ascii=False), rounds
    )
    return 0 if ratio <= TIME_TARGET and memory <= MEMORY_TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
