"""Content of the generated mock files, read back with the test-only Sentinel reader."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bundle.sentinel_reader import Alias, Function, read_module
from tfc_sentinel.bundle import UNDEFINED, BundleError, build_mock_files
from tfc_sentinel.bundle.layout import IMPORT_FILES, MOCK_FILES
from tfc_sentinel.bundle.model import parse_mocks
from tfc_sentinel.bundle.planjson import module_path
from tfc_sentinel.bundle.tfplan import v1_diff

V2_PLAN_NAMES = [
    "terraform_version",
    "planned_values",
    "variables",
    "resource_changes",
    "resource_drift",
    "output_changes",
    "raw",
]


def _mocks(
    plan: dict[str, Any], run: dict[str, Any] | None = None
) -> dict[str, tuple[list[str], dict[str, Any]]]:
    files = build_mock_files(plan, run)
    return {name: read_module(text) for name, text in files.items() if name.endswith(".sentinel")}


def test_bundle_has_sentinel_hcl_and_every_mock_file(mixed_plan: dict[str, Any]) -> None:
    files = build_mock_files(mixed_plan)
    assert next(iter(files)) == "sentinel.hcl"
    assert sorted(files) == sorted(["sentinel.hcl", *MOCK_FILES])
    assert len(MOCK_FILES) == 7


def test_sentinel_hcl_maps_every_import_name(mixed_plan: dict[str, Any]) -> None:
    modules, data = parse_mocks(build_mock_files(mixed_plan)["sentinel.hcl"])
    assert data == {}
    assert modules == IMPORT_FILES
    assert modules["tfplan"] == modules["tfplan/v1"] == "mock-tfplan.sentinel"
    assert modules["tfplan/v2"] == "mock-tfplan-v2.sentinel"
    assert modules["tfrun"] == "mock-tfrun.sentinel"


def test_tfplan_v2_top_level_names_in_order(mixed_plan: dict[str, Any]) -> None:
    imports, names = _mocks(mixed_plan)["mock-tfplan-v2.sentinel"]
    assert imports == []
    assert list(names) == V2_PLAN_NAMES
    assert names["terraform_version"] == "1.5.7"
    assert names["raw"] == mixed_plan  # the whole plan JSON, as data


def test_tfplan_v2_planned_values(mixed_plan: dict[str, Any]) -> None:
    planned = _mocks(mixed_plan)["mock-tfplan-v2.sentinel"][1]["planned_values"]
    resources = planned["resources"]
    assert set(resources) == {
        "aws_db_instance.main",
        'aws_iam_user.team["alice"]',
        'aws_iam_user.team["bob"]',
        "aws_instance.web[0]",
        "aws_instance.web[1]",
        "aws_s3_bucket.logs",
        "data.aws_ami.ubuntu",
        "module.network.aws_vpc.this",
        'module.network.module.subnets["a"].aws_subnet.this[0]',
    }
    web0 = resources["aws_instance.web[0]"]
    assert list(web0) == [
        "address",
        "depends_on",
        "deposed_key",
        "index",
        "mode",
        "module_address",
        "name",
        "provider_name",
        "tainted",
        "type",
        "values",
    ]
    assert web0["index"] == 0 and web0["module_address"] == "" and web0["tainted"] is False
    assert web0["values"]["ebs_optimized"] == 1.5 and type(web0["values"]["ebs_optimized"]) is float
    assert resources['aws_iam_user.team["bob"]']["index"] == "bob"
    assert resources["aws_db_instance.main"]["index"] is None
    assert resources["data.aws_ami.ubuntu"]["mode"] == "data"
    subnet = resources['module.network.module.subnets["a"].aws_subnet.this[0]']
    assert subnet["module_address"] == 'module.network.module.subnets["a"]'
    # Unknown output value: Terraform leaves it out, the mock says undefined.
    assert planned["outputs"]["bucket_arn"] == {"name": "bucket_arn", "sensitive": False, "value": UNDEFINED}
    assert planned["outputs"]["db_endpoint"]["value"] == "db.internal:5432"


def test_tfplan_v2_resource_changes(mixed_plan: dict[str, Any]) -> None:
    changes = _mocks(mixed_plan)["mock-tfplan-v2.sentinel"][1]["resource_changes"]
    assert len(changes) == len(mixed_plan["resource_changes"])
    replaced = changes["module.network.aws_vpc.this"]
    assert replaced["change"]["actions"] == ["create", "delete"]
    assert replaced["deposed"] == "" and replaced["module_address"] == "module.network"
    assert replaced["change"]["replace_paths"] == [["cidr_block"]]
    deposed = changes["module.network.aws_vpc.this:2b7c1e9f"]
    assert deposed["deposed"] == "2b7c1e9f" and deposed["change"]["actions"] == ["delete"]
    assert deposed["change"]["after"] is None
    bob = changes['aws_iam_user.team["bob"]']
    assert bob["change"]["before"] is None
    assert bob["change"]["after_unknown"]["arn"] is True
    assert "arn" not in bob["change"]["after"]
    db = changes["aws_db_instance.main"]["change"]
    # Sensitive values are kept as in the plan JSON, with Terraform's masks beside them.
    assert db["after"]["password"] == 'hunter2-"quoted"\n'
    assert db["after_sensitive"] == {"password": True, "tags": {}}
    assert db["before_sensitive"] == {"password": True, "tags": {}}
    assert changes["data.aws_ami.ubuntu"]["change"]["actions"] == ["read"]
    assert changes["aws_instance.old"]["change"]["actions"] == ["delete"]
    assert changes['aws_iam_user.team["alice"]']["change"]["actions"] == ["no-op"]
    assert list(changes["aws_instance.old"]) == [
        "address",
        "change",
        "deposed",
        "index",
        "mode",
        "module_address",
        "name",
        "provider_name",
        "type",
    ]


def test_tfplan_v2_drift_outputs_and_variables(mixed_plan: dict[str, Any]) -> None:
    names = _mocks(mixed_plan)["mock-tfplan-v2.sentinel"][1]
    assert list(names["resource_drift"]) == ["aws_instance.web[1]"]
    bucket = names["output_changes"]["bucket_arn"]
    assert bucket["name"] == "bucket_arn"
    assert bucket["change"]["after"] is UNDEFINED and bucket["change"]["after_unknown"] is True
    assert names["variables"]["instance_count"] == {"name": "instance_count", "value": 2}
    assert names["variables"]["common_tags"]["value"] == {"CostCenter": "42", "Owner": "platform"}


def test_tfconfig_v2(mixed_plan: dict[str, Any]) -> None:
    imports, names = _mocks(mixed_plan)["mock-tfconfig-v2.sentinel"]
    assert imports == ["strings"]
    assert list(names) == [
        "providers",
        "resources",
        "provisioners",
        "variables",
        "outputs",
        "module_calls",
        "strip_index",
    ]
    assert isinstance(names["strip_index"], Function) and names["strip_index"].params == ("addr",)
    assert set(names["providers"]) == {"aws", "aws.west", "module.network:aws"}
    assert names["providers"]["aws.west"]["alias"] == "west"
    assert names["providers"]["module.network:aws"]["module_address"] == "module.network"
    resources = names["resources"]
    assert set(resources) == {
        "aws_db_instance.main",
        "aws_iam_user.team",
        "aws_instance.web",
        "aws_s3_bucket.logs",
        "data.aws_ami.ubuntu",
        "module.network.aws_vpc.this",
        "module.network.module.subnets.aws_subnet.this",
    }
    web = resources["aws_instance.web"]
    assert web["count"] == {"references": ["var.instance_count"]}
    assert web["for_each"] == {}
    assert web["config"]["instance_type"] == {"constant_value": "t3.large"}
    assert web["config"]["root_block_device"][0]["volume_size"] == {"constant_value": 20}
    assert web["provisioners"][0]["type"] == "local-exec"
    assert resources["aws_iam_user.team"]["for_each"] == {"references": ["var.team"]}
    assert resources["module.network.aws_vpc.this"]["module_address"] == "module.network"
    assert list(names["provisioners"]) == ["aws_instance.web:0"]
    assert names["provisioners"]["aws_instance.web:0"]["resource_address"] == "aws_instance.web"
    assert set(names["variables"]) == {
        "common_tags",
        "db_password",
        "instance_count",
        "region",
        "team",
        "module.network:cidr",
        "module.network.module.subnets:vpc_id",
    }
    assert names["variables"]["module.network:cidr"]["default"] == "10.0.0.0/16"
    assert names["variables"]["db_password"]["default"] is None
    assert set(names["outputs"]) == {"bucket_arn", "db_endpoint", "web_ids", "module.network:vpc_id"}
    assert names["outputs"]["db_endpoint"]["sensitive"] is True
    calls = names["module_calls"]
    assert set(calls) == {"network", "module.network:subnets"}
    assert calls["module.network:subnets"]["version_constraint"] == ">= 1.0.0, < 2.0.0"
    assert calls["module.network:subnets"]["for_each"] == {"constant_value": {"a": "10.1.1.0/24"}}
    assert calls["network"]["count"] == {}


def test_tfstate_v2(mixed_plan: dict[str, Any]) -> None:
    _imports, names = _mocks(mixed_plan)["mock-tfstate-v2.sentinel"]
    assert list(names) == ["terraform_version", "outputs", "resources"]
    assert names["outputs"]["db_endpoint"] == {
        "name": "db_endpoint",
        "sensitive": True,
        "value": "db.internal:5432",
    }
    resources = names["resources"]
    assert resources["aws_instance.web[1]"]["tainted"] is True
    assert resources["aws_instance.old"]["depends_on"] == ["data.aws_ami.ubuntu"]
    assert resources["module.network.aws_vpc.this"]["values"]["id"] == "vpc-0old"
    assert resources["module.network.aws_vpc.this:2b7c1e9f"]["deposed_key"] == "2b7c1e9f"


def test_tfrun_from_metadata(mixed_plan: dict[str, Any], run_metadata: dict[str, Any]) -> None:
    imports, names = _mocks(mixed_plan, run_metadata)["mock-tfrun.sentinel"]
    assert imports == ["strings", "types"]
    assert names["id"] == "run-CZcmD7eagjhyX0vN"
    assert names["speculative"] is True
    assert names["target_addrs"] == ["aws_instance.web"]
    assert names["organization"] == {"name": "acme"}
    workspace = names["workspace"]
    assert workspace["auto_apply"] is True and workspace["tags"] == ["prod", "network"]
    assert workspace["vcs_repo"]["identifier"] == "acme/networking"
    assert names["cost_estimate"] == {
        "delta_monthly_cost": "22.044",
        "prior_monthly_cost": "10.5",
        "proposed_monthly_cost": "32.544",
    }
    assert names["variables"]["AWS_SECRET_ACCESS_KEY"] == {"category": "env", "sensitive": True}


def test_tfrun_defaults_without_metadata(empty_plan: dict[str, Any]) -> None:
    names = _mocks(empty_plan)["mock-tfrun.sentinel"][1]
    assert list(names)[:11] == [
        "id",
        "created_at",
        "message",
        "commit_sha",
        "speculative",
        "is_destroy",
        "target_addrs",
        "refresh",
        "refresh_only",
        "replace_addrs",
        "variables",
    ]
    assert names["commit_sha"] is UNDEFINED
    assert names["target_addrs"] is None
    assert names["speculative"] is False and names["is_destroy"] is False
    assert names["workspace"]["description"] is None and names["workspace"]["vcs_repo"] is None
    assert names["workspace"]["working_directory"] == ""
    assert names["cost_estimate"] is UNDEFINED


def test_v1_tfplan_module_tree(mixed_plan: dict[str, Any]) -> None:
    imports, names = _mocks(mixed_plan)["mock-tfplan.sentinel"]
    assert imports == ["strings", "types"]
    assert list(names) == [
        "_modules",
        "module_paths",
        "terraform_version",
        "variables",
        "module",
        "data",
        "path",
        "resources",
    ]
    assert names["module"].params == ("path",)
    assert names["resources"] == Alias("_modules.root.resources")
    assert names["module_paths"] == [[], ["network"], ["network", "subnets"]]
    modules = names["_modules"]
    assert set(modules) == {"root", "module.network", "module.network.module.subnets"}
    root = modules["root"]
    assert root["path"] == []
    web = root["resources"]["aws_instance"]["web"]
    assert set(web) == {0, 1}  # integer instance keys
    assert web[0]["destroy"] is False and web[0]["requires_new"] is False
    assert web[0]["applied"]["instance_type"] == "t3.large"
    diff = web[0]["diff"]
    assert diff["instance_type"] == {"computed": False, "new": "t3.large", "old": "t3.micro"}
    assert diff["public_ip"] == {"computed": True, "new": "", "old": ""}
    assert diff["root_block_device.0.volume_id"]["computed"] is True
    assert diff["root_block_device.0.volume_size"] == {"computed": False, "new": "20", "old": "10"}
    assert diff["tags.%"] == {"computed": False, "new": "2", "old": "1"}
    assert diff["tags.Owner"]["new"] == "platform"
    assert diff["cpu_core_count"] == {"computed": False, "new": "2", "old": "1"}
    assert web[1]["diff"] == {}  # no-op
    team = root["resources"]["aws_iam_user"]["team"]
    assert set(team) == {"alice", "bob"}  # for_each keys stay strings
    assert root["data"]["aws_ami"]["ubuntu"][0]["diff"]["id"]["computed"] is True
    old = root["resources"]["aws_instance"]["old"][0]
    assert old == {"destroy": True, "diff": {}, "requires_new": False}
    vpc = modules["module.network"]["resources"]["aws_vpc"]["this"][0]
    assert vpc["destroy"] is True and vpc["requires_new"] is True
    assert vpc["diff"]["cidr_block"] == {"computed": False, "new": "10.1.0.0/16", "old": "10.0.0.0/16"}
    subnet = modules["module.network.module.subnets"]
    assert subnet["path"] == ["network", "subnets"]
    assert subnet["resources"]["aws_subnet"]["this"][0]["applied"]["cidr_block"] == "10.1.1.0/24"
    assert names["variables"]["team"] == ["alice", "bob"]


def test_v1_tfstate(mixed_plan: dict[str, Any]) -> None:
    names = _mocks(mixed_plan)["mock-tfstate.sentinel"][1]
    assert list(names) == [
        "_modules",
        "module_paths",
        "terraform_version",
        "module",
        "data",
        "outputs",
        "path",
        "resources",
    ]
    root = names["_modules"]["root"]
    web1 = root["resources"]["aws_instance"]["web"][1]
    assert web1["attr"]["instance_type"] == "t3.micro"
    assert web1["id"] == "i-0bbb" and web1["tainted"] is True
    assert root["outputs"]["web_ids"] == {"sensitive": False, "type": "list", "value": ["i-0aaa", "i-0bbb"]}
    assert root["data"]["aws_ami"]["ubuntu"][0]["attr"]["most_recent"] is True
    assert names["_modules"]["module.network"]["resources"]["aws_vpc"]["this"][0]["id"] == "vpc-0old"


def test_v1_tfconfig(mixed_plan: dict[str, Any]) -> None:
    names = _mocks(mixed_plan)["mock-tfconfig.sentinel"][1]
    assert "terraform_version" not in names
    root = names["_modules"]["root"]
    assert set(root) == {"data", "modules", "outputs", "providers", "resources", "variables"}
    web = root["resources"]["aws_instance"]["web"]
    assert web["config"] == {
        "instance_type": "t3.large",
        "root_block_device": [{"encrypted": True, "volume_size": 20}],
    }
    assert web["references"]["ami"] == ["data.aws_ami.ubuntu.id", "data.aws_ami.ubuntu"]
    assert web["references"]["instance_type"] == []
    assert web["provisioners"] == [
        {"config": {"command": "echo hello"}, "references": {"command": []}, "type": "local-exec"}
    ]
    assert root["resources"]["aws_s3_bucket"]["logs"]["provisioners"] is None
    assert root["data"]["aws_ami"]["ubuntu"]["config"]["owners"] == ["099720109477"]
    aws = root["providers"]["aws"]
    assert aws["version"] == "~> 5.0" and aws["references"] == {"region": ["var.region"]}
    assert aws["alias"]["west"]["config"] == {"region": "us-west-2"}
    assert root["modules"]["network"] == {
        "config": {"cidr": "10.1.0.0/16"},
        "references": {"cidr": []},
        "source": "./modules/network",
        "version": "",
    }
    assert root["outputs"]["bucket_arn"]["value"] is UNDEFINED
    assert root["variables"]["region"] == {"default": "eu-west-1", "description": "AWS region"}
    network = names["_modules"]["module.network"]
    assert network["providers"]["aws"]["config"] == {"default_tags": [{"tags": {"Module": "network"}}]}
    assert names["module_paths"] == [[], ["network"], ["network", "subnets"]]


def test_empty_plan(empty_plan: dict[str, Any]) -> None:
    mocks = _mocks(empty_plan)
    v2 = mocks["mock-tfplan-v2.sentinel"][1]
    assert v2["planned_values"] == {"outputs": {}, "resources": {}}
    assert v2["resource_changes"] == {} and v2["variables"] == {} and v2["output_changes"] == {}
    assert mocks["mock-tfstate-v2.sentinel"][1] == {
        "terraform_version": "1.5.7",
        "outputs": {},
        "resources": {},
    }
    v1 = mocks["mock-tfplan.sentinel"][1]
    assert v1["_modules"] == {"root": {"data": {}, "path": [], "resources": {}}}
    assert v1["module_paths"] == [[]]
    config = mocks["mock-tfconfig-v2.sentinel"][1]
    assert all(
        config[name] == {} for name in ("providers", "resources", "variables", "outputs", "module_calls")
    )


def test_destroy_plan(destroy_plan: dict[str, Any]) -> None:
    mocks = _mocks(destroy_plan)
    v2 = mocks["mock-tfplan-v2.sentinel"][1]
    assert v2["planned_values"]["resources"] == {}
    assert {key: change["change"]["actions"] for key, change in v2["resource_changes"].items()} == {
        "module.app[0].aws_instance.this": ["delete"],
        "random_id.suffix": ["delete"],
    }
    assert v2["output_changes"]["suffix"]["change"]["after"] is None
    v1 = mocks["mock-tfplan.sentinel"][1]
    # v1 has no module instances: module.app[0] is the module path ["app"].
    app = v1["_modules"]["module.app"]["resources"]["aws_instance"]["this"][0]
    assert app == {"destroy": True, "diff": {}, "requires_new": False}
    state = mocks["mock-tfstate-v2.sentinel"][1]
    assert state["terraform_version"] == "1.6.6"
    assert set(state["resources"]) == {"module.app[0].aws_instance.this", "random_id.suffix"}
    assert mocks["mock-tfstate.sentinel"][1]["module_paths"] == [[], ["app"]]


def test_v1_diff_handles_unknown_collections() -> None:
    diff = v1_diff({"sg": ["a"], "m": {"k": "v"}}, {}, {"sg": True, "m": True, "id": True})
    assert diff["sg.#"]["computed"] is True
    assert diff["m.%"]["computed"] is True
    assert diff["id"] == {"computed": True, "new": "", "old": ""}
    assert diff["sg.0"] == {"computed": False, "new": "", "old": "a"}


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"format_version": "1.0", "values": {}},  # state JSON, not a plan
        {"planned_values": {}},
    ],
)
def test_non_plans_are_refused(data: Any) -> None:
    with pytest.raises(BundleError, match="not a Terraform plan"):
        build_mock_files(data)


def test_output_is_deterministic(mixed_plan: dict[str, Any], run_metadata: dict[str, Any]) -> None:
    assert build_mock_files(mixed_plan, run_metadata) == build_mock_files(mixed_plan, run_metadata)


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("", []),
        ("module.a", ["a"]),
        ("module.a[0].module.b", ["a", "b"]),
        ('module.a["module.x"].module.b["k\\"]"]', ["a", "b"]),
        ("module.my-mod", ["my-mod"]),
    ],
)
def test_module_paths_drop_instance_keys(address: str, path: list[str]) -> None:
    assert module_path(address) == path


def test_malformed_module_address_is_a_bundle_error() -> None:
    with pytest.raises(BundleError, match="malformed module address"):
        module_path("module.a[oops")
