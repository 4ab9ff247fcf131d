"""Which policies and test cases ``sentinel test PATH...`` runs, and how it names them.

The CLI's layout (design notes, section 16): every ``*.sentinel`` file directly in a given folder is a
policy (a file argument is one policy); its cases are ``test/<policy name without .sentinel>/*.hcl``
and ``*.json`` next to it, one file per case; the root ``sentinel.hcl`` plays no part. Names are shown
relative to the working directory, as the CLI prints them (``test/restrict-ec2/pass.hcl``).

``-run`` takes a regular expression matched (unanchored, RE2 syntax when google-re2 is installed)
against the policy name, and after a ``/`` against the case name, like ``go test -run``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .errors import DiscoveryError

__all__ = ["CASE_SUFFIXES", "DiscoveredCase", "DiscoveredPolicy", "discover_policies", "filter_policies"]

POLICY_SUFFIX: Final = ".sentinel"
CASE_SUFFIXES: Final = (".hcl", ".json")


@dataclass(frozen=True)
class DiscoveredCase:
    """One case file: absolute ``path`` and the ``display`` name used in output."""

    path: Path
    display: str

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class DiscoveredPolicy:
    """One policy file and its case files (sorted by file name)."""

    path: Path
    display: str
    cases: tuple[DiscoveredCase, ...] = ()

    @property
    def name(self) -> str:
        """The policy name: the file name without ``.sentinel`` (also the case folder's name)."""
        return (
            self.path.name[: -len(POLICY_SUFFIX)]
            if self.path.name.endswith(POLICY_SUFFIX)
            else self.path.stem
        )

    @property
    def test_dir(self) -> Path:
        return self.path.parent / "test" / self.name


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _cases(policy: Path, cwd: Path) -> tuple[DiscoveredCase, ...]:
    name = policy.name[: -len(POLICY_SUFFIX)]
    folder = policy.parent / "test" / name
    if not folder.is_dir():
        return ()
    files = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in CASE_SUFFIXES and p.is_file()),
        key=lambda p: p.name,
    )
    return tuple(DiscoveredCase(p, _display(p, cwd)) for p in files)


def discover_policies(
    paths: Sequence[str | os.PathLike[str]] = (), *, cwd: str | os.PathLike[str] | None = None
) -> list[DiscoveredPolicy]:
    """Policies (with their cases) for ``paths`` (default: the working directory), in argument order.

    :class:`DiscoveryError` for a path that does not exist or a file that is not a ``.sentinel`` policy.
    A policy named twice is listed once.
    """
    base = Path(os.path.normpath(Path(cwd).absolute())) if cwd is not None else Path.cwd()
    found: dict[Path, DiscoveredPolicy] = {}
    for given in paths or (".",):
        path = Path(os.path.normpath(base / given))
        if path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.name.endswith(POLICY_SUFFIX) and p.is_file()),
                key=lambda p: p.name,
            )
        elif path.is_file():
            if not path.name.endswith(POLICY_SUFFIX):
                raise DiscoveryError(f"{given}: not a policy file; policies end in {POLICY_SUFFIX}")
            files = [path]
        else:
            raise DiscoveryError(f"{given}: no such file or folder; give policy files or folders of policies")
        for file in files:
            if file not in found:
                found[file] = DiscoveredPolicy(file, _display(file, base), _cases(file, base))
    return list(found.values())


def _compile(pattern: str) -> Any:
    try:
        import re2

        return re2.compile(pattern)
    except ImportError:  # pragma: no cover - google-re2 is a dependency; keep working without it
        return re.compile(pattern)
    except Exception:
        # re2 rejects some patterns Python accepts and vice versa; report with Python's message
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise DiscoveryError(f"-run {pattern!r}: invalid regular expression: {exc}") from exc


def _matches(regex: Any, names: Iterable[str]) -> bool:
    return any(regex.search(name) for name in names)


def filter_policies(policies: Sequence[DiscoveredPolicy], run: str | None) -> list[DiscoveredPolicy]:
    """Keep what ``-run=run`` selects: policies whose name matches the part before ``/``, and cases
    whose name matches the part after it. A policy with a case pattern and no matching case is dropped."""
    if not run:
        return list(policies)
    policy_part, _, case_part = run.partition("/")
    policy_re = _compile(policy_part) if policy_part else None
    case_re = _compile(case_part) if case_part else None
    selected = []
    for policy in policies:
        if policy_re is not None and not _matches(policy_re, (policy.name, policy.path.name)):
            continue
        if case_re is None:
            selected.append(policy)
            continue
        cases = tuple(c for c in policy.cases if _matches(case_re, (c.name, c.path.name)))
        if cases:
            selected.append(DiscoveredPolicy(policy.path, policy.display, cases))
    return selected
