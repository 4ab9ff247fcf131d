"""The ``sentinel``-binary backend: run HashiCorp's CLI and read its output into the report model.

Used with ``--engine sentinel`` where the real CLI is installed, to compare verdicts side by side or to
fall back on it. Four separable steps, each testable without the binary:

1. :meth:`SentinelBinary.find` - an explicit path, ``$TFC_SENTINEL_BINARY``, or ``sentinel`` on PATH;
2. :func:`test_args` / :func:`apply_args` - argument lists for the documented flags
   (``test [-json] [-run=RE] [-verbose] [PATH...]``; ``apply [-json|-trace] [-config=FILE]
   [-param k=v] [-global k=v] [POLICY]``; ``-json`` implies the trace);
3. :func:`run_binary` - run it with a timeout, killing the whole process group on expiry;
4. :func:`parse_test_output` / :func:`parse_apply_output` - JSON output through
   :mod:`tfc_sentinel.report.sentinel_json`, the text layout of ``sentinel test`` as a fallback,
   ``apply`` exit codes (0 pass, 1 fail, 2 undefined, 3 runtime error, 9 other errors) otherwise.

For ``apply`` against a mock bundle, :func:`render_config_hcl` writes one configuration joining the
policy set (policies, modules, params, globals) and the bundle's mocks, all with absolute paths.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from tfc_sentinel.lang.values import Value
from tfc_sentinel.report.model import (
    AssertionResult,
    CaseResult,
    EnforcementLevel,
    EngineInfo,
    Outcome,
    PolicyResult,
    Position,
    RuleResult,
    RunKind,
    RunResult,
    outcome_from_cases,
)
from tfc_sentinel.report.sentinel_json import SentinelOutputError, from_sentinel_apply, from_sentinel_test
from tfc_sentinel.report.violations import find_violations

from ..config import ImportKind, PolicySetConfig
from ..errors import BackendError, BackendOutputError, BackendTimeoutError, BinaryNotFoundError

__all__ = [
    "BINARY_ENV",
    "DEFAULT_TIMEOUT",
    "ProcessResult",
    "SentinelBinary",
    "SentinelBinaryBackend",
    "apply_args",
    "flag_value",
    "parse_apply_output",
    "parse_test_output",
    "parse_test_text",
    "parse_version",
    "render_config_hcl",
    "run_binary",
    "test_args",
]

BINARY_ENV: Final = "TFC_SENTINEL_BINARY"
"""Environment variable naming the ``sentinel`` executable (a path or a command name)."""

DEFAULT_TIMEOUT: Final = 600.0
_DOWNLOAD: Final = "https://developer.hashicorp.com/sentinel/downloads"
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- finding the binary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentinelBinary:
    """A located, executable ``sentinel`` CLI."""

    path: Path

    @classmethod
    def find(
        cls, configured: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
    ) -> SentinelBinary:
        """The binary from ``configured``, else ``$TFC_SENTINEL_BINARY``, else ``sentinel`` on ``$PATH``."""
        env = os.environ if env is None else env
        candidate = str(configured) if configured else env.get(BINARY_ENV) or None
        search_path = env.get("PATH", os.defpath)
        if candidate is not None:
            where = "the configured path" if configured else f"${BINARY_ENV}"
            resolved = shutil.which(candidate, path=search_path) if os.sep not in candidate else candidate
            path = Path(resolved) if resolved else Path(candidate)
            if not path.is_file():
                raise BinaryNotFoundError(
                    f"sentinel binary {candidate!r} (from {where}) does not exist; fix the path, install "
                    f"Sentinel from {_DOWNLOAD}, or use the built-in engine"
                )
            if not os.access(path, os.X_OK):
                raise BinaryNotFoundError(
                    f"sentinel binary {path} (from {where}) is not executable; run `chmod +x {path}`"
                )
            return cls(path)
        found = shutil.which("sentinel", path=search_path)
        if found is None:
            raise BinaryNotFoundError(
                "no `sentinel` binary on PATH; install it from "
                f"{_DOWNLOAD}, set ${BINARY_ENV} to its path, or use the built-in engine (the default)"
            )
        return cls(Path(found))

    def version(self, timeout: float = 30.0, env: Mapping[str, str] | None = None) -> str:
        """``sentinel version``, e.g. ``"0.40.0"`` (empty when the output has no version number)."""
        result = run_binary([str(self.path), "version"], timeout=timeout, env=env)
        return parse_version(result.stdout or result.stderr)


def parse_version(text: str) -> str:
    """The version in ``sentinel version`` output (``Sentinel v0.40.0``) without the ``v``."""
    match = re.search(r"\bv?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)", text)
    return match.group(1) if match else ""


# --- arguments -----------------------------------------------------------------------------------------


def flag_value(value: Value) -> str:
    """A ``-param``/``-global`` value: JSON, so strings are quoted (the CLI's way to force a string)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BackendError(
            f"value {value!r} cannot be passed to the sentinel CLI (only JSON values can); {exc}"
        ) from exc


def test_args(
    binary: SentinelBinary | str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    run: str | None = None,
    verbose: bool = False,
    json_output: bool = True,
) -> list[str]:
    """``sentinel test`` arguments; no paths means the CLI's default, the working directory."""
    args = [str(binary.path if isinstance(binary, SentinelBinary) else binary), "test"]
    if json_output:
        args.append("-json")
    if run:
        args.append(f"-run={run}")
    if verbose:
        args.append("-verbose")
    args += [os.fspath(path) for path in paths]
    return args


test_args.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def apply_args(
    binary: SentinelBinary | str | os.PathLike[str],
    policy: str | os.PathLike[str] | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    params: Mapping[str, Value] | None = None,
    globals: Mapping[str, Value] | None = None,
    json_output: bool = True,
    trace: bool = False,
) -> list[str]:
    """``sentinel apply`` arguments; without ``policy`` the CLI (0.16+) applies every configured policy."""
    args = [str(binary.path if isinstance(binary, SentinelBinary) else binary), "apply"]
    if json_output:
        args.append("-json")  # implies -trace
    elif trace:
        args.append("-trace")
    if config is not None:
        args.append(f"-config={os.fspath(config)}")
    for name, value in (params or {}).items():
        args += ["-param", f"{name}={flag_value(value)}"]
    for name, value in (globals or {}).items():
        args += ["-global", f"{name}={flag_value(value)}"]
    if policy is not None:
        args.append(os.fspath(policy))
    return args


# --- running -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessResult:
    """What one ``sentinel`` invocation did."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float = 0.0


def run_binary(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> ProcessResult:
    """Run ``args`` and collect the output; :class:`BackendTimeoutError` (process group killed) on timeout."""
    started = time.monotonic()
    posix = os.name == "posix"
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=posix,  # its own process group, so plugins it starts die with it
        )
    except FileNotFoundError as exc:
        raise BinaryNotFoundError(
            f"cannot run {args[0]}: not found; install Sentinel from {_DOWNLOAD}"
        ) from exc
    except PermissionError as exc:
        raise BinaryNotFoundError(
            f"cannot run {args[0]}: permission denied; run `chmod +x {args[0]}`"
        ) from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
        stdout, stderr = process.communicate()
        raise BackendTimeoutError(
            f"sentinel did not finish within {timeout:g} s and was stopped: {' '.join(args)}; "
            "raise the timeout or run fewer policies at once",
            stdout or "",
            stderr or "",
        ) from None
    return ProcessResult(
        list(args), process.returncode, stdout or "", stderr or "", time.monotonic() - started
    )


# --- parsing -------------------------------------------------------------------------------------------

_POLICY_LINE = re.compile(r"^(PASS|FAIL|ERROR|\?)\s+-\s+(.+?)\s*$")
_CASE_LINE = re.compile(r"^ {2}(PASS|FAIL|ERROR|\?)\s+-\s+(.+?)\s*$")
_EXPECTED = re.compile(r'^\s*expected "(?P<rule>[^"]+)" to be (?P<expected>.*), got: (?P<actual>.*)$')
_RULE = re.compile(r'^\s*(?P<file>\S+?):(?P<line>\d+):(?P<column>\d+) - Rule "(?P<name>[^"]+)"\s*$')
_OLD_VALUE = re.compile(r"^\s*(?:bool|int|float|string|list|map|undefined|null):\s*(?P<value>.*)$")
_STATUS = {"PASS": Outcome.PASS, "FAIL": Outcome.FAIL, "ERROR": Outcome.ERROR, "?": Outcome.SKIPPED}


def _text_value(text: str) -> Value:
    """A value as the CLI prints it: JSON where it parses (``true``, ``42``, ``"s"``), else the text."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _finish_case(case: dict[str, Any]) -> CaseResult:
    lines: list[str] = case["lines"]
    rules: dict[str, RuleResult] = {}
    assertions: list[AssertionResult] = []
    other: list[str] = []
    current: RuleResult | None = None
    expect_value = False
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if match := _EXPECTED.match(line):
            assertions.append(
                AssertionResult(
                    match["rule"],
                    _text_value(match["expected"]),
                    _text_value(match["actual"]),
                    passed=False,
                    message=stripped,
                )
            )
        elif match := _RULE.match(line):
            position = Position(match["file"], 0, int(match["line"]), int(match["column"]))
            current = RuleResult(match["name"], None, position)
            rules[current.name] = current
            expect_value = False
        elif current is not None and stripped == "Value:":
            expect_value = True
        elif current is not None and (expect_value or _OLD_VALUE.match(line)) and stripped:
            old = _OLD_VALUE.match(line)
            current.value = _text_value(old["value"] if old and not expect_value else stripped)
            current, expect_value = None, False
        elif stripped and stripped not in ("trace:", "Description:"):
            other.append(stripped)
    outcome = case["outcome"]
    error = "\n".join(other) if outcome is Outcome.ERROR and other else None
    result = rules["main"].value if "main" in rules else None
    return CaseResult(case["path"], outcome, assertions, result, rules, error=error)


def parse_test_text(text: str, *, engine: EngineInfo | None = None) -> RunResult:
    """A ``test`` run from the CLI's text layout (``PASS - p.sentinel`` / ``  FAIL - test/p/c.hcl`` / details)."""
    policies: list[PolicyResult] = []
    policy: dict[str, Any] | None = None
    case: dict[str, Any] | None = None

    def close_policy() -> None:
        nonlocal policy, case
        if policy is None:
            return
        if case is not None:
            policy["cases"].append(_finish_case(case))
            case = None
        error = ("\n".join(policy["lines"]) or None) if policy["outcome"] is Outcome.ERROR else None
        cases = policy["cases"]
        outcome = policy["outcome"] if policy["outcome"] is not None else outcome_from_cases(cases, error)
        policies.append(
            PolicyResult(Path(policy["path"]).stem, policy["path"], outcome, error=error, cases=cases)
        )
        policy = None

    for raw in _ANSI.sub("", text).splitlines():
        if match := _POLICY_LINE.match(raw):
            close_policy()
            policy = {"path": match[2], "outcome": _STATUS[match[1]], "lines": [], "cases": []}
        elif policy is not None and (match := _CASE_LINE.match(raw)):
            if case is not None:
                policy["cases"].append(_finish_case(case))
            case = {"path": match[2], "outcome": _STATUS[match[1]], "lines": []}
        elif case is not None:
            case["lines"].append(raw)
        elif policy is not None and raw.strip():
            policy["lines"].append(raw.strip())
    close_policy()
    return RunResult(kind=RunKind.TEST, policies=policies, engine=engine or EngineInfo("sentinel", ""))


def _looks_like_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def _process_error(result: ProcessResult) -> str:
    output = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
    shown = "\n".join(output[:40]) + (f"\n… ({len(output) - 40} more lines)" if len(output) > 40 else "")
    return f"sentinel exited with status {result.returncode}:\n{_ANSI.sub('', shown)}"


def parse_test_output(result: ProcessResult, *, engine: EngineInfo | None = None) -> RunResult:
    """The run from ``sentinel test`` output: JSON when ``-json`` was used, the text layout otherwise.

    Output with no results at all (a bad flag, a crash) becomes a run ``error`` with the CLI's message.
    """
    engine = engine or EngineInfo("sentinel", "")
    if _looks_like_json(result.stdout):
        try:
            run = from_sentinel_test(result.stdout, engine=engine)
        except SentinelOutputError as exc:
            raise BackendOutputError(f"sentinel test -json printed unexpected JSON: {exc}") from exc
    else:
        run = parse_test_text(result.stdout, engine=engine)
    if not run.policies and result.returncode != 0:
        run.error = _process_error(result)
    return run


_APPLY_EXIT: Final = {0: Outcome.PASS, 1: Outcome.FAIL, 2: Outcome.FAIL, 3: Outcome.ERROR}


def parse_apply_output(
    result: ProcessResult,
    *,
    levels: Mapping[str, EnforcementLevel] | None = None,
    names: Mapping[str, str] | None = None,
    policy: str | None = None,
    override: bool = False,
    engine: EngineInfo | None = None,
) -> RunResult:
    """The run from ``sentinel apply`` output.

    With ``-json`` the per-policy results are read from the JSON; otherwise (one ``policy``) the exit
    status gives the verdict and the text becomes the error. Exit status 9, or any non-JSON output
    without a policy, is a run error.
    """
    engine = engine or EngineInfo("sentinel", "")
    if _looks_like_json(result.stdout):
        try:
            return from_sentinel_apply(
                result.stdout, levels=levels, names=names, engine=engine, override=override
            )
        except SentinelOutputError as exc:
            raise BackendOutputError(f"sentinel apply -json printed unexpected JSON: {exc}") from exc
    outcome = _APPLY_EXIT.get(result.returncode)
    if policy is None or outcome is None:
        return RunResult(kind=RunKind.APPLY, engine=engine, override=override, error=_process_error(result))
    keys = [policy, Path(policy).name, Path(policy).stem]
    level = next((levels[k] for k in keys if levels and k in levels), EnforcementLevel.ADVISORY)
    name = next((names[k] for k in keys if names and k in names), Path(policy).stem)
    text = _ANSI.sub("", (result.stdout + result.stderr).strip())
    entry = PolicyResult(
        name,
        policy,
        outcome,
        level,
        result=outcome is Outcome.PASS,
        error=(text or "runtime error") if outcome is Outcome.ERROR else None,
        prints=[] if outcome is Outcome.ERROR else text.splitlines(),
    )
    if outcome is Outcome.FAIL:
        entry.violations = find_violations(entry.prints, entry.rules, entry.result)
    return RunResult(kind=RunKind.APPLY, policies=[entry], engine=engine, override=override)


# --- configuration for apply ---------------------------------------------------------------------------


def _hcl_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


def _hcl_value(value: Value, indent: str = "") -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BackendError(f"{value!r} cannot be written to sentinel.hcl; use a finite number")
        return repr(value)
    if isinstance(value, str):
        return _hcl_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_hcl_value(item, indent) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = indent + "  "
        lines = [f"{inner}{_hcl_string(str(k))} = {_hcl_value(v, inner)}" for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    raise BackendError(f"a {type(value).__name__} value cannot be written to sentinel.hcl")


def render_config_hcl(
    policy_set: PolicySetConfig,
    mocks: Mapping[str, Path | Mapping[str, Value]] | None = None,
) -> str:
    """A ``sentinel.hcl`` for ``sentinel apply``: the set's policies, modules, imports, params and globals
    plus ``mocks`` (import name → mock module file, or static data), every path absolute.

    Plugins and remote sources are refused (:class:`BackendError`) rather than silently dropped.
    """
    problems = policy_set.problems()
    plugins = [p for p in problems if "plugin" in p.message]
    remote = [p for p in problems if "remote" in p.message]
    if plugins or remote:
        raise BackendError(str((plugins or remote)[0]))
    blocks: list[str] = []
    for policy in policy_set.policies:
        body = [
            f"  source = {_hcl_string(str(policy.local_path()))}",
            f"  enforcement_level = {_hcl_string(policy.enforcement_level.value)}",
        ]
        if policy.params:
            body.append(f"  params = {_hcl_value(policy.params, '  ')}")
        blocks.append(f"policy {_hcl_string(policy.name)} {{\n" + "\n".join(body) + "\n}")
    for name, module in policy_set.modules.items():
        blocks.append(
            f"module {_hcl_string(name)} {{\n  source = {_hcl_string(str(module.local_path()))}\n}}"
        )
    for name, item in policy_set.imports.items():
        if item.kind is ImportKind.MODULE:
            blocks.append(
                f'import "module" {_hcl_string(name)} {{\n  source = {_hcl_string(str(item.path))}\n}}'
            )
        elif item.kind is ImportKind.STATIC:
            blocks.append(
                f'import "static" {_hcl_string(name)} {{\n  source = {_hcl_string(str(item.path))}\n'
                f"  format = {_hcl_string(item.format or 'json')}\n}}"
            )
    all_mocks: dict[str, Path | Mapping[str, Value]] = {}
    for name, mock in policy_set.mocks.items():
        all_mocks[name] = mock.path if mock.path is not None else (mock.data or {})
    all_mocks.update(mocks or {})
    for name, mock in all_mocks.items():
        if isinstance(mock, Mapping):
            blocks.append(f"mock {_hcl_string(name)} {{\n  data = {_hcl_value(mock, '  ')}\n}}")
        else:
            source = _hcl_string(str(Path(mock).absolute()))
            blocks.append(f"mock {_hcl_string(name)} {{\n  module {{\n    source = {source}\n  }}\n}}")
    for kind, values in (("param", policy_set.params), ("global", policy_set.globals)):
        for name, value in values.items():
            blocks.append(f"{kind} {_hcl_string(name)} {{\n  value = {_hcl_value(value, '  ')}\n}}")
    if policy_set.features:
        blocks.append(f"sentinel {{\n  features = {_hcl_value(policy_set.features, '  ')}\n}}")
    return "\n\n".join(blocks) + "\n"


# --- the backend ---------------------------------------------------------------------------------------


@dataclass
class SentinelBinaryBackend:
    """Runs ``sentinel test`` and ``sentinel apply`` and returns :class:`RunResult` objects."""

    binary: SentinelBinary
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] | None = None
    _engine: EngineInfo | None = field(default=None, repr=False)

    @classmethod
    def locate(
        cls, configured: str | os.PathLike[str] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> SentinelBinaryBackend:
        return cls(SentinelBinary.find(configured), timeout=timeout)

    @property
    def engine(self) -> EngineInfo:
        """``EngineInfo("sentinel", <version>)``; the version is asked once."""
        if self._engine is None:
            try:
                version = self.binary.version(timeout=min(self.timeout, 30.0), env=self.env)
            except BackendError:
                version = ""
            self._engine = EngineInfo("sentinel", version)
        return self._engine

    def run_tests(
        self,
        paths: Sequence[str | os.PathLike[str]] = (),
        *,
        run: str | None = None,
        verbose: bool = False,
        cwd: str | os.PathLike[str] | None = None,
    ) -> RunResult:
        """``sentinel test -json`` over ``paths`` (relative to ``cwd``)."""
        started = datetime.now(UTC)
        result = run_binary(
            test_args(self.binary, paths, run=run, verbose=verbose),
            cwd=cwd,
            timeout=self.timeout,
            env=self.env,
        )
        report = parse_test_output(result, engine=self.engine)
        report.started_at, report.finished_at = started, datetime.now(UTC)
        return report

    def apply(
        self,
        policy_set: PolicySetConfig,
        mocks: Mapping[str, Path | Mapping[str, Value]] | None = None,
        *,
        override: bool = False,
        bundle: str | None = None,
    ) -> RunResult:
        """Every policy of ``policy_set`` against ``mocks`` (e.g. a bundle's import → mock file map).

        The joined configuration is written to a temporary folder that is removed afterwards.
        """
        started = datetime.now(UTC)
        levels = {}
        names = {}
        for policy in policy_set.policies:
            for key in (policy.name, Path(policy.source).name, Path(policy.source).stem):
                levels.setdefault(key, policy.enforcement_level)
                names.setdefault(key, policy.name)
        text = render_config_hcl(policy_set, mocks)
        with tempfile.TemporaryDirectory(prefix="tfc-sentinel-") as folder:
            config = Path(folder) / "sentinel.hcl"
            config.write_text(text, encoding="utf-8")
            result = run_binary(
                apply_args(self.binary, config=config),
                cwd=policy_set.path.parent,
                timeout=self.timeout,
                env=self.env,
            )
        report = parse_apply_output(result, levels=levels, names=names, override=override, engine=self.engine)
        report.started_at, report.finished_at = started, datetime.now(UTC)
        report.policy_set = str(policy_set.path.parent)
        report.bundle = bundle
        return report
