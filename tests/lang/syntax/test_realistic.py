"""Whole files in the style of real Terraform policies and mock modules parse to the expected shape."""

from __future__ import annotations

from tfc_sentinel.lang import ast, parse

from .helpers import to_sentinel

POLICY = """\
# Restrict EC2 instance types and require owner tags; written for these tests.
import "tfplan/v2" as tfplan
import "strings"
import "types"
import "collection/maps" as maps

param allowed_types default ["t3.micro", "t3.small"]
param required_tags default ["owner", "cost-center"]
param max_count default 10

// Managed resources being created or updated.
changes = filter tfplan.resource_changes as _, rc {
\trc.mode is "managed" and
\t(rc.change.actions contains "create" or rc.change.actions contains "update")
}

func is_tagged(rc) {
\ttags = rc.change.after.tags else {}
\tfor required_tags as t {
\t\tif tags not contains t {
\t\t\treturn false
\t\t}
\t}
\treturn true
}

instances = filter changes as address, rc {
\trc.type is "aws_instance" and not strings.has_prefix(address, "module.legacy")
}

violations = {}
count = 0
for instances as address, rc {
\tcount += 1
\tcase rc.change.after.instance_type {
\twhen "t3.micro", "t3.small":
\t\tcontinue
\telse:
\t\tviolations[address] = rc.change.after.instance_type
\t}
}

region = maps.get(tfplan.variables, "region.value", "us-east-1")
summary = map violations as address, itype { address + ": " + itype }
print("violations:", length(violations), summary[0:3])

/* Rules: lazily evaluated and memoized. */
has_instances = rule { length(instances) > 0 }
types_ok = rule when has_instances {
\tall instances as _, rc { rc.change.after.instance_type in allowed_types }
}
tags_ok = rule { all changes as _, rc { is_tagged(rc) } }
count_ok = rule { count <= max_count and types.type_of(count) is "int" }
region_ok = rule { region matches "^(eu|us)-" and region is not empty }

main = rule {
\ttypes_ok and
\ttags_ok and
\tcount_ok and
\tregion_ok
}
"""

MOCK = """\
import "strings"
import "types"

speculative  = false
commit_sha   = undefined      # undefined as a stored value
target_addrs = null

_mods = {                     # v1 mocks: private map, integer keys, trailing commas
\t"root": {
\t\t"resources": {
\t\t\t"aws_s3_bucket": {
\t\t\t\t"logs": {
\t\t\t\t\t0: {"applied": {"acl": "private", "tags": null}, "destroy": false,},
\t\t\t\t},
\t\t\t},
\t\t},
\t\t"negative": -9223372036854775808,
\t\t"escaped": "line\\n\\ttab \\"quoted\\" # not a comment",
\t},
}

module = func(path) {         # v1 mocks export functions
\tif types.type_of(path) is not "list" {
\t\terror("path must be a list, got", types.type_of(path))
\t}
\tif length(path) < 1 {
\t\treturn _mods.root
\t}
\tparts = []
\tfor path as p {
\t\tappend(parts, "module")
\t\tappend(parts, p)
\t}
\treturn _mods[strings.join(parts, ".")]
}

drop_indexes = func(addr) {   # v2 tfconfig mocks end with a function like this
\tsegs = strings.split(addr, ".")
\tfor segs as i, s {
\t\tsegs[i] = strings.split(s, "[")[0]   # index assignment in a loop
\t}
\treturn strings.join(segs, ".")
}
"""


def test_policy_parses() -> None:
    file = parse(POLICY, "restrict-ec2.sentinel")
    assert [i.path for i in file.imports] == ["tfplan/v2", "strings", "types", "collection/maps"]
    assert [(p.name, repr(p.default)) for p in file.params] == [
        ("allowed_types", '["t3.micro", "t3.small"]'),
        ("required_tags", '["owner", "cost-center"]'),
        ("max_count", "10"),
    ]
    assigned = {
        s.target.name: s for s in file.body if isinstance(s, ast.Assign) and isinstance(s.target, ast.Ident)
    }
    assert set(assigned) >= {"changes", "instances", "violations", "main", "types_ok", "summary", "region"}
    assert repr(assigned["main"].value) == "(rule (and (and (and types_ok tags_ok) count_ok) region_ok))"
    assert repr(assigned["types_ok"].value) == (
        "(rule (when has_instances) (all instances (_ rc) (in (. (. (. rc change) after) instance_type) allowed_types)))"
    )
    assert repr(assigned["changes"].value) == (
        '(filter (. tfplan resource_changes) (_ rc) (and (is (. rc mode) "managed") '
        '(or (contains (. (. rc change) actions) "create") (contains (. (. rc change) actions) "update"))))'
    )
    (func,) = [s for s in file.body if isinstance(s, ast.FuncDecl)]
    assert repr(func) == (
        "(funcdecl is_tagged (rc) (= tags (else (. (. (. rc change) after) tags) {})) "
        "(for required_tags (t) (if (not-contains tags t) (then (return false)))) (return true))"
    )
    (loop,) = [s for s in file.body if isinstance(s, ast.For)]
    assert repr(loop) == (
        "(for instances (address rc) (+= count 1) (case (. (. (. rc change) after) instance_type) "
        '(when ("t3.micro" "t3.small") (continue)) '
        "(else (= ([] violations address) (. (. (. rc change) after) instance_type)))))"
    )
    position = file.source.position(assigned["main"].pos)
    assert (position.filename, position.line, position.column) == ("restrict-ec2.sentinel", 56, 1)


def test_mock_module_parses() -> None:
    file = parse(MOCK, "mock-tfplan.sentinel")
    assert [i.path for i in file.imports] == ["strings", "types"]
    names = [s.target.name for s in file.body if isinstance(s, ast.Assign)]  # type: ignore[attr-defined]
    assert names == ["speculative", "commit_sha", "target_addrs", "_mods", "module", "drop_indexes"]
    mods = file.body[3].value  # type: ignore[attr-defined]
    # Integer keys are not plain JSON data: the outer maps stay nodes, the JSON-compatible inner
    # value after "0:" is decoded in one step.
    assert isinstance(mods, ast.MapLit)
    assert repr(mods) == (
        '{"root": {"resources": {"aws_s3_bucket": {"logs": {0: {"applied": {"acl": "private", "tags": null}, '
        '"destroy": false}}}}, "negative": -9223372036854775808, "escaped": "line\\n\\ttab \\"quoted\\" # not a comment"}}'
    )
    inner = [n for n in ast.walk(mods) if isinstance(n, ast.Constant)]
    # "false,}" has no line break before "}", so that map stays nodes (see the scanner's _JsonView).
    assert [n.value for n in inner] == [{"acl": "private", "tags": None}]
    drop = file.body[5].value  # type: ignore[attr-defined]
    assert repr(drop) == (
        '(func (addr) (= segs (call (. strings split) addr ".")) (for segs (i s) (= ([] segs i) '
        '([] (call (. strings split) s "[") 0))) (return (call (. strings join) segs ".")))'
    )
    assert repr(parse(MOCK, fast_literals=False)) == repr(file)


def test_generated_v2_mock_matches_json() -> None:
    data = {
        "terraform_version": "1.9.5",
        "resource_changes": {
            f"aws_instance.web[{i}]": {
                "address": f"aws_instance.web[{i}]",
                "index": i,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": {
                        "ami": "ami-123",
                        "tags": {"owner": "me"},
                        "count": -1,
                        "ratio": 0.5,
                        "ok": True,
                    },
                    "after_unknown": {},
                },
            }
            for i in range(50)
        },
    }
    source = "".join(f"{name} = {to_sentinel(value)}\n\n" for name, value in data.items())
    file = parse(source)
    for stmt, (name, value) in zip(file.body, data.items(), strict=True):
        assert isinstance(stmt, ast.Assign) and stmt.target.name == name  # type: ignore[attr-defined]
        if isinstance(value, dict):
            assert isinstance(stmt.value, ast.Constant)
            assert stmt.value.value == value
