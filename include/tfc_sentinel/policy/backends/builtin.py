"""The built-in engine backend: ``sentinel test`` and Terraform Cloud style checks on :mod:`tfc_sentinel.lang`.

Why it is built this way:

* **One case, one unit of work.** ``sentinel test`` cases are independent, so they run in worker
  processes (the evaluator is pure Python and holds the GIL). A small pool of our own hands out one
  case at a time and knows which case each worker is running, so a worker that dies (a C stack
  overflow, the OOM killer) turns into an ERROR for that case only, and a new worker carries on.
  ``concurrent.futures`` would mark every pending case as failed instead.
* **Compile once per worker.** Policies and module libraries (``tfplan-functions``) are compiled once
  per process and cached by file identity (path, mtime, size); mock files are evaluated once per case
  (once per ``apply`` for a bundle's mocks, shared read-only across its policies, since they can be
  tens of megabytes).
* **Plain results.** Workers send back report objects whose values are plain data (functions and
  rules become :class:`~tfc_sentinel.report.values.OpaqueValue`), so results pickle cheaply and
  never hold engine closures.
* **Errors stay local.** A bad case file, a missing mock, a module path that does not exist, a syntax
  error: each becomes that case's (or that policy's) ERROR with file and line, and the run goes on.
  Test cases check their whole configuration up front (as the CLI does when it loads a case); an
  ``apply`` reports a missing module or an import plugin only for the policies that import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import current_process, get_context
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Final, TypeVar

from tfc_sentinel.lang import (
    Importer,
    ModuleImporter,
    Program,
    SentinelImportError,
    SentinelSyntaxError,
    compile_module,
    compile_policy,
    evaluate,
    stdlib_importer,
)
from tfc_sentinel.lang import PolicyResult as LangResult
from tfc_sentinel.lang.imports import STDLIB_NAMES
from tfc_sentinel.lang.values import UNDEFINED, Value, type_name
from tfc_sentinel.report.model import (
    AssertionResult,
    CaseResult,
    EngineInfo,
    Outcome,
    PolicyResult,
    RuleResult,
    RunKind,
    RunResult,
    outcome_from_cases,
)
from tfc_sentinel.report.values import OpaqueValue, format_value
from tfc_sentinel.report.violations import find_violations

from ..config import (
    ImportKind,
    Location,
    PolicyConfig,
    PolicySetConfig,
    TestCase,
    load_test_case,
)
from ..discovery import DiscoveredPolicy, discover_policies, filter_policies
from ..errors import ConfigError, DiscoveryError
from .base import MockSources

__all__ = [
    "BuiltinBackend",
    "CaseOutcome",
    "CaseTask",
    "SourceCache",
    "default_jobs",
    "run_case",
    "run_cases",
]

T = TypeVar("T")
R = TypeVar("R")

# --- small helpers --------------------------------------------------------------------------------------


def _display(path: Path | str, base: Path) -> str:
    """``path`` relative to ``base`` when it lies inside it (how output names files), else absolute."""
    path = Path(path)
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _where(location: Location, base: Path) -> str:
    where = _display(location.file, base)
    return f"{where}:{location.line}" if location.line else where


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _read_text(path: Path) -> str:
    """A Sentinel source or data file; undecodable bytes are an ``OSError`` with a readable reason."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OSError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


def _config_error_text(exc: ConfigError, base: Path) -> str:
    """A :class:`ConfigError` with its file shown relative to ``base`` (as the rest of the output)."""
    parts = [_display(exc.file, base)] if exc.file else []
    parts += [str(part) for part in (exc.line, exc.column) if part is not None]
    head = f"{':'.join(parts)}: {exc.message}" if parts else exc.message
    return f"{head}\n{exc.detail}" if exc.detail else head


def plain_value(value: Value) -> Value:
    """``value`` with functions, rules and import objects replaced by :class:`OpaqueValue`.

    Results cross process boundaries and outlive the evaluation, so they must not hold engine closures.
    """
    if value is None or value is UNDEFINED or isinstance(value, bool | int | float | str):
        return value
    if type(value) is list:
        return [plain_value(item) for item in value]
    if type(value) is dict:
        return {plain_value(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, OpaqueValue):
        return value
    return OpaqueValue(type_name(value), repr(value))


def _values_equal(expected: Value, actual: Value) -> bool:
    """Sentinel equality for test assertions: ``true`` is not ``1``, ``1`` equals ``1.0``."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if expected is None or actual is None or expected is UNDEFINED or actual is UNDEFINED:
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    if isinstance(expected, str) or isinstance(actual, str):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(_values_equal, expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        if len(expected) != len(actual):
            return False
        keys = {_key(key): item for key, item in actual.items()}
        return all(
            _key(key) in keys and _values_equal(item, keys[_key(key)]) for key, item in expected.items()
        )
    return expected == actual


def _key(key: Value) -> str:
    """Map keys compare by their text: HCL map keys are always strings, v1 mock keys may be numbers."""
    return key if isinstance(key, str) else format_value(key)


# --- compiled sources -----------------------------------------------------------------------------------


class SourceCache:
    """Compiled policies and module libraries by file identity, so each process compiles a file once.

    Keyed by path, display name, modification time and size: an edited file is compiled again.
    Bounded (least recently used entries go) because Airflow workers live long and see many sets.
    Compiled programs are immutable, so sharing them between evaluations (and threads) is safe.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], Program] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, kind: str, path: Path, display: str, build: Callable[[str, str], Program]) -> Program:
        stat = os.stat(path)
        key = (kind, str(path), display, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            program = self._entries.get(key)
            if program is not None:
                self._entries.move_to_end(key)
                return program
        program = build(_read_text(path), display)
        with self._lock:
            self._entries[key] = program
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return program

    def policy(self, path: Path, display: str) -> Program:
        """The compiled policy; ``OSError`` if unreadable, :class:`SentinelSyntaxError` if invalid."""
        return self._get("policy", path, display, compile_policy)

    def module(self, path: Path, display: str) -> Program:
        """The compiled module library (evaluated afresh for every evaluation that imports it)."""
        return self._get("module", path, display, compile_module)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE: Final = SourceCache()
"""This process's cache: worker processes fill their own; the parent's is inherited when forking."""


# --- imports ----------------------------------------------------------------------------------------------


class _SetupError(Exception):
    """A test case's configuration cannot be served (missing file, plugin, remote source)."""


class _LibraryImporter(ModuleImporter):
    """Sentinel modules read from files; compiled through the process-wide cache, evaluated per evaluation."""

    def __init__(self, files: Mapping[str, tuple[Path, str]], cache: SourceCache) -> None:
        super().__init__({name: ("", display) for name, (_, display) in files.items()})
        self._files = dict(files)
        self._cache = cache

    def program(self, name: str) -> Program:
        path, display = self._files[name]
        try:
            return self._cache.module(path, display)
        except OSError as exc:
            raise SentinelImportError(f'import "{name}": cannot read {display}: {_os_reason(exc)}') from None


class _Imports:
    """What one case (or one ``apply``) imports, each name served by exactly one provider.

    Providers are added in precedence order and the first one for a name wins: mocks replace
    modules, static imports and standard imports, as in ``sentinel test``. With ``eager`` a provider
    that cannot be served raises :class:`_SetupError` at once (a test case is unusable as a whole);
    otherwise the name fails only when a policy imports it.
    """

    def __init__(self, base: Path, *, eager: bool) -> None:
        self.base = base
        self.eager = eager
        self.data: dict[str, dict[str, Value]] = {}
        self.mock_sources: dict[str, tuple[str, str]] = {}
        self.aliases: dict[str, str] = {}
        self.libraries: dict[str, tuple[Path, str]] = {}
        self.unavailable: dict[str, str] = {}
        self._mock_files: dict[Path, str] = {}
        self.unknown_hint = "add a mock or module for it"

    def taken(self, name: str) -> bool:
        return any(
            name in table
            for table in (self.data, self.mock_sources, self.aliases, self.libraries, self.unavailable)
        )

    def problem(self, name: str, message: str) -> None:
        if self.eager:
            raise _SetupError(message)
        self.unavailable[name] = message

    def add_data(self, name: str, data: Mapping[str, Value], where: str) -> None:
        if self.taken(name):
            return
        if not isinstance(data, Mapping):
            self.problem(name, f'{where}: mock "{name}": data must be a map of the import\'s attributes')
            return
        self.data[name] = dict(data)

    def add_mock_file(
        self, name: str, path: Path, source: str, where: str, display: str | None = None
    ) -> None:
        if self.taken(name):
            return
        resolved = Path(os.path.realpath(path))
        first = self._mock_files.get(resolved)
        if first is not None:  # tfplan and tfplan/v1 read one file: load it once
            self.aliases[name] = first
            return
        try:
            text = _read_text(path)
        except OSError as exc:
            self.problem(name, f'{where}: mock "{name}": cannot read {source}: {_os_reason(exc)}')
            return
        self.mock_sources[name] = (text, display or _display(path, self.base))
        self._mock_files[resolved] = name

    def add_library(self, name: str, path: Path | None, source: str, where: str, reason: str | None) -> None:
        if self.taken(name):
            return
        if reason is not None or path is None:
            self.problem(name, f"{where}: {reason or f'module {name!r} has no local source'}")
            return
        if not path.is_file():
            why = "it is a folder, not a file" if path.is_dir() else "file not found"
            self.problem(name, f'{where}: module "{name}": cannot read {source}: {why}')
            return
        self.libraries[name] = (path, _display(path, self.base))

    def add_static(self, name: str, path: Path | None, source: str, where: str, reason: str | None) -> None:
        if self.taken(name):
            return
        if reason is not None or path is None:
            self.problem(name, f"{where}: {reason or f'static import {name!r} has no local source'}")
            return
        what = f'{where}: import "static" "{name}"'
        try:
            data = json.loads(_read_text(path))
        except OSError as exc:
            self.problem(name, f"{what}: cannot read {source}: {_os_reason(exc)}")
            return
        except ValueError as exc:
            self.problem(name, f"{what}: {source} is not valid JSON: {exc}")
            return
        if not isinstance(data, dict):
            self.problem(
                name, f"{what}: {source} must hold a JSON object (its keys become the import's names)"
            )
            return
        self.data[name] = data

    def add_config(self, config: TestCase | PolicySetConfig) -> None:
        """Mocks, modules and imports of a case file or ``sentinel.hcl``, in precedence order."""
        for name, mock in config.mocks.items():
            where = _where(mock.location, self.base)
            if mock.data is not None:
                self.add_data(name, mock.data, where)
            elif mock.unsupported_reason or mock.path is None:
                if not self.taken(name):
                    self.problem(name, f"{where}: {mock.unsupported_reason}")
            else:
                self.add_mock_file(name, mock.path, mock.source or "", where)
        for name, module in config.module_sources().items():
            where = _where(module.location, self.base)
            self.add_library(name, module.path, module.source, where, module.unsupported_reason)
        for name, item in config.imports.items():
            where = _where(item.location, self.base)
            if item.kind is ImportKind.STATIC:
                self.add_static(name, item.path, item.source or "", where, item.unsupported_reason)
            elif item.kind is ImportKind.PLUGIN and not self.taken(name):
                self.problem(name, f"{where}: {item.unsupported_reason}")

    def importer(self, cache: SourceCache) -> Importer:
        """The import chain: data mocks, mock modules (evaluated once), libraries, then standard imports."""
        data = self.data
        aliases = self.aliases
        mocks = ModuleImporter(self.mock_sources, shared=True)
        libraries = _LibraryImporter(self.libraries, cache)
        unavailable = self.unavailable
        hint = self.unknown_hint

        def importer(name: str) -> dict[str, Value]:
            found = data.get(name)
            if found is not None:
                return found
            target = aliases.get(name, name)
            if target in mocks:
                return mocks(target)
            if name in libraries:
                return libraries(name)
            reason = unavailable.get(name)
            if reason is not None:
                raise SentinelImportError(f'import "{name}": {reason}')
            if name in STDLIB_NAMES:
                return stdlib_importer(name)
            raise SentinelImportError(
                f'import "{name}": unknown import (not a standard import, and no mock or module of that '
                f"name); {hint}"
            )

        return importer


# --- mapping engine results ------------------------------------------------------------------------------


def _rules(result: LangResult) -> dict[str, RuleResult]:
    return {
        name: RuleResult(name, plain_value(outcome.value), outcome.position)
        for name, outcome in result.rules.items()
    }


def _prints(result: LangResult) -> list[str]:
    return result.prints.splitlines()


def _assertions(
    expected: Mapping[str, Value], rules: Mapping[str, RuleResult], program: Program
) -> list[AssertionResult]:
    checks = []
    for name, want in expected.items():
        if name in rules:
            actual = rules[name].value
            message = ""
        else:
            actual = UNDEFINED
            known = name in program.code.globals
            why = "was never evaluated" if known else "does not exist in the policy"
            message = f'expected "{name}" to be {format_value(want)}, got: undefined (rule "{name}" {why})'
        passed = _values_equal(want, actual)
        checks.append(AssertionResult(name, want, actual, passed, "" if passed else message))
    return checks


# --- test cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseTask:
    """One case to run: absolute paths plus the names output uses; picklable for worker processes."""

    policy: str
    policy_display: str
    case: str
    case_display: str
    cwd: str


@dataclass
class CaseOutcome:
    """A worker's answer: the case's result, or the policy's own error (it does not compile)."""

    case: CaseResult | None
    policy_error: str | None = None


def _error_case(task: CaseTask, message: str, started: float, **extra: Any) -> CaseResult:
    return CaseResult(
        task.case_display,
        Outcome.ERROR,
        error=message,
        duration=time.perf_counter() - started,
        **extra,
    )


def run_case(task: CaseTask, cache: SourceCache | None = None) -> CaseOutcome:
    """Run one case; never raises (an engine bug is that case's ERROR, with the traceback's last lines)."""
    started = time.perf_counter()
    try:
        return _run_case(task, cache or _CACHE, started)
    except Exception as exc:
        tail = "".join(traceback.format_exception(exc)[-3:]).rstrip()
        return CaseOutcome(
            _error_case(
                task, f"internal error while running this case: {type(exc).__name__}: {exc}\n{tail}", started
            )
        )


def _run_case(task: CaseTask, cache: SourceCache, started: float) -> CaseOutcome:
    base = Path(task.cwd)
    try:
        program = cache.policy(Path(task.policy), task.policy_display)
    except SentinelSyntaxError as exc:
        return CaseOutcome(None, str(exc))
    except OSError as exc:
        return CaseOutcome(None, f"{task.policy_display}: cannot read the policy: {_os_reason(exc)}")
    try:
        case = load_test_case(task.case)
    except ConfigError as exc:
        return CaseOutcome(_error_case(task, _config_error_text(exc, base), started))
    extra: dict[str, Any] = {"warnings": list(case.warnings), "legacy": case.legacy}
    imports = _Imports(base, eager=True)
    imports.unknown_hint = f"add a mock block for it to {task.case_display}"
    try:
        imports.add_config(case)
    except _SetupError as exc:
        return CaseOutcome(_error_case(task, str(exc), started, **extra))
    result = evaluate(program, imports=imports.importer(cache), params=case.params, globals=case.globals)
    rules = _rules(result)
    if "main" not in rules and result.error is None:
        rules["main"] = RuleResult("main", plain_value(result.result))
    common: dict[str, Any] = {
        "result": plain_value(result.result),
        "rules": rules,
        "prints": _prints(result),
        "duration": time.perf_counter() - started,
        **extra,
    }
    if result.error is not None:
        return CaseOutcome(CaseResult(task.case_display, Outcome.ERROR, error=str(result.error), **common))
    expected = case.rules if case.rules is not None else {"main": True}
    assertions = _assertions(expected, rules, program)
    outcome = Outcome.PASS if all(check.passed for check in assertions) else Outcome.FAIL
    return CaseOutcome(CaseResult(task.case_display, outcome, assertions, **common))


def default_jobs() -> int:
    """Worker processes by default: one per core."""
    return max(1, os.cpu_count() or 1)


def run_cases(tasks: Sequence[CaseTask], jobs: int | None = None) -> list[CaseOutcome]:
    """Every task's outcome, in order; in worker processes unless there is one task or one job."""
    workers = min(jobs if jobs is not None else default_jobs(), len(tasks))
    if workers <= 1 or _in_daemon():
        return [run_case(task) for task in tasks]
    context = _mp_context()
    if context.get_start_method() == "fork":
        _warm_up()
    return parallel_map(run_case, tasks, workers, _crashed_case, context=context)


def _in_daemon() -> bool:
    """Daemonic processes (a Celery prefork worker, a multiprocessing pool) may not start children."""
    return bool(current_process().daemon)


def _warm_up() -> None:
    """Build python-hcl2's parser (about 0.3 s) once in the parent, so forked workers inherit it."""
    from .._hcl import parse_hcl

    parse_hcl("test {\n  rules = { main = true }\n}\n", "<warm-up>")


def _crashed_case(task: CaseTask, reason: str) -> CaseOutcome:
    return CaseOutcome(
        CaseResult(
            task.case_display,
            Outcome.ERROR,
            error=f"{reason} while running this case; the other cases were not affected",
        )
    )


# --- a process pool that survives its workers -----------------------------------------------------------


def _mp_context() -> Any:
    """``fork`` where it is safe (Linux, a single-threaded parent: the CLI), else ``spawn``.

    Forking is fast and hands workers what the parent already imported and compiled; forking a
    multi-threaded process (an Airflow worker) can deadlock, so those spawn fresh interpreters.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _worker_loop(conn: Connection, fn: Callable[[Any], Any]) -> None:
    """Run items sent by the parent until told to stop (``None``) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        try:
            reply = (index, True, fn(item))
        except Exception as exc:
            reply = (index, False, f"the worker failed: {type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result: report it rather than hang the parent
            conn.send((index, False, f"the worker could not send its result back: {exc}"))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process was killed by {name}"
    return f"the worker process stopped unexpectedly (exit status {exitcode})"


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    on_failure: Callable[[T, str], R],
    *,
    context: Any = None,
) -> list[R]:
    """``[fn(item) for item in items]`` in ``workers`` processes, one item at a time per worker.

    ``fn`` must be importable by name (a module-level function) when workers are spawned. When a
    worker dies or ``fn`` raises, ``on_failure(item, reason)`` gives that item's result and a new
    worker takes over the remaining items.
    """
    ctx = context if context is not None else _mp_context()
    results: list[Any] = [None] * len(items)
    queue = deque(range(len(items)))
    running: dict[Connection, tuple[Any, int]] = {}
    processes: list[Any] = []

    def start() -> tuple[Connection, Any]:
        parent_end, child_end = ctx.Pipe()
        process = ctx.Process(
            target=_worker_loop, args=(child_end, fn), daemon=True, name="tfc-sentinel-worker"
        )
        process.start()
        child_end.close()
        processes.append(process)
        return parent_end, process

    def feed(conn: Connection, process: Any) -> None:
        """Give the worker its next item, or let it finish; a dead worker is replaced."""
        while queue:
            index = queue.popleft()
            try:
                conn.send((index, items[index]))
            except (BrokenPipeError, ConnectionResetError, EOFError):
                queue.appendleft(index)
                conn.close()
                conn, process = start()
                continue
            running[conn] = (process, index)
            return
        with contextlib.suppress(OSError):
            conn.send(None)
        conn.close()

    try:
        for _ in range(min(workers, len(items))):
            feed(*start())
        while running:
            for conn in wait(list(running)):
                assert isinstance(conn, Connection)
                process, index = running.pop(conn)
                try:
                    got_index, ok, payload = conn.recv()
                except (EOFError, OSError):
                    process.join(timeout=10)
                    results[index] = on_failure(items[index], _death(process.exitcode))
                    conn.close()
                    if queue:
                        feed(*start())
                    continue
                results[got_index] = payload if ok else on_failure(items[got_index], payload)
                feed(conn, process)
    finally:
        for conn in running:
            conn.close()
        for process in processes:
            process.join(timeout=0 if running else 5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    return results


# --- the backend ----------------------------------------------------------------------------------------


def _policy_from_outcomes(policy: DiscoveredPolicy, outcomes: list[CaseOutcome]) -> PolicyResult:
    error = next((o.policy_error for o in outcomes if o.policy_error is not None), None)
    cases = [] if error is not None else [o.case for o in outcomes if o.case is not None]
    return PolicyResult(
        policy.name,
        policy.display,
        outcome_from_cases(cases, error),
        error=error,
        cases=cases,
        duration=sum(case.duration for case in cases),
    )


@dataclass
class BuiltinBackend:
    """The pure-Python engine; ``jobs`` worker processes for tests (default: one per core)."""

    jobs: int | None = None
    cache: SourceCache = field(default_factory=lambda: _CACHE, repr=False)

    @property
    def engine(self) -> EngineInfo:
        return EngineInfo()

    def run_tests(
        self,
        paths: Sequence[str | os.PathLike[str]] = (),
        *,
        run: str | None = None,
        verbose: bool = False,
        cwd: str | os.PathLike[str] | None = None,
    ) -> RunResult:
        """Discover policies and cases under ``paths`` and run every case (``verbose`` is for rendering)."""
        started = datetime.now(UTC)
        base = Path(os.path.normpath(Path(cwd).absolute())) if cwd is not None else Path.cwd()
        try:
            policies = filter_policies(discover_policies(paths, cwd=base), run)
        except DiscoveryError as exc:
            return RunResult(kind=RunKind.TEST, started_at=started, engine=self.engine, error=str(exc))
        tasks = [
            CaseTask(str(policy.path), policy.display, str(case.path), case.display, str(base))
            for policy in policies
            for case in policy.cases
        ]
        outcomes = run_cases(tasks, self.jobs)
        results = []
        position = 0
        for policy in policies:
            mine = outcomes[position : position + len(policy.cases)]
            position += len(policy.cases)
            results.append(_policy_from_outcomes(policy, mine))
        return RunResult(
            kind=RunKind.TEST,
            policies=results,
            started_at=started,
            finished_at=datetime.now(UTC),
            engine=self.engine,
        )

    def apply(
        self,
        policy_set: PolicySetConfig,
        mocks: MockSources | None = None,
        *,
        override: bool = False,
        bundle: str | None = None,
    ) -> RunResult:
        """Every policy of ``policy_set`` in order, like a Terraform Cloud policy check.

        ``mocks`` (a bundle's import -> file map) come first, then the set's own mocks, modules and
        imports. Mock modules are evaluated once for the whole run and shared read-only.
        """
        started = datetime.now(UTC)
        base = policy_set.path.parent
        imports = _Imports(base, eager=False)
        imports.unknown_hint = "the mock bundle and the policy set provide no such import"
        for name, mock in (mocks or {}).items():
            if isinstance(mock, Mapping):
                imports.add_data(name, mock, "mock bundle")
            else:
                path = Path(mock)
                # named as in the bundle: an unpacked archive's temporary folder is gone afterwards
                imports.add_mock_file(name, path, path.name, "mock bundle", display=path.name)
        imports.add_config(policy_set)
        importer = imports.importer(self.cache)
        results = [_apply_policy(policy, policy_set, importer, self.cache) for policy in policy_set.policies]
        return RunResult(
            kind=RunKind.APPLY,
            policies=results,
            started_at=started,
            finished_at=datetime.now(UTC),
            engine=self.engine,
            override=override,
            policy_set=str(base),
            bundle=bundle,
        )


def _apply_policy(
    policy: PolicyConfig, policy_set: PolicySetConfig, importer: Importer, cache: SourceCache
) -> PolicyResult:
    started = time.perf_counter()
    base = policy_set.path.parent
    display = _display(policy.path, base) if policy.path is not None else policy.source
    entry = PolicyResult(policy.name, display, Outcome.ERROR, policy.enforcement_level)
    where = _where(policy.location, base)
    reason = policy.unsupported_reason
    if reason is not None or policy.path is None:
        entry.error = f"{where}: {reason}"
        return entry
    try:
        program = cache.policy(policy.path, display)
    except SentinelSyntaxError as exc:
        entry.error = str(exc)
    except OSError as exc:
        entry.error = f'{where}: policy "{policy.name}": cannot read {policy.source}: {_os_reason(exc)}'
    else:
        result = evaluate(
            program, imports=importer, params=policy_set.params_for(policy), globals=policy_set.globals
        )
        entry.rules = _rules(result)
        entry.prints = _prints(result)
        entry.result = plain_value(result.result)
        if result.error is not None:
            entry.error = str(result.error)
        else:
            entry.outcome = Outcome.PASS if result.passed else Outcome.FAIL
            if "main" not in entry.rules:
                entry.rules["main"] = RuleResult("main", entry.result)
        if entry.outcome is not Outcome.PASS:
            entry.violations = find_violations(entry.prints, entry.rules, entry.result)
    entry.duration = time.perf_counter() - started
    return entry
