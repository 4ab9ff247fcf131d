"""Fuzz the Sentinel engine end to end: scanner -> parser/compiler -> evaluator, with the limits on.

Why: policies are code written by people other than the operator, and mock data comes from Terraform
Cloud. Whatever the input, the engine must answer with one of its own errors (syntax, runtime, limit)
within its limits: a Python exception escaping it, or an "internal error" it had to wrap, is a bug;
so is an evaluation that runs on.

Two sources of inputs, counted together (default 100,000):

* **atheris** (libFuzzer, coverage-guided over ``tfc_sentinel.lang`` via ``atheris.instrument_imports``)
  in a child process, seeded with a corpus built from our own policies (``include/policies/**``, the
  test policy sets) and the Sentinel snippets in the tests' Python sources, and mutated by a
  structure-aware mutator (token replacement, splices from other seeds, edge-case literals, hostile
  selectors and imports, deep nesting) mixed with libFuzzer's byte-level mutations;
* **hypothesis**: grammar-aware programs (every statement and expression form, every standard import
  function called with awkward arguments, methods of the values imports return), in this process.

Every input goes through ``tokenize``, ``compile_policy`` and, when it compiles, ``evaluate`` against
realistic mocks (the aws-baseline plan) and modules, under small limits. Inputs without a ``main`` go
through ``evaluate_module`` too (the mock-file path with its fast literal loader). Outcomes:

* ``ok``, ``syntax error``, ``runtime error``, ``limit error``: the engine did its job;
* ``recursion limit``: a limit error the engine made from the interpreter's ``RecursionError``
  (intended for data nested tens of thousands deep; elsewhere a sign that its ``max_depth`` accounting
  missed a path): kept for review, not a failure;
* ``escaped``: a Python exception left the engine, or the engine had to wrap one ("internal error",
  "out of memory", an import that failed with a Python exception);
* ``hang``: a per-input watchdog fired: ``--hang-seconds`` of CPU time (default 10, where inputs take
  milliseconds) or ten times that of wall time.

Escaped, hanging and recursion-limit inputs are written to ``bench/fuzz-findings/`` (the input and
what happened; the folder ignores itself in git), one file per distinct kind; the exit status is 1 when
anything escaped or hung. ``--replay`` runs saved inputs again, e.g. after a fix.

    .venv/bin/python bench/fuzz_engine.py                       # 100,000 inputs
    .venv/bin/python bench/fuzz_engine.py --inputs 5000 --seconds 60
    .venv/bin/python bench/fuzz_engine.py --atheris-share 0     # hypothesis only
    .venv/bin/python bench/fuzz_engine.py --replay bench/fuzz-findings/escaped-*.sentinel
"""

from __future__ import annotations

import argparse
import ast as pyast
import contextlib
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parents[1]
FINDINGS_DIR: Final = REPO / "bench" / "fuzz-findings"
POLICY_DIRS: Final = (REPO / "include" / "policies", REPO / "tests")
SNIPPET_SOURCES: Final = (REPO / "tests" / "lang", REPO / "tests" / "policy", REPO / "tests" / "policies")
FILENAME: Final = "fuzz.sentinel"
# Small limits: a fuzzed input gets a few milliseconds, not the production 50 million steps, and 2 s of
# CPU time (the engine must stop itself well before the watchdog, at 10 s).
LIMITS: Final = {"max_steps": 100_000, "max_depth": 100, "max_items": 100_000, "max_seconds": 2.0}
NOW: Final = datetime(2024, 5, 2, 10, 16, tzinfo=UTC)
MAX_LEN: Final = 4096  # bytes of one atheris input (seeds above it are left out of its corpus)
OUTCOMES: Final = ("ok", "syntax error", "runtime error", "limit error", "recursion limit", "escaped", "hang")
# The engine turns the interpreter's RecursionError into a limit error on purpose where Python itself
# recurses (comparing data nested 60,000 deep); anywhere else it means its own depth accounting missed
# a path. Counted apart and kept for review (one file per kind), without failing the run.
_RECURSION: Final = "the interpreter's recursion limit was reached"
# An import that failed with a Python exception is reported by the engine as `import "x": KeyError: ...`.
# Numbers and quoted values in messages: what varies between findings of one kind.
_VARYING = re.compile(r"[0-9]+|'[^']*'|\"[^\"]*\"")
_WRAPPED_IMPORT = re.compile(r'^import "[^"]*": [A-Z][A-Za-z]*(Error|Exception|Warning)\b')

# -- the corpus --------------------------------------------------------------------------------------------


def _sentinel_files() -> Iterator[Path]:
    for root in POLICY_DIRS:
        yield from sorted(root.rglob("*.sentinel"))


def _python_snippets() -> Iterator[str]:
    """String constants in the tests' Python files that look like Sentinel programs."""
    for root in SNIPPET_SOURCES:
        for path in sorted(root.rglob("*.py")):
            try:
                tree = pyast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError):
                continue
            for node in pyast.walk(tree):
                if isinstance(node, pyast.Constant) and isinstance(node.value, str):
                    text = node.value
                    if 8 <= len(text) <= MAX_LEN and ("=" in text or "rule" in text) and "\x00" not in text:
                        yield text


def build_corpus(extra: Iterable[Path] = ()) -> list[str]:
    """Our own policies, modules and mocks, plus the tests' snippets, deduplicated, in a stable order."""
    seen: dict[str, None] = {}
    for path in [*_sentinel_files(), *(p for d in extra for p in sorted(Path(d).rglob("*.sentinel")))]:
        try:
            seen.setdefault(path.read_text(encoding="utf-8"), None)
        except (OSError, UnicodeDecodeError):
            continue
    for text in _python_snippets():
        seen.setdefault(text, None)
    return list(seen)


# -- the harness ---------------------------------------------------------------------------------------------


class Hang(BaseException):
    """Raised by the watchdog. A BaseException, so the engine's ``except Exception`` cannot swallow it."""


class Watchdog:
    """Per-input time limits: CPU time (``SIGPROF``; what a runaway evaluation burns, whatever else the
    machine is doing) and wall time (``SIGALRM``, far higher; catches an input stuck waiting).

    When one fires it raises :class:`Hang` and re-arms itself to fire again shortly: a signal handler
    that happens to run inside a garbage-collector callback has its exception ignored by Python, and
    the re-fire makes sure the evaluation still stops. ``fired`` tells the harness either way.
    """

    REFIRE: Final = 0.25

    def __init__(self, cpu_seconds: float, wall_seconds: float) -> None:
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds
        self.fired = False
        signal.signal(signal.SIGPROF, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.fired = True
        timer = signal.ITIMER_PROF if signum == signal.SIGPROF else signal.ITIMER_REAL
        signal.setitimer(timer, self.REFIRE)
        raise Hang

    def arm(self) -> None:
        self.fired = False
        signal.setitimer(signal.ITIMER_PROF, self.cpu_seconds)
        signal.setitimer(signal.ITIMER_REAL, self.wall_seconds)

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)


@dataclass
class Finding:
    outcome: str
    stage: str
    signature: str
    detail: str


@dataclass
class Harness:
    """Runs one input through the engine and tallies what happened."""

    hang_seconds: float = 10.0
    findings_dir: Path = FINDINGS_DIR
    counts: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    evaluated: int = 0
    seen_signatures: set[str] = field(default_factory=set)
    written: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        from tfc_sentinel import lang
        from tfc_sentinel.lang import fastload
        from tfc_sentinel.lang.syntax import scanner

        self.lang = lang
        self.fastload = fastload
        self.scanner = scanner
        self.limits = lang.Limits(**LIMITS)
        self.mocks = _load_mocks()
        self.modules = lang.ModuleImporter(_module_sources())
        self.chain = lang.default_importer(modules=self.modules)
        self.watchdog = Watchdog(self.hang_seconds, max(60.0, 10 * self.hang_seconds))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def importer(self, name: str) -> dict[str, Any]:
        """Mock data first (a fresh copy per use: a policy may write into it), then modules and stdlib."""
        data = self.mocks.get(name)
        if data is not None:
            return _copy(data)
        return self.chain(name)

    def run(self, text: str, source: str) -> str:
        """Scan, compile and evaluate ``text``; return its outcome (one of OUTCOMES)."""
        stage = "scan"
        self.watchdog.arm()
        try:
            for _ in self.scanner.tokenize(text, FILENAME):
                pass
            stage = "compile"
            program = self.lang.compile_policy(text, FILENAME)
            stage = "evaluate"
            self.evaluated += 1
            result = self.lang.evaluate(program, imports=self.importer, limits=self.limits, now=NOW)
            outcome, problem = self._classify(result)
            if outcome != "escaped" and "main" not in text:
                stage = "evaluate_module"
                outcome, problem = self._module(text, outcome)
        except self.lang.SentinelSyntaxError:
            outcome, problem = "syntax error", None
        except Hang:
            outcome, problem = "hang", self._hang_detail()
        except Exception as exc:
            outcome, problem = "escaped", "".join(traceback.format_exception(exc))
        finally:
            self.watchdog.disarm()
        if self.watchdog.fired and outcome != "hang":  # the Hang was swallowed somewhere, but it did run on
            outcome, problem = "hang", self._hang_detail()
        self.counts[outcome] += 1
        self.by_source[source] += 1
        if problem is not None and outcome in ("escaped", "hang", "recursion limit"):
            self._record(Finding(outcome, stage, _signature(outcome, stage, problem), problem), text, source)
        return outcome

    def _hang_detail(self) -> str:
        return (
            f"still running after {self.watchdog.cpu_seconds:g} s of CPU time "
            f"(or {self.watchdog.wall_seconds:g} s of wall time)"
        )

    def _module(self, text: str, outcome: str) -> tuple[str, str | None]:
        """The mock-file path: fast literal loading, then the rest; only engine errors may come out."""
        try:
            self.lang.evaluate_module(text, "mock-fuzz.sentinel", self.importer, limits=self.limits)
        except self.lang.SentinelSyntaxError:
            return outcome, None
        except self.lang.SentinelError as exc:
            if _wrapped(exc):
                return "escaped", f"evaluate_module: {exc}"
            if _RECURSION in str(exc):
                return "recursion limit", f"evaluate_module: {exc}"
            return outcome, None
        return outcome, None

    def _classify(self, result: Any) -> tuple[str, str | None]:
        lang = self.lang
        if not isinstance(result, lang.PolicyResult) or not isinstance(result.prints, str):
            return "escaped", f"evaluate returned {result!r}"
        error = result.error
        if error is None:
            if result.passed is not (result.result is True):
                return "escaped", f"passed={result.passed!r} but result={result.result!r}"
            return "ok", None
        if not isinstance(error, lang.SentinelError) or result.passed is not False:
            return "escaped", f"error {error!r} with passed={result.passed!r}"
        if _wrapped(error):
            return "escaped", str(error)
        if _RECURSION in error.message:
            return "recursion limit", str(error)
        if isinstance(error, lang.SentinelLimitError):
            return "limit error", None
        return "runtime error", None

    def _record(self, finding: Finding, text: str, source: str) -> None:
        if finding.signature in self.seen_signatures:
            return
        self.seen_signatures.add(finding.signature)
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        ignore = self.findings_dir / ".gitignore"
        if not ignore.exists():  # findings are for turning into regression tests, not for committing
            ignore.write_text("*\n")
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        stem = self.findings_dir / f"{finding.outcome.replace(' ', '-')}-{finding.stage}-{digest}"
        stem.with_suffix(".sentinel").write_bytes(text.encode("utf-8", "surrogatepass"))
        stem.with_suffix(".txt").write_text(
            f"outcome: {finding.outcome}\nstage: {finding.stage}\nsource: {source}\n"
            f"signature: {finding.signature}\n\n{finding.detail}\n",
            encoding="utf-8",
        )
        self.written.append(stem.with_suffix(".sentinel"))

    def stats(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "evaluated": self.evaluated,
            "findings": [str(p) for p in self.written],
        }


def _wrapped(error: Exception) -> bool:
    """Whether the engine reported a Python exception it caught rather than an error of its own: an
    "internal error", memory running out, or an import failing with a Python exception."""
    message = getattr(error, "message", str(error))
    return (
        message.startswith("internal error:")
        or message == "out of memory"
        or bool(_WRAPPED_IMPORT.match(message))
    )


def _signature(outcome: str, stage: str, detail: str) -> str:
    """Groups findings by where they happened: for a traceback, the exception type and the innermost
    engine frame; for an error the engine wrapped, its message without positions and quoted values."""
    frames = re.findall(r'File "([^"]*tfc_sentinel[^"]*)", line (\d+)', detail)
    if frames:
        kind = detail.strip().splitlines()[-1].split(":")[0]
        return f"{outcome}|{stage}|{kind}|{Path(frames[-1][0]).name}:{frames[-1][1]}"
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    message = _VARYING.sub("_", re.sub(r"\S+:\d+:\d+: ", "", first))
    return f"{outcome}|{stage}|{message[:100]}"


def _copy(value: Any) -> Any:
    if type(value) is list:
        return [_copy(v) for v in value]
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return value


def _load_mocks() -> dict[str, dict[str, Any]]:
    """The aws-baseline example set's mocks, loaded once through the engine's own mock-file path."""
    from tfc_sentinel.lang import evaluate_module

    base = REPO / "include" / "policies" / "aws-baseline" / "testdata" / "mocks"
    files = {
        "tfplan/v2": base / "plan-noncompliant" / "mock-tfplan-v2.sentinel",
        "tfconfig/v2": base / "plan-noncompliant" / "mock-tfconfig-v2.sentinel",
        "tfrun": base / "run-vcs-within-budget" / "mock-tfrun.sentinel",
    }
    return {
        name: evaluate_module(path.read_text(encoding="utf-8"), path.name) for name, path in files.items()
    }


def _module_sources() -> dict[str, tuple[str, str]]:
    plan_functions = REPO / "include" / "policies" / "aws-baseline" / "modules" / "plan-functions.sentinel"
    helpers = 'import "strings"\nup = func(s) { return strings.to_upper(s) }\nn = 3\nl = [1, 2]\n'
    return {
        "plan-functions": (plan_functions.read_text(encoding="utf-8"), "plan-functions.sentinel"),
        "helpers": (helpers, "helpers.sentinel"),
    }


# -- vocabulary shared by the mutator and the grammar --------------------------------------------------------

KEYWORDS: Final = (
    "all", "any", "as", "break", "case", "continue", "default", "defined", "else", "empty", "filter", "for",
    "func", "if", "import", "map", "param", "return", "rule", "when", "and", "contains", "in", "is",
    "matches", "not", "or", "xor", "true", "false", "null", "undefined",
)  # fmt: skip
OPERATORS: Final = (
    "+", "-", "*", "/", "%", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<", "<=", ">", ">=", "=", "!",
    "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "\n", " ", "\t", "//", "/*", "*/", "#", '"', "\\",
)  # fmt: skip
EDGE_NUMBERS: Final = (
    "0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "18446744073709551616", "0x7fffffffffffffff", "0xffffffffffffffff", "0777", "08", "1e308", "1e309",
    "-1e308", "4.9e-324", "1e-400", "0.1", "1.", ".5", "1e", "0x", "99999999999999999999999999999",
)  # fmt: skip
EDGE_STRINGS: Final = (
    '""', '"a"', '"é"', '"\\u0000"', '"\\ud800"', '"\\U0010ffff"', '"\\x00"', '"\\xff"', '"\\777"',
    '"\\"', '"' + "a" * 300 + '"', '"%s%d%n"', '"{}"', '"(a+)+$"', '"\\\\"', '"__class__"', '"../../etc"',
    '"1.2.3-beta+meta"', '"10.0.0.0/8"', '"::1"', '"2024-05-02T10:16:00Z"', '"9999-12-31T23:59:59Z"',
    '"1e999999"', '"NaN"', '"-Infinity"', '"[" ', '"{\\"a\\": [1, 2]}"', '"\\n\\t\\r"',
)  # fmt: skip
HOSTILE: Final = (
    '"".__class__', "x.__dict__", "strings.__globals__", "f.__code__", "main.__class__.__mro__",
    "(func() { return 1 }).__closure__", "{}.__init__", "[].__len__", "types.type_of.__self__",
    'import "os"', 'import "http"', 'import "subprocess"', 'import "../../etc/passwd"', 'import "sys"',
    'import "builtins"', 'import "time" as __builtins__', "range(1000000000)", "range(-1)",
    '"a" * 1000000000', "[1] * 1000000000", "length(range(100000))", "f = func(n) { return f(n + 1) }",
    'strings.split("a", "")', 'strings.replace("a", "", "bb")', "for range(1000000) as i { }",
    "error(\"boom\")", "print(undefined)", "delete(m, \"k\")", "append(l, l)", 'm["k"] = m',
    'decimal.new("1e999999999")', 'json.unmarshal("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]")',
    'version.new("1.2.3").greater_than("x")', 'time.load("2024-02-30T00:00:00Z")',
    'sockaddr.is_contained("0.0.0.0/0", "::/0")', 'base64.decode("====")',
)  # fmt: skip
SNIPPETS: Final = (
    "main = rule { true }", "x = 1", 'l = [1, "two", [3], {"k": null}]', "m = {1: 2, true: 3, 1.5: 4}",
    "r = rule when x { x > 0 }", "param p default 3", "func g(a, b) { return a + b }",
    "all l as v { v is 1 }", "any m as k, v { k == v }", "filter l as i, v { i > 0 }",
    "map m as k, v { [k, v] }", 'case x { when 1, 2: y = 1 else: y = 2 }', "if x { y = 1 } else { y = 2 }",
    "for l as i, v { break }", "x[0:1]", "x[1:]", "x[:-1]", "x else 1", "x is not defined",
    'x matches "a+"', "x not contains 1", "-x", "!x", "not x", 'import "strings"', 'import "decimal"',
    'import "collection/lists" as lists', 'import "collection/maps" as maps', 'import "json"',
    'import "tfplan/v2" as tfplan', 'import "plan-functions" as plan', "tfplan.resource_changes",
    'plan.find_resources("aws_instance")', "tfrun.cost_estimate.delta_monthly_cost",
)  # fmt: skip

_TOKEN: Final = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|#[^\n]*|/\*.*?\*/|0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?'
    r"|[A-Za-z_][A-Za-z0-9_]*|[ \t]+|\n|[+\-*/%=!<>]=|.",
    re.S,
)
_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


BINARY_OPERATORS: Final = (
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "is", "is not", "and", "or", "xor", "else",
    "contains", "not contains", "in", "not in", "matches", "not matches",
)  # fmt: skip
EXPRESSIONS: Final = (
    "x", "undefined", "null", "[]", "{}", "[1, [2]]", '{"k": {"k": 1}}', "func(v) { return v }",
    "rule { true }", "length(x)", "keys(m)", "range(3)", "tfplan.resource_changes", "tfrun.workspace",
    'plan.find_resources("aws_instance")', 'strings.split(x, ",")', "decimal.new(x)", "x[0]", "x.k",
    "x[1:]", "(x else 1)", "(all x as v { v })", "(map x as k, v { k })", "(filter x as v { v is 1 })",
)  # fmt: skip


def _compiles(text: str) -> bool:
    """Whether ``text`` parses and compiles as a policy (used once, to pick syntax-preserving material)."""
    from tfc_sentinel.lang import SentinelSyntaxError, compile_policy

    try:
        compile_policy(text, FILENAME)
    except SentinelSyntaxError:
        return False
    return True


def valid_literals() -> tuple[list[str], list[str]]:
    """The edge-case numbers and strings the scanner accepts (the others are for breaking things)."""
    numbers = [n for n in EDGE_NUMBERS if _compiles(f"x = {n}")]
    strings = [t for t in EDGE_STRINGS if _compiles(f"x = {t}")]
    return numbers, strings


class Mutator:
    """Structure-aware mutations of Sentinel source.

    Most mutations keep the text valid Sentinel (another identifier, an edge-case literal, another
    operator, an expression in place of an operand, a statement from another seed or a hostile one
    at a line boundary), so inputs get past the parser and exercise the evaluator and the imports; the
    rest break structure on purpose (token soup, deep nesting, libFuzzer's own byte-level mutations
    through ``byte_mutate``) for the scanner's and parser's corner cases.
    """

    def __init__(self, corpus: list[str], byte_mutate: Callable[[bytes, int], bytes] | None = None) -> None:
        self.corpus = corpus
        self.byte_mutate = byte_mutate
        self.vocabulary = (*KEYWORDS, *OPERATORS, *EDGE_NUMBERS, *EDGE_STRINGS, *HOSTILE, *SNIPPETS)
        # Whole statements that compile on their own: spliced in at line boundaries they keep a valid
        # program valid (checked once here, never while libFuzzer measures coverage).
        lines = sorted({line.strip() for text in corpus for line in text.splitlines() if line.strip()})
        self.lines = [line for line in lines[:20_000] if _compiles(line)] or ["x = 1"]
        self.statements = [line for line in (*HOSTILE, *SNIPPETS) if _compiles(line)]
        self.numbers, self.strings = valid_literals()
        self.valid = [text for text in corpus if _compiles(text)] or ["main = true"]
        self._valid_set = set(self.valid)

    def __call__(self, data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if self.byte_mutate is not None and rng.random() < 0.08:
            return self.byte_mutate(data, max_size)
        text = data.decode("utf-8", "replace")
        if not text.strip() or rng.random() < 0.02:
            text = rng.choice(self.corpus)
        elif text not in self._valid_set and rng.random() < 0.3:
            # Pull back towards programs that compile, or most inputs would stop at the parser.
            text = rng.choice(self.valid)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            text = self.mutate(text, rng)
        return text.encode("utf-8", "surrogatepass")[:max_size]

    def mutate(self, text: str, rng: random.Random) -> str:
        tokens = _TOKEN.findall(text) or [""]
        if rng.random() < 0.8:
            self._keep_structure(tokens, rng)
        else:
            self._break_structure(tokens, rng)
        return "".join(tokens)

    def _keep_structure(self, tokens: list[str], rng: random.Random) -> None:
        op = rng.randrange(7)
        where = [k for k, t in enumerate(tokens) if t == "\n"] or [len(tokens) - 1]
        if op == 0:  # another identifier of this program (or a predeclared one)
            idents = [k for k, t in enumerate(tokens) if _IDENT.match(t) and t not in KEYWORDS[:20]]
            if idents:
                names = [tokens[k] for k in idents] + ["undefined", "null", "main", "tfplan", "strings"]
                tokens[rng.choice(idents)] = rng.choice(names)
        elif op == 1:  # an edge-case number where a number was
            numbers = [k for k, t in enumerate(tokens) if t[:1].isdigit()]
            if numbers:
                tokens[rng.choice(numbers)] = rng.choice(self.numbers)
        elif op == 2:  # an awkward string where a string was
            strings = [k for k, t in enumerate(tokens) if t.startswith('"')]
            if strings:
                tokens[rng.choice(strings)] = rng.choice(self.strings)
        elif op == 3:  # another binary operator
            ops = [k for k, t in enumerate(tokens) if t in BINARY_OPERATORS]
            if ops:
                tokens[rng.choice(ops)] = rng.choice(BINARY_OPERATORS)
        elif op == 4:  # an expression in place of an operand
            operands = [k for k, t in enumerate(tokens) if _IDENT.match(t) or t[:1].isdigit() or t[:1] == '"']
            if operands:
                tokens[rng.choice(operands)] = rng.choice(EXPRESSIONS)
        elif op == 5:  # a statement of another seed, at a line boundary
            tokens.insert(rng.choice(where) + 1, rng.choice(self.lines) + "\n")
        else:  # a hostile or typical statement, at a line boundary
            tokens.insert(rng.choice(where) + 1, rng.choice(self.statements) + "\n")

    def _break_structure(self, tokens: list[str], rng: random.Random) -> None:
        i = rng.randrange(len(tokens))
        op = rng.randrange(6)
        if op == 0:  # replace a token
            tokens[i] = rng.choice(self.vocabulary)
        elif op == 1:  # insert a word, operator or snippet
            tokens.insert(i, rng.choice(self.vocabulary) + rng.choice((" ", "", "\n")))
        elif op == 2:  # delete a span
            del tokens[i : i + rng.randint(1, 6)]
        elif op == 3:  # duplicate a span
            tokens[i:i] = tokens[i : i + rng.randint(1, 12)] * rng.randint(1, 3)
        elif op == 4:  # deep nesting around a token
            depth = rng.choice((2, 10, 50, 200, 1200))
            opener, closer = rng.choice((("(", ")"), ("[", "]"), ("{", "}"), ("-", ""), ("!", "")))
            tokens[i] = opener * depth + tokens[i] + closer * depth
        else:  # swap two lines
            text = "".join(tokens)
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            tokens[:] = ["\n".join(lines)]


# -- hypothesis: grammar-aware programs ----------------------------------------------------------------------


def _import_functions() -> tuple[list[str], list[str], list[str]]:
    """(import lines, ``alias.function`` names, method names of values the imports return)."""
    from tfc_sentinel.lang.imports import STDLIB_NAMES, ImportContext, load_stdlib

    aliases = {"collection/lists": "lists", "collection/maps": "maps"}
    lines, functions, methods = [], [], set()
    ctx = ImportContext(now=NOW)
    for name in STDLIB_NAMES:
        if name == "http":
            continue
        alias = aliases.get(name, name)
        lines.append(f'import "{name}"' + (f" as {alias}" if alias != name else ""))
        for key, value in load_stdlib(name, ctx).items():
            if callable(value):
                functions.append(f"{alias}.{key}")
            elif isinstance(value, dict):
                methods.update(k for k, v in value.items() if callable(v))
    for make in (
        lambda m: m["decimal"]["new"]("1.5"),
        lambda m: m["version"]["new"]("1.2.3"),
        lambda m: m["time"]["load"]("2024-05-02T10:16:00Z"),
    ):
        try:
            made = make({n: load_stdlib(n, ctx) for n in ("decimal", "version", "time")})
        except Exception:
            continue
        if isinstance(made, dict):
            methods.update(k for k, v in made.items() if callable(v))
    return lines, functions, sorted(methods)


RECURSION_WRAPS: Final = (
    "{0}(v)", "rule {{ {0}(v) }}", "[{0}(v)]", '{{"k": {0}(v)}}', "{0}(v) else 1", "filter [1] as x {{ {0}(v) }}",
    "all [1] as x {{ {0}(v) }}", "map {{1: 2}} as k, x {{ {0}(v) }}", "length([{0}(v)])",
    "func() {{ return {0}(v) }}()", "rule when {0}(v) {{ true }}", "string({0}(v))", "{0}(v + 1)",
    "collection.filter([1], func(x) {{ return {0}(v) }})", "lists.sort([{0}(v), 1], func(a, b) {{ return 0 }})",
)  # fmt: skip


def hypothesis_programs() -> Any:
    """A hypothesis strategy for whole Sentinel programs (imports, declarations, statements, main)."""
    from hypothesis import strategies as st

    import_lines, functions, methods = _import_functions()
    names = ["a", "b", "l", "m", "s", "f", "x", "y", "main", "p", "tfplan", "plan", "strings", "decimal"]
    targets = ["a", "b", "l", "m", "s", "x", "y"]
    numbers, strings = valid_literals()
    literals = [*numbers, *strings, "true", "false", "null", "undefined", "[]", "{}"]
    binary = [
        "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "is", "is not", "and", "or", "xor",
        "else", "contains", "not contains", "in", "not in", "matches", "not matches",
    ]  # fmt: skip
    builtins = ["length", "keys", "values", "int", "float", "string", "bool", "range", "print", "append"]
    builtins += ["delete", "error", "f", "plan.find_resources", "helpers.up"]
    callables = builtins + functions
    selectors = ["k", "resource_changes", "type", "change", "after", "__class__", "__dict__", "string"]
    selectors += methods

    def expressions(depth: int) -> Any:
        leaf = st.sampled_from(literals + names)
        if depth <= 0:
            return leaf
        sub = st.deferred(lambda: expressions(depth - 1))
        return st.one_of(
            leaf,
            st.builds(lambda a, o, b: f"({a} {o} {b})", sub, st.sampled_from(binary), sub),
            st.builds(lambda o, a: f"{o}{a}", st.sampled_from(["-", "+", "!", "not "]), sub),
            st.builds(
                lambda a, o: f"({a}{o})",
                sub,
                st.sampled_from([" is empty", " is not empty", " is defined", " is not defined"]),
            ),
            st.builds(lambda a, b: f"({a})[{b}]", sub, sub),
            st.builds(lambda a, n: f"({a}).{n}", sub, st.sampled_from(selectors)),
            st.builds(
                lambda a, lo, hi: f"({a})[{lo}:{hi}]",
                sub,
                st.sampled_from(["", "0", "1", "-1", "x"]),
                st.sampled_from(["", "1", "2", "100"]),
            ),
            st.builds(
                lambda fn, args: f"{fn}({', '.join(args)})",
                st.sampled_from(callables),
                st.lists(sub, max_size=3),
            ),
            st.builds(
                lambda a, m, args: f"({a}).{m}({', '.join(args)})",
                sub,
                st.sampled_from(methods or ["string"]),
                st.lists(sub, max_size=2),
            ),
            st.builds(
                lambda q, a, v, b: f"({q} {a} as {v} {{ {b} }})",
                st.sampled_from(["all", "any", "filter", "map"]),
                sub,
                st.sampled_from(["v", "k, v", "_, v"]),
                sub,
            ),
            st.builds(lambda w, b: f"rule {w}{{ {b} }}", st.sampled_from(["", "when x "]), sub),
            st.builds(lambda items: "[" + ", ".join(items) + "]", st.lists(sub, max_size=3)),
            st.builds(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}",
                st.lists(
                    st.tuples(st.sampled_from(['"k"', "1", "true", "1.5", "a", "[1]"]), sub), max_size=3
                ),
            ),
            st.builds(lambda b: f"func(v) {{ return {b} }}", sub),
        )

    expr = expressions(3)

    def statements(depth: int, in_loop: bool, in_func: bool) -> Any:
        target = st.sampled_from(targets)
        simple = st.one_of(
            st.builds(lambda t, e: f"{t} = {e}", target, expr),
            st.builds(
                lambda t, o, e: f"{t} {o} {e}", target, st.sampled_from(["+=", "-=", "*=", "/=", "%="]), expr
            ),
            st.builds(lambda t, k, e: f"{t}[{k}] = {e}", target, expr, expr),
            expr,
            st.sampled_from(
                (["break", "continue"] if in_loop else [])
                + (["return x", "return undefined"] if in_func else [])
                + ["print(x)"]
            ),
        )
        if depth <= 0:
            return simple
        block = st.lists(st.deferred(lambda: statements(depth - 1, in_loop, in_func)), max_size=3)
        loop_block = st.lists(st.deferred(lambda: statements(depth - 1, True, in_func)), max_size=3)
        func_block = st.lists(st.deferred(lambda: statements(depth - 1, False, True)), max_size=3)
        return st.one_of(
            simple,
            st.builds(
                lambda c, b, e: (
                    f"if {c} {{\n" + "\n".join(b) + ("\n} else {\n" + "\n".join(e) if e else "") + "\n}"
                ),
                expr,
                block,
                block,
            ),
            st.builds(
                lambda c, v, b: f"for {c} as {v} {{\n" + "\n".join(b) + "\n}",
                expr,
                st.sampled_from(["v", "k, v"]),
                loop_block,
            ),
            st.builds(
                lambda c, w, b, e: (
                    f"case {c} {{\nwhen {w}:\n" + "\n".join(b) + "\nelse:\n" + "\n".join(e) + "\n}"
                ),
                st.sampled_from(["", "(x)", "x"]),
                expr,
                block,
                block,
            ),
            st.builds(
                lambda n, b, r: f"func {n}(v, w) {{\n" + "\n".join(b) + f"\nreturn {r}\n}}",
                st.sampled_from(["f", "g", "h"]),
                func_block,
                expr,
            ),
            # Recursion through every construct that can hold a call: the engine must count each level
            # (a rule returning a rule once escaped its depth limit).
            st.builds(
                lambda t, wrap, arg: f"{t} = func(v) {{ return {wrap.format(t)} }}\nx = {t}({arg})",
                st.sampled_from(["f", "g"]),
                st.sampled_from(RECURSION_WRAPS),
                expr,
            ),
        )

    header = st.lists(
        st.sampled_from(
            [
                *import_lines,
                'import "tfplan/v2" as tfplan',
                'import "tfconfig/v2" as tfconfig',
                'import "tfrun"',
                'import "plan-functions" as plan',
                'import "helpers"',
                'import "os"',
                'import "http"',
            ]
        ),
        max_size=5,
        unique=True,
    )
    params = st.lists(
        st.sampled_from(["param p default 1", "param q", 'param r default {"k": [1]}']), unique=True
    )
    imports_then_params = st.builds(lambda i, p: i + p, header, params)
    prelude = 'a = 1\nb = 2.5\nl = [1, "two", [3]]\nm = {"k": 1, 0: "zero"}\ns = "héllo"\nx = undefined\ny = null\nf = func(v) { return v }'
    body = st.lists(statements(2, False, False), min_size=1, max_size=8)
    main = st.sampled_from(["", "main = rule { a is 1 }", "main = x", "main = rule { all l as v { v } }"])
    return st.builds(
        lambda h, b, mn: "\n".join(h) + "\n" + prelude + "\n" + "\n".join(b) + "\n" + mn + "\n",
        imports_then_params,
        body,
        main,
    )


class TimeUp(BaseException):
    """Ends the hypothesis run at the time cap (a BaseException: hypothesis must not treat it as a failure)."""


def run_hypothesis(harness: Harness, count: int, deadline: float | None, seed: int) -> int:
    """Feed ``count`` grammar-generated programs through ``harness``; return how many ran."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    start = harness.total

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(hypothesis_programs())
    def fuzz(source: str) -> None:
        if harness.total - start >= count or (deadline is not None and time.monotonic() > deadline):
            raise TimeUp
        harness.run(source, "hypothesis")

    with contextlib.suppress(TimeUp):
        fuzz()
    return harness.total - start


# -- atheris, in a child process -----------------------------------------------------------------------------


def atheris_worker(args: argparse.Namespace) -> None:
    """The child: instrument the engine, set up libFuzzer with our mutator and corpus, and fuzz."""
    import atheris

    with atheris.instrument_imports(include=["tfc_sentinel.lang"]):
        import importlib

        import tfc_sentinel.lang  # noqa: F401 - imported here to be instrumented
        from tfc_sentinel.lang.imports import _MODULES

        for module in _MODULES.values():  # the standard imports load lazily: instrument them now
            importlib.import_module(f"tfc_sentinel.lang.imports.{module}")
    harness = Harness(hang_seconds=args.hang_seconds, findings_dir=args.findings)
    corpus = build_corpus(args.corpus)
    seeds = Path(args.seeds)  # the parent's temporary folder: libFuzzer adds what it finds there
    for text in corpus:
        data = text.encode("utf-8")
        if len(data) <= MAX_LEN:
            (seeds / hashlib.sha1(data).hexdigest()).write_bytes(data)
    seed_count = len(list(seeds.iterdir()))
    # Looked up at each call: atheris rebinds ``Mutate`` once ``Fuzz()`` has loaded libFuzzer, and the
    # function object seen before that exits the process when called.
    mutator = Mutator(corpus, byte_mutate=lambda data, max_size: atheris.Mutate(data, max_size))
    stats_path = Path(args.stats)
    last_write = 0.0

    def write_stats() -> None:
        tmp = stats_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**harness.stats(), "seeds": seed_count}))
        os.replace(tmp, stats_path)

    def test_one_input(data: bytes) -> None:
        nonlocal last_write
        harness.run(data.decode("utf-8", "replace"), "atheris")
        now = time.monotonic()
        if harness.total >= args.inputs or now - last_write > 0.5:
            write_stats()
            last_write = now

    libfuzzer_args = [
        sys.argv[0],
        f"-runs={args.inputs}",
        f"-seed={args.seed}",
        f"-max_len={MAX_LEN}",
        "-timeout=0",  # our watchdog owns SIGALRM (and SIGPROF)
        "-rss_limit_mb=4096",
        "-print_final_stats=1",
        "-detect_leaks=0",
        # libFuzzer's own artifacts (slow-unit-*, written where it runs) stay out of the working tree;
        # ours go to --findings.
        f"-artifact_prefix={seeds.parent}/",
    ]
    if args.seconds:
        libfuzzer_args.append(f"-max_total_time={max(1, int(args.seconds))}")
    atheris.Setup([*libfuzzer_args, str(seeds)], test_one_input, custom_mutator=mutator)
    try:
        atheris.Fuzz()
    finally:
        write_stats()


def run_atheris(args: argparse.Namespace, count: int, seconds: float | None) -> dict[str, Any]:
    """Run the atheris child for ``count`` inputs; return its tallies (and libFuzzer's coverage line)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-engine-") as tmp:
        stats = Path(tmp) / "stats.json"
        log = Path(tmp) / "libfuzzer.log"
        command = [
            sys.executable,
            __file__,
            "--atheris-worker",
            "--inputs",
            str(count),
            "--stats",
            str(stats),
        ]
        command += ["--seed", str(args.seed), "--hang-seconds", str(args.hang_seconds)]
        command += ["--findings", str(args.findings), *(x for d in args.corpus for x in ("--corpus", str(d)))]
        command += ["--seeds", str(Path(tmp) / "seeds")]
        (Path(tmp) / "seeds").mkdir()
        if seconds:
            command += ["--seconds", str(seconds)]
        # The worker's own watchdog catches hangs in Python code; this one catches one stuck in C.
        limit = (seconds or count * 0.5) + 120
        with log.open("wb") as sink:
            try:
                done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, timeout=limit)
                returncode: int | str = done.returncode
            except subprocess.TimeoutExpired:
                returncode = "killed: the worker stopped answering (a hang outside Python code?)"
        text = log.read_text(errors="replace")
        result: dict[str, Any] = json.loads(stats.read_text()) if stats.exists() else {"counts": {}}
        result["returncode"] = returncode
        coverage = re.findall(r"cov: (\d+) ft: (\d+)", text)
        result["coverage"] = coverage[-1] if coverage else None
        if returncode not in (0, 1) or not stats.exists():
            result["log_tail"] = text[-3000:]
        return result


# -- main ----------------------------------------------------------------------------------------------------


def _figures(counts: Counter[str]) -> str:
    return "  ".join(f"{name} {counts.get(name, 0):,}" for name in OUTCOMES)


def replay(paths: list[Path], hang_seconds: float) -> int:
    """Run saved inputs again (after a fix) and print each outcome."""
    harness = Harness(hang_seconds=hang_seconds, findings_dir=Path(tempfile.mkdtemp(prefix="fuzz-replay-")))
    bad = 0
    for path in paths:
        outcome = harness.run(path.read_bytes().decode("utf-8", "surrogatepass"), "replay")
        bad += outcome in ("escaped", "hang")
        print(f"{outcome:>14}  {path}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all (default 100,000)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: no cap)")
    parser.add_argument("--atheris-share", type=float, default=0.5, help="share of inputs for atheris (0-1)")
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=10.0,
        help="per-input CPU-time watchdog (default 10 s; wall: 10x)",
    )
    parser.add_argument("--seed", type=int, default=20240502)
    parser.add_argument("--findings", type=Path, default=FINDINGS_DIR, help="where failing inputs go")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="extra seed folder")
    parser.add_argument("--replay", type=Path, nargs="+", help="run saved inputs again and exit")
    parser.add_argument("--atheris-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    parser.add_argument("--seeds", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.hang_seconds)
    if args.atheris_worker:
        atheris_worker(args)
        return 0

    start = time.monotonic()
    deadline = start + args.seconds if args.seconds else None
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed here: all inputs go to hypothesis")
        args.atheris_share = 0.0
    atheris_count = round(args.inputs * max(0.0, min(1.0, args.atheris_share)))
    counts: Counter[str] = Counter()
    evaluated = 0
    findings: list[str] = []
    rows: list[str] = []

    if atheris_count:
        seconds = args.seconds * atheris_count / args.inputs if args.seconds else None
        began = time.monotonic()
        result = run_atheris(args, atheris_count, seconds)
        took = time.monotonic() - began
        part = Counter(result["counts"])
        counts.update(part)
        evaluated += result.get("evaluated", 0)
        findings += result.get("findings", [])
        cov = result.get("coverage")
        cov_text = f", libFuzzer coverage: {cov[0]} edges, {cov[1]} features" if cov else ""
        rows.append(
            f"  atheris     {part.total():>9,} inputs in {took:7.1f} s ({part.total() / took:,.0f}/s), "
            f"{result.get('seeds', 0)} seeds{cov_text}"
        )
        if result["returncode"] != 0:
            rows.append(f"  atheris worker ended with {result['returncode']}")
            if "log_tail" in result:
                rows.append(result["log_tail"])

    harness = Harness(hang_seconds=args.hang_seconds, findings_dir=args.findings)
    hypothesis_count = args.inputs - counts.total()
    if hypothesis_count > 0:
        began = time.monotonic()
        ran = run_hypothesis(harness, hypothesis_count, deadline, args.seed)
        took = time.monotonic() - began
        rows.append(
            f"  hypothesis  {ran:>9,} inputs in {took:7.1f} s ({ran / max(took, 1e-9):,.0f}/s), grammar-aware"
        )
        counts.update(harness.counts)
        evaluated += harness.evaluated
        findings += [str(p) for p in harness.written]

    elapsed = time.monotonic() - start
    total = counts.total()
    print(f"engine fuzz: {total:,} inputs in {elapsed:.1f} s ({total / elapsed:,.0f} inputs/s)")
    print("\n".join(rows))
    print(f"  reached evaluation: {evaluated:,}; limits {LIMITS}; watchdog {args.hang_seconds:g} s per input")
    print(f"  outcomes: {_figures(counts)}")
    print(f"  escaped exceptions: {counts.get('escaped', 0)}  hangs: {counts.get('hang', 0)}")
    if counts.get("recursion limit"):
        print(f"  recursion limits (for review, not failures): {counts['recursion limit']}")
    if findings:
        print(f"  findings ({len(findings)} distinct) in {args.findings}:")
        for path in findings:
            print(f"    {path}")
    bad = counts.get("escaped", 0) + counts.get("hang", 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
