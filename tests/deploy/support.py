"""Reading the deployment files the way Docker does, without a Docker engine.

- ``load_compose``: ``docker-compose.yaml`` parsed (YAML merge keys included) and interpolated like
  Compose does (``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``,
  ``${VAR?err}``, defaults nesting further ``${...}``), with an explicit environment instead of the
  caller's, so the result is what ``docker compose config`` would give on a machine without a ``.env``.
- ``shell_airflow_commands``: the ``airflow ...`` invocations in a shell snippet (health checks, the init
  script), each as an argv.
- ``dockerfile_instructions``: a Dockerfile as (instruction, arguments) pairs, continuation lines joined.
- ``dockerignore_excludes``: whether ``.dockerignore`` keeps a path out of the build context.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

REPO: Final = Path(__file__).resolve().parents[2]
COMPOSE_FILE: Final = REPO / "docker-compose.yaml"
DOCKERFILE: Final = REPO / "Dockerfile"
DOCKERIGNORE: Final = REPO / ".dockerignore"
# The Compose Specification's JSON schema, shared by the projects of this machine (see its README.md).
COMPOSE_SCHEMA: Final = REPO.parent / "shared" / "schemas" / "compose-spec.json"

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED: Final = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?", re.DOTALL)


@dataclass(frozen=True)
class Variable:
    """One ``${...}`` reference: its name and whether it falls back to a default when unset."""

    name: str
    has_default: bool
    required: bool = False


@dataclass
class Interpolator:
    env: Mapping[str, str]
    seen: list[Variable] = field(default_factory=list)

    def __call__(self, text: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char != "$":
                out.append(char)
                i += 1
                continue
            following = text[i + 1 : i + 2]
            if following == "$":
                out.append("$")
                i += 2
            elif following == "{":
                end = _closing_brace(text, i)
                out.append(self._braced(text[i + 2 : end], text))
                i = end + 1
            elif match := _NAME.match(text, i + 1):
                self.seen.append(Variable(match.group(), has_default=False))
                out.append(self.env.get(match.group(), ""))
                i = match.end()
            else:
                raise ValueError(f"invalid interpolation at offset {i} of {text!r}; write $$ for a literal $")
        return "".join(out)

    def _braced(self, body: str, text: str) -> str:
        match = _BRACED.fullmatch(body)
        if match is None:
            raise ValueError(f"invalid interpolation ${{{body}}} in {text!r}")
        name, op, arg = match.group("name", "op", "arg")
        value = self.env.get(name)
        if op is None:
            self.seen.append(Variable(name, has_default=False))
            return value or ""
        if op in (":?", "?"):
            self.seen.append(Variable(name, has_default=False, required=True))
            if value is None or (op == ":?" and not value):
                raise ValueError(f"required variable {name} is missing a value: {arg}")
            return value
        self.seen.append(Variable(name, has_default=True))
        if value is None or (op == ":-" and not value):
            return self(arg)
        return value


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` at ``start``, counting nested ``${`` as Compose does."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unclosed ${{ in {text!r}")


def interpolate_tree(node: Any, interpolate: Interpolator) -> Any:
    if isinstance(node, str):
        return interpolate(node)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, interpolate) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, interpolate) for value in node]
    return node


def load_compose(env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[Variable]]:
    """The interpolated compose document (against ``env``, default empty) and the variables it used."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    interpolate = Interpolator(dict(env or {}))
    return interpolate_tree(raw, interpolate), interpolate.seen


def command_argv(command: str | list[str]) -> list[str]:
    """A service's ``command`` (or ``entrypoint``) as an argv: Compose splits a string like a shell."""
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


# --- shell snippets ---------------------------------------------------------------------------------------

_OPERATORS: Final = frozenset({";", "&&", "||", "|", "&", "(", ")", "((", "))"})
_REDIRECT: Final = re.compile(r"^[0-9]*[<>]")
_HEREDOC: Final = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def shell_airflow_commands(script: str) -> list[list[str]]:
    """Every ``airflow ...`` (also ``/entrypoint airflow ...``) started by a shell snippet, as argv
    without the leading ``airflow``; here-document bodies are skipped, redirections dropped."""
    commands: list[list[str]] = []
    heredoc_end: str | None = None
    for line in script.splitlines():
        if heredoc_end is not None:
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        if match := _HEREDOC.search(line):
            heredoc_end = match.group(1)
            line = line[: match.start()]
        tokens = _tokens(line)
        at_start = True
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in _OPERATORS:
                at_start = True
                i += 1
                continue
            if at_start and token == "/entrypoint" and tokens[i + 1 : i + 2] == ["airflow"]:
                i += 1
                token = "airflow"
            if at_start and token == "airflow":
                argv: list[str] = []
                i += 1
                while i < len(tokens) and tokens[i] not in _OPERATORS:
                    if _REDIRECT.match(tokens[i]):
                        i += 2  # the operator and its target
                        continue
                    argv.append(tokens[i])
                    i += 1
                commands.append(argv)
                continue
            at_start = False
            i += 1
    return commands


# --- Dockerfile and .dockerignore ------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; comments dropped, backslash continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def dockerfile_args(instructions: list[tuple[str, str]]) -> dict[str, str | None]:
    """Every ``ARG`` name with its default (the last declaration that gives one wins)."""
    found: dict[str, str | None] = {}
    for keyword, arguments in instructions:
        if keyword != "ARG":
            continue
        name, eq, default = arguments.partition("=")
        if eq:
            found[name] = default.strip().strip("\"'")
        else:
            found.setdefault(name, None)
    return found


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _matches(pattern: str, path: str) -> bool:
    pattern = pattern.strip("/")
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for prefix in prefixes:
        if fnmatch.fnmatchcase(prefix, pattern):
            return True
        if pattern.startswith("**/"):
            rest = prefix.split("/")
            if any(fnmatch.fnmatchcase("/".join(rest[k:]), pattern[3:]) for k in range(len(rest))):
                return True
    return False


def dockerignore_excludes(path: str) -> bool:
    """True when ``.dockerignore`` leaves ``path`` (relative to the repository) out of the context."""
    excluded = False
    for pattern in dockerignore_patterns():
        if pattern.startswith("!"):
            if _matches(pattern[1:], path):
                excluded = False
        elif _matches(pattern, path):
            excluded = True
    return excluded
