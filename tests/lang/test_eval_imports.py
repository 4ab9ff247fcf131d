"""Imports, Sentinel modules (mock files), params and injected globals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tfc_sentinel.lang import (
    ModuleImporter,
    SentinelImportError,
    SentinelRuntimeError,
    SentinelSyntaxError,
    compile_policy,
    default_importer,
    evaluate,
    evaluate_module,
)

from .eval_helpers import error, run, value

# The mock shape of sentinel.md section 1.
V1_MOCK = """
import "strings"
import "types"

speculative  = false
commit_sha   = undefined
target_addrs = null

_mods = {
	"root": {
		"resources": {
			"aws_s3_bucket": {
				"logs": {
					0: {"applied": {"acl": "private", "tags": null}, "destroy": false,},
				},
			},
		},
	},
	"module.child": {"resources": {}},
}

module = func(path) {
	if types.type_of(path) is not "list" {
		error("path must be a list, got", types.type_of(path))
	}
	if length(path) < 1 {
		return _mods.root
	}
	parts = []
	for path as p {
		append(parts, "module")
		append(parts, p)
	}
	return _mods[strings.join(parts, ".")]
}

drop_indexes = func(addr) {
	segs = strings.split(addr, ".")
	for segs as i, s {
		segs[i] = strings.split(s, "[")[0]
	}
	return strings.join(segs, ".")
}
"""


def test_standard_import_and_alias() -> None:
    assert value('[strings.to_upper("a"), t.type_of(1)]', 'import "strings"\nimport "types" as t') == [
        "A",
        "int",
    ]


def test_import_alias_and_last_segment_binding() -> None:
    mocks = {"tfplan/v2": {"x": 1}, "custom/deep/name": {"y": 2}}
    source = 'import "tfplan/v2"\nimport "custom/deep/name" as c\nmain = v2.x + c.y == 3'
    assert run(source, mocks=mocks).passed


def test_unknown_import_is_import_error() -> None:
    result = run('import "nope"\nmain = true')
    assert isinstance(result.error, SentinelImportError)
    assert '"nope"' in result.error.message
    assert result.error.position is not None and result.error.position.line == 1


def test_http_import_is_import_error() -> None:
    result = run('import "http"\nmain = true')
    assert isinstance(result.error, SentinelImportError)


def test_importer_failures_become_import_errors() -> None:
    def broken(name: str) -> dict[str, object]:
        raise KeyError(name)

    program = compile_policy('import "x"\nmain = true', "p.sentinel")
    result = evaluate(program, imports=broken)
    assert isinstance(result.error, SentinelImportError) and "KeyError" in result.error.message
    result = evaluate(program, imports=lambda name: None)  # type: ignore[arg-type,return-value]
    assert isinstance(result.error, SentinelImportError)


def test_keyword_selectors_on_import_objects() -> None:
    mocks = {"cfg": {"default": 1, "map": 2, "rule": 3, "in": 4}}
    assert run('import "cfg"\nmain = cfg.default + cfg.map + cfg.rule + cfg.in == 10', mocks=mocks).passed


def test_mock_data_overrides_standard_import() -> None:
    mocks = {"time": {"now": {"year": 1999}}}
    assert run('import "time"\nmain = time.now.year is 1999', mocks=mocks).passed


def test_time_now_is_fixed_by_caller() -> None:
    now = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
    assert run('import "time"\nmain = time.now.year is 2024 and time.now.month is 5', now=now).passed


def test_import_names_cannot_be_assigned() -> None:
    with pytest.raises(SentinelSyntaxError, match="names an import"):
        compile_policy('import "strings"\nstrings = 1\nmain = true', "p.sentinel")


def test_v1_mock_module() -> None:
    modules = {"tfplan": (V1_MOCK, "mock-tfplan.sentinel")}
    source = """
import "tfplan"
main = rule {
  tfplan.module([]).resources.aws_s3_bucket.logs[0].applied.acl is "private" and
  tfplan.module(["child"]).resources is empty and
  tfplan.drop_indexes("module.a[0].aws_instance.b[1]") is "module.a.aws_instance.b" and
  tfplan.speculative is false and
  tfplan.commit_sha is not defined and
  tfplan.target_addrs is null
}
"""
    result = run(source, modules=modules)
    assert result.error is None and result.passed


def test_module_error_keeps_module_position() -> None:
    modules = {"tfplan": (V1_MOCK, "mock-tfplan.sentinel")}
    result = run('import "tfplan"\nmain = tfplan.module("x") is null', modules=modules)
    assert result.error is not None
    assert result.error.message == "path must be a list, got string"
    assert result.error.position is not None and result.error.position.filename == "mock-tfplan.sentinel"
    assert any("test.sentinel:2" in frame and "(module)" in frame for frame in result.error.trace)


def test_module_imports_module_and_cycles() -> None:
    modules = {
        "helpers": 'import "base"\ntwice = func(x) { return base.add(x, x) }\n',
        "base": "add = func(a, b) { return a + b }\n",
        "loop_a": 'import "loop_b"\nx = 1\n',
        "loop_b": 'import "loop_a"\ny = 1\n',
        "broken": "x = = 1\n",
    }
    assert run('import "helpers"\nmain = helpers.twice(21) is 42', modules=modules).passed
    cycle = run('import "loop_a"\nmain = true', modules=modules).error
    assert isinstance(cycle, SentinelImportError) and "cycle" in cycle.message
    broken = run('import "broken"\nmain = true', modules=modules).error
    assert isinstance(broken, SentinelImportError) and "syntax error" in broken.message


def test_module_evaluated_once_per_evaluation() -> None:
    modules = {"counter": 'print("loaded")\nvalue = 1\n'}
    importer = default_importer(modules=modules)
    program = compile_policy('import "counter"\nmain = counter.value is 1', "p.sentinel")
    first = evaluate(program, imports=importer)
    second = evaluate(program, imports=importer)
    assert first.passed and second.passed
    assert first.prints == second.prints == "loaded\n"


def test_module_rules_are_exported_as_values() -> None:
    modules = {"m": "r = rule { 1 + 1 == 2 }\n"}
    assert run('import "m"\nmain = m.r', modules=modules).passed


def test_module_importer_standalone() -> None:
    importer = ModuleImporter({"m": "f = func(x) { return x * 2 }\nv = f(4)\n"})
    exports = importer("m")
    assert exports["v"] == 8 and exports["f"](5) == 10


def test_evaluate_module_and_its_functions() -> None:
    exports = evaluate_module(V1_MOCK, "mock-tfplan.sentinel")
    assert set(exports) >= {"speculative", "commit_sha", "target_addrs", "_mods", "module", "drop_indexes"}
    assert "strings" not in exports
    assert exports["drop_indexes"]("a[1].b") == "a.b"
    with pytest.raises(SentinelRuntimeError, match="path must be a list") as info:
        exports["module"]("x")
    assert info.value.position is not None and info.value.position.filename == "mock-tfplan.sentinel"
    # The data and functions serve a later policy evaluation as mock data.
    result = run(
        'import "tfplan"\nmain = tfplan.module([]).resources.aws_s3_bucket.logs[0].destroy is false',
        mocks={"tfplan": exports},
    )
    assert result.passed


def test_evaluate_module_errors() -> None:
    with pytest.raises(SentinelSyntaxError):
        evaluate_module("x = ", "m.sentinel")
    with pytest.raises(SentinelRuntimeError, match="division by zero"):
        evaluate_module("x = 1 / 0", "m.sentinel")


def test_params_default_override_required() -> None:
    source = 'param name\nparam count default 2\nparam tags default {"a": ["b"]}\nmain = rule { name is "x" and count is 2 }'
    assert run(source, params={"name": "x"}).passed
    assert not run(source, params={"name": "x", "count": 3}).passed
    missing = run(source).error
    assert missing is not None and 'param "name" is required' in missing.message
    assert missing.position is not None and missing.position.line == 1


def test_params_are_copied() -> None:
    supplied = {"items": [1, 2]}
    assert run("param items\nappend(items, 3)\nmain = length(items) is 3", params=supplied).passed
    assert supplied == {"items": [1, 2]}


def test_param_conflicting_with_import_is_error() -> None:
    err = error('import "strings"\nparam strings default "x"\nmain = true')
    assert "conflicts with an import" in err.message


def test_params_behave_as_variables() -> None:
    assert value("limit", "param limit default 1\nlimit += 1") == 2


def test_globals_are_injected() -> None:
    assert run(
        'main = rule { region is "eu" and length(data) is 2 }', globals={"region": "eu", "data": [1, 2]}
    ).passed
    err = run('main = rule { region is "eu" }').error
    assert err is not None and '"region" is not defined' in err.message


def test_function_from_a_mock_module_runs_under_the_caller_limits() -> None:
    from tfc_sentinel.lang import Limits

    exports = evaluate_module("spin = func(n) { return spin(n + 1) }\n", "m.sentinel")
    program = compile_policy('import "m"\nmain = m.spin(0)', "p.sentinel")
    result = evaluate(program, imports=default_importer(mocks={"m": exports}), limits=Limits(max_depth=50))
    assert result.error is not None and "limit of 50" in result.error.message


def test_shared_module_importer_evaluates_once() -> None:
    importer = ModuleImporter(
        {"mock": 'print("loaded")\ndata = {"items": [1, 2]}\ncount = func() { return length(data.items) }\n'},
        shared=True,
    )
    program = compile_policy('import "mock"\nmain = mock.count() is 2', "p.sentinel")
    first = evaluate(program, imports=default_importer(modules=importer))
    second = evaluate(program, imports=default_importer(modules=importer))
    assert first.passed and second.passed
    assert first.prints == second.prints == ""  # evaluated apart from both policies
    assert importer("mock")["data"] is importer("mock")["data"]


def test_function_values_expose_arity_and_params() -> None:
    exports = evaluate_module("f = func(a, b) { return a + b }\n", "m.sentinel")
    assert exports["f"].arity == 2 and exports["f"].params == ["a", "b"] and exports["f"](1, 2) == 3
    assert value("types.type_of(f)", 'import "types"\nf = func() { return 1 }') == "func"
    source = 'import "collection"\nm = collection.filter([10, 20, 30], func(v, i) { return i > 0 })\nmain = m == [20, 30]'
    assert run(source).passed
