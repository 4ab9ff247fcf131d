"""Public API of the evaluator: compile a policy once, evaluate it many times.

Imports come from the caller as an :data:`Importer`, a callable from import name to import object
(a ``dict``). :func:`default_importer` builds the usual chain: caller-supplied mock data and
Sentinel modules first (a ``mock "time"`` block replaces the standard import, as in ``sentinel
test``), then the standard imports. :class:`ModuleImporter` evaluates Sentinel module sources
(``tfplan-functions``, mock files) in their own scope, once per evaluation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .builtins import force_rules
from .compile import CompiledFile, compile_file
from .errors import SentinelError, SentinelImportError, SentinelRuntimeError
from .fastload import load_literals
from .imports import STDLIB_NAMES, ImportContext, load_stdlib
from .limits import Limits, RecursionHeadroom
from .resolve import UNIVERSE_NAMES, resolve
from .result import PolicyResult, RuleOutcome
from .runtime import UNSET, State, current_state, finalize, locate, using_state
from .syntax.errors import SentinelSyntaxError, Source
from .syntax.parser import parse
from .values import UNDEFINED, Value

__all__ = [
    "Importer",
    "ModuleImporter",
    "Program",
    "compile_module",
    "compile_policy",
    "default_importer",
    "evaluate",
    "evaluate_module",
    "stdlib_importer",
]

Importer = Callable[[str], dict[str, Value]]
"""Maps an import name (``"tfplan/v2"``) to its import object; raises SentinelImportError if unknown."""


class Program:
    """A parsed, resolved and compiled policy or module; immutable and reusable across evaluations.

    ``literals`` holds the bindings the fast mock loader decoded, as ``(line, slot, value)``; they are
    bound in source order between the compiled statements (modules loaded once only).
    """

    __slots__ = ("code", "filename", "literals", "source", "statement_lines")

    def __init__(self, code: CompiledFile, literals: list[tuple[int, int, Value]] | None = None) -> None:
        self.code = code
        self.source: Source = code.source
        self.filename = code.source.filename
        self.literals = literals or []
        self.statement_lines = [code.source.line_col(offset)[0] for offset, _ in code.statements]

    @property
    def has_main(self) -> bool:
        return self.code.main is not None

    def __repr__(self) -> str:
        return f"<Program {self.filename}>"


# Headroom for compiling code nested as deeply as the parser allows (a few frames per level).
_COMPILE_DEPTH = 400


def _compile(
    source: str,
    filename: str,
    *,
    record_rules: bool,
    copy_constants: bool,
    predeclared: list[str] | None = None,
) -> Program:
    with RecursionHeadroom(_COMPILE_DEPTH):
        file = parse(source, filename)
        try:
            res = resolve(file, predeclared or ())
            code = compile_file(file, res, record_rules=record_rules, copy_constants=copy_constants)
        except RecursionError:
            raise SentinelSyntaxError.at(file.source, 0, "program nested too deeply to compile") from None
    return Program(code)


def _compile_data_module(source: str, filename: str) -> Program:
    """Compile a module that runs once (a mock file): literal-only top-level assignments are decoded
    by :mod:`.fastload` at C speed and only the other statements (functions) are parsed."""
    try:
        module = load_literals(source, filename)
    except Exception:  # an optimisation only: any surprise takes the full path, which owns errors
        module = None
    if module is None or not module.values:
        return _compile(source, filename, record_rules=False, copy_constants=False)
    names = [segment.name or "" for segment in module.literals]
    program = _compile(
        module.rest_source(), filename, record_rules=False, copy_constants=False, predeclared=names
    )
    slots = program.code.file_block
    literals = [
        (seg.line, slots[name], module.values[name]) for name, seg in zip(names, module.literals, strict=True)
    ]
    return Program(program.code, literals)


def compile_policy(source: str, filename: str) -> Program:
    """Parse, resolve and compile a policy; raises :class:`SentinelSyntaxError` for invalid source."""
    return _compile(source, filename, record_rules=True, copy_constants=True)


def compile_module(source: str, filename: str) -> Program:
    """Compile a Sentinel module (no ``main`` needed, rules not reported) for repeated evaluation."""
    return _compile(source, filename, record_rules=False, copy_constants=True)


# --- evaluation -------------------------------------------------------------------------------------------


def evaluate(
    program: Program,
    *,
    imports: Importer | None = None,
    params: Mapping[str, Value] | None = None,
    globals: Mapping[str, Value] | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> PolicyResult:
    """Run a policy and return its result; never raises for anything the policy does.

    ``imports`` resolves import names (default: the standard imports only). ``params`` supply or
    override ``param`` declarations (values are copied); ``globals`` are injected into the global
    scope as they are (not copied: large data stays shared). ``now`` fixes ``time.now``.
    """
    limits = limits or Limits()
    ctx = ImportContext(now=now or datetime.now(UTC), max_items=limits.max_items)
    state = State(limits, imports if imports is not None else stdlib_importer, ctx)
    result: Value = False
    error: SentinelRuntimeError | None = None
    try:
        with RecursionHeadroom(limits.max_depth), using_state(state):
            frame = _run_file(program, state, params or {}, globals or {})
            result = _main(program, frame, state)
    except Exception as exc:
        err = finalize(exc)
        error = err if isinstance(err, SentinelRuntimeError) else SentinelRuntimeError(str(err))
        result = False
    passed = error is None and result is True
    return PolicyResult(
        result=result,
        passed=passed,
        rules=dict(state.rules),
        prints="".join(state.out),
        error=error,
        trace=list(state.notes),
    )


def _run_file(
    program: Program, state: State, params: Mapping[str, Value], injected: Mapping[str, Value]
) -> list[Any]:
    code = program.code
    src = code.source
    frame: list[Any] = [None, None, state, None, *code.template]  # functions.HEADER slots first
    frame[1] = frame
    import_slots = set()
    for path, slot, offset in code.imports:
        frame[slot] = _load_import(path, state, src, offset)
        import_slots.add(slot)
    for name, value in injected.items():
        slot = code.globals.get(name)
        if slot is not None and slot not in import_slots:
            frame[slot] = value
    for name, slot, default, offset in code.params:
        if slot in import_slots:
            raise locate(
                SentinelRuntimeError(f'param "{name}" conflicts with an import of the same name'), src, offset
            )
        if name in UNIVERSE_NAMES:
            raise locate(
                SentinelRuntimeError(f'param "{name}" conflicts with a predeclared name'), src, offset
            )
        if name in params:
            frame[slot] = _copy_value(params[name])
        elif default is not None:
            frame[slot] = default(frame)
        else:
            raise locate(
                SentinelRuntimeError(f'param "{name}" is required but no value was supplied'), src, offset
            )
    if program.literals:
        _run_interleaved(program, frame)
    else:
        code.body(frame)
    return frame


def _run_interleaved(program: Program, frame: list[Any]) -> None:
    """Bind fast-loaded literals and run the compiled statements, merged by source line."""
    statements = program.code.statements
    lines = program.statement_lines
    i = 0
    for line, slot, value in program.literals:
        while i < len(statements) and lines[i] < line:
            statements[i][1](frame)
            i += 1
        frame[slot] = value
    for _, code in statements[i:]:
        code(frame)


def _load_import(path: str, state: State, src: Source, offset: int) -> dict[str, Value]:
    importer = state.importer
    try:
        if importer is None:
            raise SentinelImportError(f'import "{path}": no importer configured')
        value = importer(path)
    except SentinelError as exc:
        raise locate(exc, src, offset) from None
    except SentinelSyntaxError as exc:
        err = SentinelImportError(f'import "{path}": {exc.filename}:{exc.line}:{exc.column}: {exc.message}')
        raise locate(err, src, offset) from None
    except Exception as exc:
        raise locate(
            SentinelImportError(f'import "{path}": {type(exc).__name__}: {exc}'), src, offset
        ) from None
    if not isinstance(value, dict):
        raise locate(
            SentinelImportError(f'import "{path}": the importer returned no import object'), src, offset
        )
    return value


def _main(program: Program, frame: list[Any], state: State) -> Value:
    code = program.code
    src = code.source
    if code.main is None:
        raise SentinelRuntimeError(f"{program.filename}: policy has no main rule")
    slot, offset = code.main
    value = frame[slot]
    if value is UNSET:
        raise locate(SentinelRuntimeError("main is declared but was never assigned"), src, offset)
    is_rule = getattr(value, "is_rule", False) is True
    value = force_rules(value, state)
    if "main" not in state.rules:
        state.rules["main"] = RuleOutcome(value, src.position(offset))
    if value is UNDEFINED:
        state.notes.append(f"{src.position(offset)}: main is undefined, which counts as false")
    elif value is not True and value is not False and not is_rule:
        state.notes.append(f"{src.position(offset)}: main is not a bool, which counts as false")
    return value


def _copy_value(value: Value) -> Value:
    if type(value) is list:
        return [_copy_value(v) for v in value]
    if type(value) is dict:
        return {k: _copy_value(v) for k, v in value.items()}
    return value


def _exports(program: Program, frame: list[Any], state: State) -> dict[str, Value]:
    imports = {slot for _, slot, _ in program.code.imports}
    out: dict[str, Value] = {}
    for name, slot in program.code.file_block.items():
        if slot in imports:
            continue
        value = frame[slot]
        if value is UNSET:
            continue
        out[name] = force_rules(value, state)
    return out


# --- modules and importers --------------------------------------------------------------------------------

ModuleSource = str | tuple[str, str]
"""A module's source text, or ``(source, filename)``."""


class ModuleImporter:
    """Imports Sentinel modules by name: each is compiled once, and its top-level names (functions
    included) become the import object.

    By default a module is evaluated once per evaluation, in its own scope, so a policy that
    mutates module data cannot affect the next policy. With ``shared=True`` each module is
    evaluated only once, for all evaluations, and its data is shared: meant for large, read-only
    mock files (its functions still run under the calling evaluation's limits). The module's own
    imports go through the evaluation's importer chain; cycles are an import error.
    """

    def __init__(self, modules: Mapping[str, ModuleSource], *, shared: bool = False) -> None:
        self._sources: dict[str, tuple[str, str]] = {
            name: (src, f"{name}.sentinel") if isinstance(src, str) else src for name, src in modules.items()
        }
        self.shared = shared
        self._programs: dict[str, Program] = {}
        self._exports: dict[str, dict[str, Value]] = {}  # shared mode
        self._lock = threading.RLock()

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def program(self, name: str) -> Program:
        with self._lock:
            program = self._programs.get(name)
            if program is None:
                source, filename = self._sources[name]
                if self.shared:
                    program = _compile_data_module(source, filename)
                else:
                    program = compile_module(source, filename)
                self._programs[name] = program
            return program

    def __call__(self, name: str) -> dict[str, Value]:
        if name not in self._sources:
            raise SentinelImportError(f'import "{name}": no such module')
        if self.shared:
            with self._lock:
                exports = self._exports.get(name)
                if exports is None:
                    exports = self._exports[name] = self._load_alone(name)
                return exports
        state = current_state()
        if state is None:
            return self._load_alone(name)
        return self._load(name, state)

    def _load_alone(self, name: str) -> dict[str, Value]:
        """Evaluate outside (or apart from) any policy evaluation, with default limits."""
        outer = current_state()
        importer = (
            outer.importer
            if outer is not None and outer.importer is not None
            else default_importer(modules=self)
        )
        state = State(Limits(), importer, outer.import_ctx if outer is not None else ImportContext())
        if outer is not None:
            state.loading = outer.loading
        with RecursionHeadroom(state.max_depth), using_state(state):
            return self._load(name, state)

    def _load(self, name: str, state: State) -> dict[str, Value]:
        key = (id(self), name)
        cached = state.modules.get(key)
        if cached is not None:
            return cached
        if key in state.loading:
            raise SentinelImportError(f'import "{name}": import cycle')
        try:
            program = self.program(name)
        except SentinelSyntaxError as exc:
            raise SentinelImportError(
                f'import "{name}": syntax error at {exc.filename}:{exc.line}:{exc.column}: {exc.message}'
            ) from None
        state.loading.add(key)
        try:
            frame = _run_file(program, state, {}, {})
            exports = _exports(program, frame, state)
        finally:
            state.loading.discard(key)
        state.modules[key] = exports
        return exports


def stdlib_importer(name: str) -> dict[str, Value]:
    """The standard imports, built once per evaluation with its fixed clock and size limit."""
    state = current_state()
    if state is None:
        return load_stdlib(name, ImportContext())
    cached = state.stdlib.get(name)
    if cached is None:
        cached = state.stdlib[name] = load_stdlib(name, state.import_ctx or ImportContext())
    return cached


def default_importer(
    *,
    mocks: Mapping[str, dict[str, Value]] | None = None,
    modules: Mapping[str, ModuleSource] | ModuleImporter | None = None,
) -> Importer:
    """Mock data first, then Sentinel modules (mock modules too), then the standard imports."""
    data = dict(mocks or {})
    module_importer = modules if isinstance(modules, ModuleImporter) else ModuleImporter(modules or {})

    def importer(name: str) -> dict[str, Value]:
        found = data.get(name)
        if found is not None:
            return found
        if name in module_importer:
            return module_importer(name)
        if name in STDLIB_NAMES:
            return stdlib_importer(name)
        raise SentinelImportError(
            f'import "{name}": unknown import (not a standard import, and no mock or module of that name)'
        )

    return importer


def evaluate_module(
    source: str, filename: str, importer: Importer | None = None, *, limits: Limits | None = None
) -> dict[str, Value]:
    """Evaluate a Sentinel module (a mock file) once and return its top-level names.

    Raises :class:`SentinelSyntaxError` for invalid source and a :class:`SentinelError` subclass
    if evaluation fails. Functions in the result stay callable, from later evaluations too (they
    then count against that evaluation's limits).
    """
    program = _compile_data_module(source, filename)
    limits = limits or Limits()
    state = State(
        limits,
        importer if importer is not None else stdlib_importer,
        ImportContext(max_items=limits.max_items),
    )
    try:
        with RecursionHeadroom(limits.max_depth), using_state(state):
            frame = _run_file(program, state, {}, {})
            return _exports(program, frame, state)
    except Exception as exc:
        raise finalize(exc) from None
