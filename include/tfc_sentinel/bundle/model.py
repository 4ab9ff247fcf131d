"""An unpacked mock bundle: which file serves which Sentinel import, read from its ``sentinel.hcl``.

The policy layer needs "where is the mock for ``tfplan/v2``?" answered from the bundle itself rather
than from a hard-coded table, because hand-made bundles (and future Terraform Cloud versions) may map
imports differently or omit the v1 files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tfc_sentinel.bundle.errors import InvalidBundleError
from tfc_sentinel.bundle.layout import CONFIG_FILE, IMPORT_FILES

__all__ = ["Bundle", "parse_mocks"]


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps HCL string quotes (``'"x"'``); HCL string escapes are a subset of JSON's."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    return value


def _plain(value: Any) -> Any:
    """Static mock data as plain Python: quotes and python-hcl2's ``__is_block__`` markers removed."""
    if isinstance(value, Mapping):
        return {_unquote(key): _plain(item) for key, item in value.items() if key != "__is_block__"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return _unquote(value)


def _blocks(value: Any) -> Iterator[Mapping[str, Any]]:
    """python-hcl2 gives repeated blocks as a list of dicts, a single one sometimes as a dict."""
    if isinstance(value, Mapping):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                yield item


def parse_mocks(text: str, where: str = CONFIG_FILE) -> tuple[dict[str, str], dict[str, Any]]:
    """Return ``(module mocks: import → source, data mocks: import → map)`` from ``sentinel.hcl`` text."""
    import hcl2  # imported here: python-hcl2 pulls in lark, which DAG parsing should not pay for

    try:
        document = hcl2.loads(text)
    except Exception as exc:  # python-hcl2 raises lark and its own errors without a common base
        raise InvalidBundleError(f"{where} is not valid HCL: {exc}; re-create the bundle") from exc
    modules: dict[str, str] = {}
    data: dict[str, Any] = {}
    for block in _blocks(document.get("mock")):
        for label, body in block.items():
            name = str(_unquote(label))
            if not isinstance(body, Mapping):
                raise InvalidBundleError(f"{where}: mock {name!r} has no body")
            module = next(_blocks(body.get("module")), None)
            if module is not None:
                source = _unquote(module.get("source"))
                if not isinstance(source, str) or not source:
                    raise InvalidBundleError(f"{where}: mock {name!r} module has no source")
                modules[name] = source
            elif "data" in body:
                data[name] = _plain(body["data"])
            else:
                raise InvalidBundleError(f"{where}: mock {name!r} has neither a module block nor data")
    return modules, data


@dataclass(frozen=True)
class Bundle:
    """A mock bundle directory: its import → mock file mapping and the files it holds."""

    path: Path
    imports: dict[str, Path]
    files: list[str]
    data_mocks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Bundle:
        """Read the bundle at ``path``; every module source must be a file inside the bundle."""
        root = Path(path)
        config = root / CONFIG_FILE
        if not root.is_dir():
            raise InvalidBundleError(f"{root} is not a directory; unpack the bundle archive first")
        try:
            text = config.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidBundleError(
                f"{root} has no {CONFIG_FILE}; it is not a Sentinel mock bundle"
            ) from None
        except UnicodeDecodeError as exc:
            raise InvalidBundleError(f"{config} is not UTF-8 text") from exc
        modules, data = parse_mocks(text, str(config))
        resolved_root = root.resolve()
        imports: dict[str, Path] = {}
        for name, source in modules.items():
            relative = PurePosixPath(source)
            if relative.is_absolute() or ".." in relative.parts:
                raise InvalidBundleError(
                    f"{config}: mock {name!r} source {source!r} points outside the bundle"
                )
            target = root.joinpath(*relative.parts)
            if not target.resolve().is_relative_to(resolved_root) or not target.is_file():
                raise InvalidBundleError(
                    f"{config}: mock {name!r} source {source!r} is not a file in the bundle"
                )
            imports[name] = target
        files = sorted(str(p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file())
        return cls(path=root, imports=imports, files=files, data_mocks=data)

    def mock_file(self, import_name: str) -> Path:
        """The mock module for ``import_name`` (e.g. ``"tfplan/v2"``); ``KeyError`` names what exists."""
        try:
            return self.imports[import_name]
        except KeyError:
            known = ", ".join(sorted(self.imports)) or "none"
            raise KeyError(
                f"bundle {self.path} has no mock for import {import_name!r} (has: {known})"
            ) from None

    def __contains__(self, import_name: object) -> bool:
        return import_name in self.imports or import_name in self.data_mocks

    @property
    def missing_imports(self) -> list[str]:
        """Standard Terraform Cloud imports this bundle does not provide (e.g. v1 files left out)."""
        return [name for name in IMPORT_FILES if name not in self]

    @property
    def size_bytes(self) -> int:
        return sum((self.path / name).stat().st_size for name in self.files)

    def describe(self) -> str:
        """A few lines for logs and the CLI: where the bundle is and which import reads which file."""
        lines = [f"mock bundle {self.path} ({len(self.files)} files, {self.size_bytes} bytes)"]
        width = max((len(name) for name in self.imports), default=0)
        for name in sorted(self.imports):
            lines.append(f"  {name.ljust(width)}  {self.imports[name].relative_to(self.path).as_posix()}")
        for name in sorted(self.data_mocks):
            lines.append(f"  {name.ljust(width)}  (static data)")
        if self.missing_imports:
            lines.append(f"  missing: {', '.join(self.missing_imports)}")
        return "\n".join(lines)
