"""The violating-resource heuristic: addresses in prints and in rule values."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.report import RuleResult, find_violations
from tfc_sentinel.report.violations import find_addresses


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("aws_s3_bucket.logs has acl public-read", ["aws_s3_bucket.logs"]),
        ("module.x.aws_instance.web[0] is too big", ["module.x.aws_instance.web[0]"]),
        ('module.a["k"].aws_instance.b["x y"] bad', ['module.a["k"].aws_instance.b["x y"]']),
        (
            "module.vpc.module.sub.google_compute_network.net",
            ["module.vpc.module.sub.google_compute_network.net"],
        ),
        ("data.aws_ami.ubuntu is old", ["data.aws_ami.ubuntu"]),
        ('{"azurerm_storage_account.sa": 1}', ["azurerm_storage_account.sa"]),
        ("aws_instance.web.tags is missing", ["aws_instance.web"]),
        ("null_resource.x and random_id.y.", ["null_resource.x", "random_id.y"]),
        ("aws_instance.a, aws_instance.a again", ["aws_instance.a"]),
        # not addresses: file names, function calls, plan fields, prose
        ("loaded mock-tfplan-v2.sentinel", []),
        ("see tfplan_functions.sentinel", []),
        ("tfplan_functions.find_resources(x)", []),
        ("resource_changes.foo planned_values.outputs", []),
        ("main.sentinel rc.change.after version 1.2.3", []),
    ],
)
def test_find_addresses(text: str, addresses: list[str]) -> None:
    assert find_addresses(text) == addresses


def test_prints_come_first_and_keep_their_wording() -> None:
    rules = {
        "main": RuleResult("main", False),
        "violators": RuleResult(
            "violators", {"aws_s3_bucket.logs": {"acl": "public-read"}, "aws_s3_bucket.b": {}}
        ),
    }
    found = find_violations(["aws_s3_bucket.logs has acl public-read"], rules, False)
    assert [(v.address, v.source) for v in found] == [
        ("aws_s3_bucket.logs", "print"),
        ("aws_s3_bucket.b", "rule:violators"),
    ]
    assert found[0].description == "aws_s3_bucket.logs has acl public-read"


def test_rule_value_shapes() -> None:
    rules = {
        # tfplan-functions style: {"messages": {address: message}}
        "messages": RuleResult(
            "messages",
            {"messages": {"aws_instance.a": "aws_instance.a has instance_type t2.large"}, "count": 1},
        ),
        # a filter over resource_changes: a list of change objects with "address"
        "changes": RuleResult("changes", [{"address": "aws_instance.b", "change": {"actions": ["create"]}}]),
        # plain list of addresses, undefined and ints ignored
        "addresses": RuleResult("addresses", ["aws_instance.c", UNDEFINED, 3, "not an address"]),
        "flag": RuleResult("flag", True),
    }
    found = {v.address: v for v in find_violations([], rules)}
    assert list(found) == ["aws_instance.a", "aws_instance.b", "aws_instance.c"]
    assert found["aws_instance.a"].description == "aws_instance.a has instance_type t2.large"
    assert found["aws_instance.b"].source == "rule:changes"


def test_main_value_used_when_not_traced() -> None:
    found = find_violations([], {}, ["google_storage_bucket.public"])
    assert [(v.address, v.source) for v in found] == [("google_storage_bucket.public", "rule:main")]


def test_descriptions_are_short() -> None:
    found = find_violations(["aws_instance.a " + "x" * 1000], {})
    assert len(found[0].description) <= 300


def test_a_leading_address_and_separator_are_not_repeated_in_the_description() -> None:
    found = find_violations(["aws_s3_bucket.legacy: protected resource would be deleted"], {})
    assert [(v.address, v.description) for v in found] == [
        ("aws_s3_bucket.legacy", "protected resource would be deleted")
    ]
