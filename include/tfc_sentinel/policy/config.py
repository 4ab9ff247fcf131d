"""``sentinel.hcl`` policy-set configuration and ``sentinel test`` case files, as typed dataclasses.

Both files share one format (HCL, HCL's JSON form, or the legacy JSON of old CLIs), so one reader
produces both: :func:`load_policy_set` for a policy set, :func:`load_test_case` for a case file. Blocks
read (design notes, section 15): ``policy``, ``module``, ``import "module"|"plugin"|"static"`` (and the
old one-label plugin form), ``mock`` (``module { source }`` or ``data``), ``param``, ``global``,
``sentinel { features }`` and ``test { rules }``.

Decisions:

* Relative paths resolve against the directory of the file that names them, and are stored absolute
  (``path``) next to the text as written (``source``).
* Problems that make a whole file unusable (syntax, unknown blocks or attributes, wrong types, unknown
  enforcement levels, duplicate names, standard-library names used for modules) raise
  :class:`~tfc_sentinel.policy.errors.ConfigError` with file and line.
* Things this offline engine cannot do but a policy may never need (a remote ``git::`` source, an
  import plugin, a non-JSON static import) are kept and reported by ``unsupported_reason`` /
  ``require_supported()`` / ``problems()``, so the runner fails only the policies that use them, as
  the issue asks ("the run goes on for the rest"). ``strict=True`` raises them at load time instead.
* A policy without ``source`` reads ``./<name>.sentinel`` (Terraform Cloud's convention).
* ``param "policy/name"`` blocks apply only to policy ``policy`` (see :meth:`PolicySetConfig.params_for`).
"""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tfc_sentinel.lang.imports import STDLIB_NAMES
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, Value
from tfc_sentinel.report.model import EnforcementLevel

from ._hcl import MARKERS, BodyIndex, convert, parse_hcl, unquote_key
from .errors import ConfigError, ConfigSyntaxError, UnsupportedConfigError

__all__ = [
    "CONFIG_FILES",
    "EnforcementLevel",
    "ImportConfig",
    "ImportKind",
    "Location",
    "MockConfig",
    "ModuleSource",
    "PolicyConfig",
    "PolicySetConfig",
    "TestCase",
    "is_remote_source",
    "load_policy_set",
    "load_test_case",
]

CONFIG_FILES: Final = ("sentinel.hcl", "sentinel.json")
"""What ``sentinel apply`` reads from a folder when no ``-config`` is given, in this order."""

_REMOTE: Final = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*::|[A-Za-z][A-Za-z0-9+.-]*://|git@|(?:github\.com|gitlab\.com|bitbucket\.org)/)"
)
_STATIC_FORMATS: Final = ("json",)


def is_remote_source(source: str) -> bool:
    """True for go-getter style sources (``git::https://…``, ``https://…``, ``github.com/…``)."""
    return bool(_REMOTE.match(source.strip()))


@dataclass(frozen=True)
class Location:
    """Where a configuration item is defined, for error messages (``line`` is 1-based, may be unknown)."""

    file: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def error(self, message: str, cls: type[ConfigError] = ConfigError) -> ConfigError:
        return cls(message, file=self.file, line=self.line)


def _remote_reason(what: str, source: str) -> str:
    return (
        f"{what}: source {source!r} is remote; remote sources are not supported offline: download "
        "the file into the policy set and point `source` at it with a relative path"
    )


@dataclass(frozen=True)
class ModuleSource:
    """A Sentinel module importable by name (``module "name"`` or ``import "module" "name"``)."""

    name: str
    source: str
    path: Path | None
    location: Location

    @property
    def unsupported_reason(self) -> str | None:
        return _remote_reason(f'module "{self.name}"', self.source) if self.path is None else None

    def local_path(self) -> Path:
        """The module file; :class:`UnsupportedConfigError` (with file and line) for remote sources."""
        if self.path is None:
            raise self.location.error(
                _remote_reason(f'module "{self.name}"', self.source), UnsupportedConfigError
            )
        return self.path


@dataclass(frozen=True)
class PolicyConfig:
    """A ``policy "name"`` block: which file, how much a failure matters, and its own params."""

    name: str
    source: str
    path: Path | None
    enforcement_level: EnforcementLevel
    params: dict[str, Value]
    location: Location

    @property
    def unsupported_reason(self) -> str | None:
        return _remote_reason(f'policy "{self.name}"', self.source) if self.path is None else None

    def local_path(self) -> Path:
        """The policy file; :class:`UnsupportedConfigError` (with file and line) for remote sources."""
        if self.path is None:
            raise self.location.error(
                _remote_reason(f'policy "{self.name}"', self.source), UnsupportedConfigError
            )
        return self.path


class ImportKind(enum.StrEnum):
    MODULE = "module"
    PLUGIN = "plugin"
    STATIC = "static"


@dataclass(frozen=True)
class ImportConfig:
    """An ``import "kind" "name"`` block (or the old ``import "name" { path = … }`` plugin form).

    ``path`` is the resolved local file for module and static imports (``None`` for remote sources and
    plugins, whose ``source`` is an executable); ``format`` is the static data format.
    """

    name: str
    kind: ImportKind
    source: str | None
    path: Path | None
    location: Location
    format: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    config: dict[str, Value] = field(default_factory=dict)

    @property
    def unsupported_reason(self) -> str | None:
        """Why this import cannot be served offline, or ``None`` when it can."""
        if self.kind is ImportKind.PLUGIN:
            return (
                f'import "{self.name}" is a plugin ({self.source or "no source"}); import plugins are not '
                f'supported offline: mock it instead (mock "{self.name}" {{ data = {{ ... }} }} or a '
                "module block with a .sentinel file)"
            )
        if self.kind is ImportKind.STATIC and (self.format or "json") not in _STATIC_FORMATS:
            return (
                f'import "static" "{self.name}": format {self.format!r} is not supported; '
                'convert the data to JSON and set format = "json"'
            )
        if self.path is None and self.source is not None:
            return _remote_reason(f'import "{self.kind.value}" "{self.name}"', self.source)
        return None

    def require_supported(self) -> None:
        """Raise :class:`UnsupportedConfigError` (with file and line) if the import cannot be served."""
        reason = self.unsupported_reason
        if reason:
            raise self.location.error(reason, UnsupportedConfigError)


@dataclass(frozen=True)
class MockConfig:
    """A ``mock "import"`` block: Sentinel code (``path``) or literal ``data`` replacing an import."""

    name: str
    location: Location
    source: str | None = None
    path: Path | None = None
    data: dict[str, Value] | None = None

    @property
    def is_module(self) -> bool:
        return self.source is not None

    @property
    def unsupported_reason(self) -> str | None:
        if self.source is not None and self.path is None:
            return _remote_reason(f'mock "{self.name}"', self.source)
        return None


@dataclass
class _Common:
    """What both file kinds may hold."""

    path: Path
    modules: dict[str, ModuleSource] = field(default_factory=dict)
    imports: dict[str, ImportConfig] = field(default_factory=dict)
    mocks: dict[str, MockConfig] = field(default_factory=dict)
    params: dict[str, Value] = field(default_factory=dict)
    globals: dict[str, Value] = field(default_factory=dict)
    features: dict[str, Value] = field(default_factory=dict)
    legacy: bool = False
    warnings: list[str] = field(default_factory=list)

    def module_sources(self) -> dict[str, ModuleSource]:
        """Every Sentinel module by import name: ``module`` blocks and ``import "module"`` blocks."""
        merged = dict(self.modules)
        for name, item in self.imports.items():
            if item.kind is ImportKind.MODULE:
                merged[name] = ModuleSource(name, item.source or "", item.path, item.location)
        return merged

    def problems(self) -> list[UnsupportedConfigError]:
        """Everything configured that this engine cannot serve offline (empty when all is local)."""
        items: list[Any] = [*getattr(self, "policies", [])]
        items += [*self.modules.values(), *self.imports.values(), *self.mocks.values()]
        found = []
        for item in items:
            reason = item.unsupported_reason
            if reason:
                found.append(UnsupportedConfigError(reason, file=item.location.file, line=item.location.line))
        return found


@dataclass
class PolicySetConfig(_Common):
    """A policy set's ``sentinel.hcl``: its policies plus what they share."""

    policies: list[PolicyConfig] = field(default_factory=list)

    def policy(self, name: str) -> PolicyConfig:
        """The policy called ``name`` (label, or file name with or without ``.sentinel``)."""
        for policy in self.policies:
            if name in (policy.name, Path(policy.source).name, Path(policy.source).stem):
                return policy
        known = ", ".join(p.name for p in self.policies) or "none"
        raise KeyError(f"{self.path} has no policy {name!r} (has: {known})")

    def params_for(self, policy: PolicyConfig) -> dict[str, Value]:
        """Param values for one policy: shared ``param`` blocks, then ``param "<policy>/<name>"``, then its ``params``."""
        merged = {name: value for name, value in self.params.items() if "/" not in name}
        prefix = f"{policy.name}/"
        merged.update({name[len(prefix) :]: v for name, v in self.params.items() if name.startswith(prefix)})
        merged.update(policy.params)
        return merged


@dataclass
class TestCase(_Common):
    """One ``sentinel test`` case file. ``rules`` is ``None`` without a ``test`` block: the policy must pass."""

    __test__ = False  # not a pytest test class

    rules: dict[str, Value] | None = None


# --- reading -------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found; check the path", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from exc


def _json_value(value: Any) -> Value:
    """JSON data as engine values: integers beyond int64 become floats, as HCL numbers do."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else float(value)
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _resolve(base: Path, source: str) -> Path | None:
    """Absolute local path for ``source`` relative to ``base`` (a directory); ``None`` if remote."""
    if is_remote_source(source):
        return None
    return Path(os.path.normpath(base / os.path.expanduser(source)))


class _Reader:
    """Turns one file's blocks (already split into labels and bodies) into the common fields."""

    def __init__(self, path: Path, text: str, *, hcl: bool) -> None:
        self.path = path
        self.hcl = hcl
        self.file = str(path)
        self.text = text
        self.base = path.parent
        self.common = _Common(path=path)
        self.policies: list[PolicyConfig] = []
        self.rules: dict[str, Value] | None = None
        self.seen: dict[tuple[str, str], int | None] = {}

    def loc(self, line: int | None) -> Location:
        return Location(self.path, line)

    def fail(self, message: str, line: int | None, cls: type[ConfigError] = ConfigError) -> ConfigError:
        return cls(message, file=self.file, line=line)

    def claim(self, kind: str, name: str, line: int | None) -> None:
        """Reject a second definition of the same name (modules and imports share one namespace)."""
        space = "import" if kind in ("module", "import") else kind
        key = (space, name)
        if key in self.seen:
            first = self.seen[key]
            at = f" (first defined at line {first})" if first else ""
            raise self.fail(f'{kind} "{name}" is defined twice{at}; keep one', line)
        self.seen[key] = line

    def value(self, raw: Any, where: str, line: int | None) -> Value:
        """HCL values need python-hcl2's quoting undone; JSON values already are engine values."""
        return convert(raw, where, self.file, line) if self.hcl else _json_value(raw)

    def string(self, raw: Any, where: str, line: int | None) -> str:
        value = self.value(raw, where, line)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where} must be a non-empty string", line)
        return value

    def mapping(self, raw: Any, where: str, line: int | None) -> dict[str, Value]:
        value = self.value(raw, where, line)
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a map ({{ key = value }})", line)
        return value

    def check_attrs(
        self, body: Mapping[str, Any], allowed: tuple[str, ...], what: str, index: BodyIndex
    ) -> None:
        for name, lines in index.attrs.items():
            if len(lines) > 1:
                raise self.fail(
                    f"{what}: attribute {name!r} is set twice (line {lines[0]}); keep one", lines[1]
                )
        for key in body:
            if key in MARKERS or key in allowed:
                continue
            hint = f"; expected: {', '.join(allowed)}" if allowed else "; this block takes no attributes"
            raise self.fail(f"{what}: unknown attribute or block {key!r}{hint}", index.attr_line(key))

    # -- blocks --

    def policy(self, name: str, body: Mapping[str, Any], index: BodyIndex) -> None:
        what = f'policy "{name}"'
        self.check_attrs(body, ("source", "enforcement_level", "params"), what, index)
        self.claim("policy", name, index.line)
        if "source" in body:
            source = self.string(body["source"], f"{what}: source", index.attr_line("source"))
        else:
            source = f"./{name}.sentinel"
        level = EnforcementLevel.ADVISORY
        if "enforcement_level" in body:
            text = self.string(
                body["enforcement_level"], f"{what}: enforcement_level", index.attr_line("enforcement_level")
            )
            try:
                level = EnforcementLevel.parse(text)
            except ValueError as exc:
                raise self.fail(f"{what}: {exc}", index.attr_line("enforcement_level")) from None
        params = (
            self.mapping(body["params"], f"{what}: params", index.attr_line("params"))
            if "params" in body
            else {}
        )
        self.policies.append(
            PolicyConfig(name, source, _resolve(self.base, source), level, params, self.loc(index.line))
        )

    def check_module_name(self, name: str, what: str, line: int | None) -> None:
        if name in STDLIB_NAMES:
            raise self.fail(
                f"{what}: {name!r} is a standard import and cannot be a module name; "
                "rename the module (and the policies' import statements)",
                line,
            )

    def module(self, name: str, body: Mapping[str, Any], index: BodyIndex, key: str = "source") -> None:
        what = f'module "{name}"'
        self.check_attrs(body, (key,), what, index)
        self.check_module_name(name, what, index.line)
        self.claim("module", name, index.line)
        if key not in body:
            raise self.fail(f'{what} has no {key}; add {key} = "path/to/module.sentinel"', index.line)
        source = self.string(body[key], f"{what}: {key}", index.attr_line(key))
        self.common.modules[name] = ModuleSource(
            name, source, _resolve(self.base, source), self.loc(index.line)
        )

    def import_block(self, kind: str | None, name: str, body: Mapping[str, Any], index: BodyIndex) -> None:
        if kind is None:  # pre-0.19 form: import "name" { path = "plugin" ... }
            if "path" in body or "source" not in body:
                kind_enum = ImportKind.PLUGIN
                allowed: tuple[str, ...] = ("path", "args", "env", "config")
            else:
                kind_enum = ImportKind.MODULE
                allowed = ("source",)
            what = f'import "{name}"'
        else:
            try:
                kind_enum = ImportKind(kind)
            except ValueError:
                raise self.fail(
                    f'import "{kind}" "{name}": unknown import kind {kind!r}; use "module", "plugin" or "static"',
                    index.line,
                ) from None
            what = f'import "{kind}" "{name}"'
            allowed = {
                ImportKind.MODULE: ("source",),
                ImportKind.PLUGIN: ("source", "args", "env", "config"),
                ImportKind.STATIC: ("source", "format"),
            }[kind_enum]
        self.check_attrs(body, allowed, what, index)
        if kind_enum is not ImportKind.PLUGIN:
            self.check_module_name(name, what, index.line)
        self.claim("import", name, index.line)
        source_key = "path" if "path" in allowed else "source"
        source = None
        if source_key in body:
            source = self.string(body[source_key], f"{what}: {source_key}", index.attr_line(source_key))
        elif kind_enum is not ImportKind.PLUGIN:
            raise self.fail(f'{what} has no source; add source = "path/to/file"', index.line)
        path = None
        if source is not None and kind_enum is not ImportKind.PLUGIN:
            path = _resolve(self.base, source)
        args = self.value(body.get("args", []), f"{what}: args", index.attr_line("args"))
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise self.fail(f"{what}: args must be a list of strings", index.attr_line("args"))
        env = self.mapping(body.get("env", {}), f"{what}: env", index.attr_line("env"))
        if not all(isinstance(v, str) for v in env.values()):
            raise self.fail(f"{what}: env values must be strings", index.attr_line("env"))
        config = self.mapping(body.get("config", {}), f"{what}: config", index.attr_line("config"))
        fmt = None
        if kind_enum is ImportKind.STATIC:
            fmt = (
                self.string(body["format"], f"{what}: format", index.attr_line("format"))
                if "format" in body
                else "json"
            )
        self.common.imports[name] = ImportConfig(
            name, kind_enum, source, path, self.loc(index.line), fmt, list(args), dict(env), config
        )

    def mock(self, name: str, body: Mapping[str, Any], index: BodyIndex) -> None:
        what = f'mock "{name}"'
        self.check_attrs(body, ("data", "module"), what, index)
        self.claim("mock", name, index.line)
        has_data, has_module = "data" in body, "module" in body
        if has_data == has_module:
            raise self.fail(
                f'{what} needs exactly one of `data = {{ ... }}` or a `module {{ source = "..." }}` block',
                index.line,
            )
        if has_data:
            data = self.mapping(body["data"], f"{what}: data", index.attr_line("data"))
            self.common.mocks[name] = MockConfig(name, self.loc(index.line), data=data)
            return
        modules = body["module"]
        modules = modules if isinstance(modules, list) else [modules]
        inner_index = index.block("module", 0)
        if len(modules) != 1 or not isinstance(modules[0], Mapping):
            raise self.fail(f"{what} has {len(modules)} module blocks; keep one", index.line)
        self.check_attrs(modules[0], ("source",), f"{what}: module", inner_index)
        if "source" not in modules[0]:
            raise self.fail(
                f'{what}: module block has no source; add source = "mock-file.sentinel"', inner_index.line
            )
        source = self.string(
            modules[0]["source"], f"{what}: module source", inner_index.attr_line("source") or index.line
        )
        self.common.mocks[name] = MockConfig(
            name, self.loc(index.line), source=source, path=_resolve(self.base, source)
        )

    def named_value(self, kind: str, name: str, body: Mapping[str, Any], index: BodyIndex) -> None:
        what = f'{kind} "{name}"'
        self.check_attrs(body, ("value",), what, index)
        self.claim(kind, name, index.line)
        if "value" not in body:
            raise self.fail(f"{what} has no value; add value = ...", index.line)
        target = self.common.params if kind == "param" else self.common.globals
        target[name] = self.value(body["value"], f"{what}: value", index.attr_line("value"))

    def sentinel(self, body: Mapping[str, Any], index: BodyIndex) -> None:
        self.check_attrs(body, ("features",), "sentinel block", index)
        self.claim("sentinel", "", index.line)
        if "features" in body:
            self.common.features = self.mapping(
                body["features"], "sentinel: features", index.attr_line("features")
            )

    def test(self, body: Mapping[str, Any], index: BodyIndex) -> None:
        self.check_attrs(body, ("rules",), "test block", index)
        self.claim("test", "", index.line)
        self.rules = self.mapping(body.get("rules", {}), "test: rules", index.attr_line("rules"))


# --- HCL documents -------------------------------------------------------------------------------------

_LABELS: Final = {"policy": 1, "module": 1, "mock": 1, "param": 1, "global": 1, "sentinel": 0, "test": 0}


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _peel(
    entry: Any, count: int, kind: str, reader: _Reader, line: int | None, markers: bool
) -> tuple[list[str], Mapping[str, Any]]:
    """Split a serialised block into its labels and body, checking the label count."""
    labels: list[str] = []
    current = entry
    usage = {0: f"{kind} {{ ... }}", 1: f'{kind} "name" {{ ... }}', 2: f'{kind} "kind" "name" {{ ... }}'}[
        count
    ]
    for _ in range(count):
        if not isinstance(current, Mapping) or (markers and "__is_block__" in current) or len(current) != 1:
            raise reader.fail(f"{kind} block needs {count} label{'s' * (count > 1)}: {usage}", line)
        label, current = next(iter(current.items()))
        labels.append(unquote_key(str(label), f"{kind} block label", reader.file, line))
    if not isinstance(current, Mapping) or (markers and "__is_block__" not in current):
        raise reader.fail(f"{kind} block has too many labels; write it as {usage}", line)
    return labels, current


def _import_label_count(entry: Any, markers: bool) -> int:
    if not isinstance(entry, Mapping) or len(entry) != 1:
        return 1
    label, inner = next(iter(entry.items()))
    if markers:
        return 1 if isinstance(inner, Mapping) and "__is_block__" in inner else 2
    kind = str(label).strip('"')
    nested = (
        isinstance(inner, Mapping) and len(inner) == 1 and isinstance(next(iter(inner.values())), Mapping)
    )
    return 2 if kind in {k.value for k in ImportKind} and nested else 1


def _read_hcl(reader: _Reader) -> None:
    parsed = parse_hcl(reader.text, reader.file)
    document, index = parsed.document, parsed.index
    for kind, value in document.items():
        if kind in MARKERS:
            continue
        if kind not in _LABELS and kind != "import":
            lines = index.attrs.get(kind) or [b.line for b in index.blocks.get(kind, [])] or [None]
            known = ", ".join([*_LABELS, "import"])
            raise reader.fail(
                f"unknown block or attribute {kind!r}; a Sentinel configuration has: {known}", lines[0]
            )
        entries = _entries(value)
        if not all(isinstance(e, Mapping) for e in entries):
            line = index.attr_line(kind)
            raise reader.fail(f"{kind!r} must be a block ({kind} ... {{ }}), not an attribute", line)
        for position, entry in enumerate(entries):
            block_index = index.block(kind, position)
            line = block_index.line
            count = _import_label_count(entry, parsed.markers) if kind == "import" else _LABELS[kind]
            labels, body = _peel(entry, count, kind, reader, line, parsed.markers)
            _dispatch(reader, kind, labels, body, block_index)


def _dispatch(
    reader: _Reader, kind: str, labels: list[str], body: Mapping[str, Any], index: BodyIndex
) -> None:
    if kind == "policy":
        reader.policy(labels[0], body, index)
    elif kind == "module":
        reader.module(labels[0], body, index)
    elif kind == "import":
        if len(labels) == 2:
            reader.import_block(labels[0], labels[1], body, index)
        else:
            reader.import_block(None, labels[0], body, index)
    elif kind == "mock":
        reader.mock(labels[0], body, index)
    elif kind in ("param", "global"):
        reader.named_value(kind, labels[0], body, index)
    elif kind == "sentinel":
        reader.sentinel(body, index)
    else:
        reader.test(body, index)


# --- JSON documents ------------------------------------------------------------------------------------


def _json_line(text: str, key: str) -> int | None:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _is_legacy(document: Mapping[str, Any]) -> bool:
    """Old CLIs' JSON (``mock: {name: "file"}``, ``test: {main: false}``) versus HCL's JSON form."""
    if "modules" in document or "imports" in document:
        return True
    if any(key in document for key in ("policy", "sentinel", "import", "module")):
        return False
    test = document.get("test")
    if isinstance(test, Mapping) and (set(test) != {"rules"} or not isinstance(test["rules"], Mapping)):
        return True
    for entry in (document.get("mock") or {}).values() if isinstance(document.get("mock"), Mapping) else []:
        if not isinstance(entry, Mapping) or not set(entry) <= {"module", "data"} or not entry:
            return True
    for kind in ("param", "global"):
        values = document.get(kind)
        if isinstance(values, Mapping) and any(
            not isinstance(v, Mapping) or set(v) != {"value"} for v in values.values()
        ):
            return True
    return False


def _json_blocks(value: Any, depth: int) -> Iterator[tuple[list[str], Any]]:
    """HCL JSON: labels are nested object keys; a list means several objects of the same shape."""
    for item in _entries(value):
        if depth == 0:
            yield [], item
        elif isinstance(item, Mapping):
            for label, inner in item.items():
                for labels, body in _json_blocks(inner, depth - 1):
                    yield [str(label), *labels], body


def _read_json(reader: _Reader) -> None:
    try:
        document = json.loads(reader.text)
    except json.JSONDecodeError as exc:
        raise ConfigSyntaxError(
            f"not valid JSON: {exc.msg}; check commas, quotes and brackets around this point",
            file=reader.file,
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    if not isinstance(document, Mapping):
        raise reader.fail("a JSON configuration must be an object ({ ... })", 1)
    if _is_legacy(document):
        reader.common.legacy = True
        _read_legacy_json(reader, document)
        return
    for kind, value in document.items():
        line = _json_line(reader.text, kind)
        if kind not in _LABELS and kind != "import":
            raise reader.fail(
                f"unknown key {kind!r}; a Sentinel configuration has: {', '.join([*_LABELS, 'import'])}", line
            )
        depth = _LABELS.get(kind, 2)
        if kind == "import" and isinstance(value, Mapping):
            # v1 form {"import": {"name": {"path": ...}}} versus v2 {"import": {"plugin": {"name": {...}}}}
            v2 = all(
                k in {m.value for m in ImportKind}
                and isinstance(v, Mapping)
                and all(isinstance(b, Mapping) for b in v.values())
                for k, v in value.items()
            )
            depth = 2 if v2 else 1
        for labels, body in _json_blocks(value, depth):
            if not isinstance(body, Mapping):
                raise reader.fail(f"{kind} {' '.join(labels)}: expected an object", line)
            block_line = _json_line(reader.text, labels[-1]) if labels else line
            index = BodyIndex(
                line=block_line, attrs={k: [_json_line(reader.text, k) or block_line or 0] for k in body}
            )
            if kind == "mock" and isinstance(body.get("module"), Mapping | list):
                index.blocks["module"] = [BodyIndex(line=block_line, attrs={"source": [block_line or 0]})]
            _dispatch(reader, kind, labels, body, index)


def _read_legacy_json(reader: _Reader, document: Mapping[str, Any]) -> None:
    allowed = ("mock", "modules", "imports", "global", "param", "test")
    for kind, value in document.items():
        line = _json_line(reader.text, kind)
        if kind not in allowed:
            raise reader.fail(
                f"unknown key {kind!r} in a legacy JSON configuration; expected: {', '.join(allowed)}", line
            )
        if not isinstance(value, Mapping):
            raise reader.fail(f"{kind!r} must be an object", line)
        for name, item in value.items():
            item_line = _json_line(reader.text, name) or line
            if kind == "mock":
                reader.claim("mock", name, item_line)
                if isinstance(item, str):
                    reader.common.mocks[name] = MockConfig(
                        name, reader.loc(item_line), source=item, path=_resolve(reader.base, item)
                    )
                elif isinstance(item, Mapping):
                    reader.common.mocks[name] = MockConfig(
                        name, reader.loc(item_line), data=_json_value(dict(item))
                    )
                else:
                    raise reader.fail(f'mock "{name}" must be a file name or an object of data', item_line)
            elif kind == "modules":
                if not isinstance(item, Mapping):
                    raise reader.fail(f'module "{name}" must be an object with "path"', item_line)
                key = "path" if "path" in item else "source"
                reader.module(
                    name, item, BodyIndex(line=item_line, attrs={k: [item_line or 0] for k in item}), key
                )
            elif kind == "imports":
                if not isinstance(item, Mapping):
                    raise reader.fail(f'import "{name}" must be an object with "path"', item_line)
                reader.import_block(
                    None, name, {"path": item.get("path", ""), **item}, BodyIndex(line=item_line)
                )
            elif kind in ("global", "param"):
                reader.claim(kind, name, item_line)
                (reader.common.globals if kind == "global" else reader.common.params)[name] = _json_value(
                    item
                )
            else:
                reader.rules = reader.rules or {}
                reader.rules[name] = _json_value(item)
        if kind == "test" and reader.rules is None:
            reader.rules = {}


# --- public API ----------------------------------------------------------------------------------------


def _read(path: Path) -> _Reader:
    path = Path(os.path.normpath(Path(path).absolute()))
    text = _read_text(path)
    is_json = path.suffix.lower() == ".json"
    reader = _Reader(path, text, hcl=not is_json)
    if is_json:
        _read_json(reader)
    else:
        _read_hcl(reader)
    return reader


def _raise_first(problems: list[UnsupportedConfigError]) -> None:
    if problems:
        raise problems[0]


def _config_file(path: Path) -> Path:
    if path.is_dir():
        for name in CONFIG_FILES:
            if (path / name).is_file():
                return path / name
        raise ConfigError(
            f"no {' or '.join(CONFIG_FILES)} in this folder; point at the policy set's folder or its config file",
            file=path,
        )
    return path


def load_policy_set(path: str | os.PathLike[str], *, strict: bool = False) -> PolicySetConfig:
    """Read a policy set's configuration (a folder holding ``sentinel.hcl``/``.json``, or the file itself).

    ``strict`` also raises for items this engine cannot serve (remote sources, plugins); otherwise they
    are listed by :meth:`PolicySetConfig.problems` for the runner to report per policy.
    """
    reader = _read(_config_file(Path(path)))
    common = reader.common
    config = PolicySetConfig(**{name: getattr(common, name) for name in _Common.__dataclass_fields__})
    config.policies = reader.policies
    if reader.rules is not None:
        config.warnings.append("the test block is only used in test case files; ignored here")
    if strict:
        _raise_first(config.problems())
    return config


def load_test_case(path: str | os.PathLike[str], *, strict: bool = False) -> TestCase:
    """Read one ``sentinel test`` case file (``.hcl`` or ``.json``); paths in it are relative to it."""
    reader = _read(Path(path))
    common = reader.common
    case = TestCase(**{name: getattr(common, name) for name in _Common.__dataclass_fields__})
    case.rules = reader.rules
    if reader.policies:
        case.warnings.append("policy blocks are ignored in test case files")
    if case.legacy:
        case.warnings.append("legacy JSON configuration; consider rewriting it as HCL")
    if strict:
        _raise_first(case.problems())
    return case
