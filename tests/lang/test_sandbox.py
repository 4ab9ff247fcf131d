"""A policy cannot read files, open sockets or import anything but the allowed imports (issue 9, item 4).

What a policy can reach is decided by the engine, not by the policy: imports resolve only through the
importer the caller passes (mocks and modules the caller loaded, then the standard imports), values are
plain data, selectors on values never touch Python attributes, and every way to grow memory or the call
stack runs into :class:`~tfc_sentinel.lang.Limits`. The last test watches the interpreter's audit events
(``sys.addaudithook``) while real policies and hostile ones evaluate: no file is opened, no socket, no
process, no import.

Where files *are* read: ``sentinel.hcl`` names the policies, modules and mocks, and the runner reads them
before evaluation. A policy set's ``sentinel.hcl`` is the operator's configuration, trusted like the
policy set itself; as in HashiCorp's Sentinel, its relative paths resolve against its own folder and
may leave it (shared ``../common-functions/`` folders are the usual layout). A mock bundle's
``sentinel.hcl`` comes from Terraform Cloud or a download, so the bundle loader accepts only files
inside the bundle. Both are shown below.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from tfc_sentinel.bundle import Bundle, InvalidBundleError
from tfc_sentinel.lang import (
    Limits,
    ModuleImporter,
    SentinelImportError,
    SentinelLimitError,
    SentinelRuntimeError,
    SentinelSyntaxError,
    compile_policy,
    default_importer,
    evaluate,
    evaluate_module,
)
from tfc_sentinel.lang.imports import STDLIB_NAMES
from tfc_sentinel.lang.values import UNDEFINED
from tfc_sentinel.policy.config import load_policy_set

from .eval_helpers import error, run

REPO: Final = Path(__file__).resolve().parents[2]
EXAMPLE_SETS: Final = (
    REPO / "include" / "policies" / "aws-baseline",
    REPO / "include" / "policies" / "azure-gcp-baseline",
)
# Python types a policy's values may have: nothing else may come out of an evaluation.
PLAIN: Final = (bool, int, float, str, list, dict, type(None), type(UNDEFINED))


# -- imports --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["os", "sys", "subprocess", "socket", "builtins", "importlib", "io", "pathlib", "../../etc/passwd", "/etc/passwd",
     "tfc_sentinel", "tfc_sentinel.lang.imports.strings", "strings/../os", "json/../../os", "", " strings"],
)  # fmt: skip
def test_only_the_allowed_imports_resolve(name: str) -> None:
    err = error(f'import "{name}"\nmain = true')
    assert isinstance(err, SentinelImportError)
    assert f'import "{name}"' in err.message and "unknown import" in err.message


def test_http_is_refused_as_offline() -> None:
    err = error('import "http"\nmain = rule { http.get("https://example.com").status_code is 200 }')
    assert isinstance(err, SentinelImportError)
    assert "network imports are unavailable in this offline engine" in err.message


def test_without_an_importer_only_the_standard_imports_exist() -> None:
    program = compile_policy('import "tfplan/v2" as tfplan\nmain = true', "p.sentinel")
    result = evaluate(program)  # no importer: the standard imports only
    assert isinstance(result.error, SentinelImportError) and "tfplan/v2" in result.error.message


def test_every_standard_import_is_plain_data_and_functions() -> None:
    """The import objects hold values and Sentinel functions, never a Python module or class."""
    names = [name for name in STDLIB_NAMES if name not in ("http", "types")]
    aliases = {name: f"i{n}" for n, name in enumerate(names)}
    source = 'import "types"\n' + "\n".join(f'import "{name}" as {alias}' for name, alias in aliases.items())
    source += "\nkinds = func(m) { return map m as k, v { types.type_of(v) } }\n"
    source += "main = [" + ", ".join(f"kinds({alias})" for alias in aliases.values()) + "]\n"
    result = run(source)
    assert result.error is None, result.error
    kinds = {kind for per_import in result.result for kind in per_import}
    assert kinds <= {"func", "string", "int", "float", "map", "bool", "null", "list"}, kinds


# -- attributes: selectors and indexes never reach Python objects ----------------------------------------------

DUNDERS: Final = ("__class__", "__dict__", "__globals__", "__code__", "__init__", "__mro__", "__builtins__",
                  "__subclasses__", "__closure__", "__self__", "__func__", "__module__", "fn", "name", "gi_frame")  # fmt: skip
HOLDERS: Final = {
    "string": '"text"',
    "int": "1",
    "float": "1.5",
    "bool": "true",
    "list": "[1, 2]",
    "user function": "func() { return 1 }",
    "builtin function": "length",
    "import function": "strings.split",
    "rule": "rule { true }",
}


@pytest.mark.parametrize("attr", DUNDERS)
@pytest.mark.parametrize("holder", list(HOLDERS))
def test_selectors_on_values_never_reach_python_attributes(holder: str, attr: str) -> None:
    err = error(f'import "strings"\nx = {HOLDERS[holder]}\nmain = x.{attr}')
    assert type(err) is SentinelRuntimeError
    assert f'cannot select "{attr}" on a value of type' in err.message


@pytest.mark.parametrize("attr", DUNDERS)
@pytest.mark.parametrize(
    "holder", ['{"a": 1}', "strings", "decimal.new(1)", 'version.new("1.2.3")', 'time.load("2024-05-02T10:16:00Z")',
               "undefined", "null"],
)  # fmt: skip
def test_maps_and_import_objects_only_have_their_keys(holder: str, attr: str) -> None:
    """Imports and the objects they return are maps: a missing key is undefined, as in Sentinel."""
    prelude = 'import "strings"\nimport "decimal"\nimport "version"\nimport "time"\n'
    for access in (f"x.{attr}", f'x["{attr}"]'):
        result = run(f"{prelude}x = {holder}\nmain = {access}\n")
        assert result.error is None and result.result is UNDEFINED, (access, result.error)


def test_functions_print_as_names_not_python_objects() -> None:
    result = run(
        'import "strings"\nf = func(a) { return a }\nprint(strings.split, f, length, strings)\nmain = true'
    )
    assert result.error is None
    assert "0x" not in result.prints and "<function" not in result.prints and "object at" not in result.prints


def test_nothing_but_plain_values_comes_out() -> None:
    """Whatever a policy returns or its rules hold is data; functions become Sentinel functions."""
    result = run(
        'import "strings"\nimport "decimal"\nr = rule { decimal.new(2) }\nmain = rule { [strings, decimal.new(1)] }'
    )
    assert result.error is None

    def walk(value: Any) -> Iterator[Any]:
        yield value
        if isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from walk(item)

    for value in walk([result.result, *(outcome.value for outcome in result.rules.values())]):
        assert isinstance(value, PLAIN) or callable(value), type(value)
        assert not isinstance(value, type) and type(value).__module__.startswith(
            ("builtins", "tfc_sentinel.lang")
        )


@pytest.mark.parametrize(
    "call",
    [
        'strings.split(x, 1)', 'strings.join(x, x)', 'strings.replace(x, "", x)', 'strings.trim(x, undefined)',
        'strings.has_prefix(main, x)', "strings.to_upper(strings)", "strings.split(strings.split, strings.join)",
        'decimal.new("1e999999999").add(decimal.new("-1e-999999999")).string', 'decimal.new(x)',
        'json.unmarshal("{\\"__class__\\": 1}")["__class__"]', 'json.marshal(strings)', 'version.new(x)',
        'time.load(x)', 'base64.decode(x)', 'sockaddr.is_contained(x, x)', "types.type_of(types.type_of)",
    ],
)  # fmt: skip
def test_import_functions_with_hostile_arguments_fail_cleanly(call: str) -> None:
    prelude = 'import "strings"\nimport "decimal"\nimport "json"\nimport "version"\nimport "time"\n'
    prelude += 'import "base64"\nimport "sockaddr"\nimport "types"\nx = "/etc/passwd"\n'
    result = run(f"{prelude}main = rule {{ {call} is not undefined }}\n")
    if result.error is not None:
        assert isinstance(result.error, SentinelRuntimeError)
        assert not result.error.message.startswith("internal error"), result.error


# -- memory and the call stack --------------------------------------------------------------------------------

SMALL: Final = Limits(max_steps=200_000, max_depth=50, max_items=100_000)


@pytest.mark.parametrize(
    "source, says",
    [
        ('s = "a"\nfor range(64) as _ { s = s + s }\nmain = true', "string of 131072 items exceeds the limit"),
        ("l = [1]\nfor range(64) as _ { l = l + l }\nmain = true", "list of 131072 items exceeds the limit"),
        ("main = length(range(1000000000)) > 0", "range of 1000000000 items exceeds the limit"),
        ("m = {}\nfor range(200000) as i { m[i] = i }\nmain = true", "exceeds the limit"),
        ("l = []\nfor range(1000000000) as i { append(l, i) }\nmain = true", "exceeds the limit"),
        ('import "strings"\ns = "aa"\nfor range(20) as _ { s = strings.replace(s, "a", "aa") }\nmain = true',
         "strings.replace: result of"),
        ('import "strings"\nmain = strings.join(map range(90000) as v { "abc" }, ",") is ""', "strings.join: result of"),
        ("f = func(n) { return f(n + 1) }\nmain = f(0)", "call depth exceeded the limit of 50"),
        ("r = func() { return rule { r() } }\nmain = r()", "exceeded the limit of 50"),
        ("main = rule { all range(100000) as a { all range(100000) as b { true } } }", "steps"),
    ],
)  # fmt: skip
def test_limits_stop_runaway_policies(source: str, says: str) -> None:
    err = error(source, limits=SMALL)
    assert isinstance(err, SentinelLimitError), err
    assert says in str(err)


@pytest.mark.parametrize(
    "expr", ['"a" * 1000000000', "[1] * 1000000000", "{} * 1000000000", "1000000000 * [0]"]
)
def test_there_is_no_repetition_operator_to_allocate_with(expr: str) -> None:
    err = error(f"main = length({expr}) > 0", limits=SMALL)
    assert "unsupported operand types for *" in err.message


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(SentinelSyntaxError, match="nesting too deep"):
        compile_policy("main = " + "(" * 5000 + "1" + ")" * 5000, "p.sentinel")
    with pytest.raises(SentinelSyntaxError, match="nesting too deep"):
        compile_policy("main = " + "-" * 20000 + "1", "p.sentinel")


def test_deep_recursion_in_a_thread_with_a_small_stack_is_still_a_clean_error() -> None:
    """Recursion is counted by the engine, not by the C stack: a worker thread gets the same error."""
    outcome: list[Any] = []

    def target() -> None:
        outcome.append(error("f = func(n) { return f(n + 1) }\nmain = f(0)", limits=Limits(max_depth=400)))

    threading.stack_size(4 * 1024 * 1024)
    try:
        worker = threading.Thread(target=target)
        worker.start()
        worker.join(120)
    finally:
        threading.stack_size(0)
    assert outcome and isinstance(outcome[0], SentinelLimitError), outcome


# -- files named in configuration ----------------------------------------------------------------------------


def test_a_policy_sets_config_may_name_mocks_outside_its_folder(tmp_path: Path) -> None:
    """Trusted configuration: resolved against sentinel.hcl's folder, as HashiCorp's Sentinel does."""
    shared = tmp_path / "common"
    shared.mkdir()
    (shared / "mock-tfrun.sentinel").write_text("workspace = {}\n")
    policies = tmp_path / "set"
    policies.mkdir()
    (policies / "p.sentinel").write_text("main = true\n")
    (policies / "sentinel.hcl").write_text(
        'policy "p" {\n  enforcement_level = "advisory"\n}\n'
        'mock "tfrun" {\n  module {\n    source = "../common/mock-tfrun.sentinel"\n  }\n}\n'
    )
    config = load_policy_set(policies)
    assert config.mocks["tfrun"].path == shared / "mock-tfrun.sentinel"


def test_a_bundles_config_cannot_name_files_outside_the_bundle(tmp_path: Path) -> None:
    """Untrusted input (Terraform Cloud, a download): only files inside the bundle."""
    (tmp_path / "secret.sentinel").write_text('password = "hunter2"\n')
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for source in ("../secret.sentinel", str(tmp_path / "secret.sentinel"), "sub/../../secret.sentinel"):
        (bundle / "sentinel.hcl").write_text(
            f'mock "tfplan/v2" {{\n  module {{\n    source = "{source}"\n  }}\n}}\n'
        )
        with pytest.raises(InvalidBundleError, match="points outside the bundle"):
            Bundle.load(bundle)
    (bundle / "link.sentinel").symlink_to(tmp_path / "secret.sentinel")
    (bundle / "sentinel.hcl").write_text(
        'mock "tfplan/v2" {\n  module {\n    source = "link.sentinel"\n  }\n}\n'
    )
    with pytest.raises(InvalidBundleError, match="is not a file in the bundle"):
        Bundle.load(bundle)


# -- the audit: what the interpreter sees while policies evaluate ---------------------------------------------


class _Audit:
    """One audit hook for the process (hooks cannot be removed); it records only inside ``recording``."""

    events: list[tuple[str, str]] | None = None
    installed = False

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if cls.events is not None and threading.current_thread() is threading.main_thread():
            cls.events.append((event, repr(args)[:200]))

    @classmethod
    def recording(cls) -> _Recording:
        if not cls.installed:
            sys.addaudithook(cls.hook)
            cls.installed = True
        return _Recording()


class _Recording:
    def __enter__(self) -> list[tuple[str, str]]:
        _Audit.events = []
        return _Audit.events

    def __exit__(self, *exc: object) -> None:
        _Audit.events = None


# The engine's own bookkeeping: RecursionHeadroom measures the stack with sys._getframe, and the module
# importer keys its per-evaluation cache by id().
ALLOWED_EVENTS: Final = frozenset({"sys._getframe", "builtins.id"})

HOSTILE_POLICIES: Final = (
    'import "os"\nmain = true',
    'import "http"\nmain = true',
    'import "../../etc/passwd"\nmain = true',
    'main = "".__class__',
    'import "strings"\nmain = strings.split.__globals__',
    'import "json"\nmain = json.unmarshal("{\\"a\\": [1, 2]}").a[1] is 2',
    'import "time"\nmain = time.load("2024-05-02T10:16:00+02:00").hour is 10',
    'import "sockaddr"\nmain = sockaddr.is_contained("10.0.0.0/8", "10.1.2.3")',
    'import "version"\nimport "decimal"\nmain = version.new("1.2.3").major is 1 and decimal.new("1.5").add(1).float is 2.5',
    'import "base64"\nimport "units"\nmain = base64.decode(base64.encode("x")) is "x" and units.kilobyte is 1024',
    'import "collection"\nimport "collection/lists" as lists\nimport "collection/maps" as maps\n'
    'main = length(lists.sort([3, 1], func(a, b) { return a - b })) is 2 and maps.get({"a": 1}, "a", 0) is 1 '
    "and length(collection.filter([1, 2], func(v) { return v > 1 })) is 1",
    'import "runtime"\nimport "types"\nmain = types.type_of(runtime.version) is "string"',
    "f = func(n) { return f(n + 1) }\nmain = f(0)",
    's = "a"\nfor range(64) as _ { s = s + s }\nmain = true',
    'error("stop")',
)


def _example_evaluations() -> list[tuple[str, Any, dict[str, Any], Any]]:
    """(name, compiled policy, params, importer) for every policy of the example sets, with their own
    mocks and modules read and loaded now, before anything is recorded."""
    prepared = []
    for folder in EXAMPLE_SETS:
        config = load_policy_set(folder)
        mocks: dict[str, Any] = {}
        for name, mock in config.mocks.items():
            if mock.data is not None:
                mocks[name] = mock.data
            elif mock.path is not None:
                mocks[name] = evaluate_module(mock.path.read_text(encoding="utf-8"), mock.path.name)
        sources = {
            name: (m.local_path().read_text(encoding="utf-8"), m.local_path().name)
            for name, m in config.module_sources().items()
        }
        importer = default_importer(mocks=mocks, modules=ModuleImporter(sources))
        for policy in config.policies:
            program = compile_policy(
                policy.local_path().read_text(encoding="utf-8"), policy.local_path().name
            )
            prepared.append((f"{folder.name}/{policy.name}", program, config.params_for(policy), importer))
    return prepared


def test_policies_open_no_file_or_socket_and_import_nothing() -> None:
    examples = _example_evaluations()
    hostile = [
        (f"hostile {n}", compile_policy(src, "h.sentinel"), {}, default_importer())
        for n, src in enumerate(HOSTILE_POLICIES)
    ]
    cases = examples + hostile
    assert len(examples) >= 10
    # A first evaluation of each: the engine loads the Python code behind a standard import the first time
    # any policy uses it (its own modules, from its own package); that is not the policy's doing.
    for _, program, params, importer in cases:
        evaluate(program, imports=importer, params=params, limits=SMALL)
    outcomes: dict[str, str] = {}
    for name, program, params, importer in cases:
        with _Audit.recording() as events:
            result = evaluate(program, imports=importer, params=params, limits=SMALL)
        unexpected = [event for event in events if event[0] not in ALLOWED_EVENTS]
        assert unexpected == [], (name, unexpected)
        outcomes[name] = "error" if result.error else "ok"
    # The example policies really ran (a policy that failed at its first line would prove little).
    assert all(outcomes[name] == "ok" for name, *_ in examples), outcomes
    assert {outcomes[name] for name, *_ in hostile} == {"ok", "error"}


def test_the_audit_hook_sees_what_a_leaky_engine_would_do(tmp_path: Path) -> None:
    """The check above can fail: the same recording catches a file opened during evaluation."""
    target = tmp_path / "data.txt"
    target.write_text("x")
    with _Audit.recording() as events:
        target.read_text()
    assert any(event == "open" and str(target) in args for event, args in events)
