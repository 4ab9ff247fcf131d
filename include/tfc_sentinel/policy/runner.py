"""Run policies: ``sentinel test`` suites and Terraform Cloud style checks of a policy set against a bundle.

The one entry point the CLI and the Airflow operators share, so both give the same verdicts. It picks a
backend (the built-in engine by default, or a ``sentinel`` binary), turns every problem that stops a run
as a whole (a path that does not exist, an unreadable ``sentinel.hcl`` or bundle, no binary) into
:attr:`RunResult.error` instead of an exception, and leaves problems of one policy or case to that
policy's or case's ERROR. Nothing is written except a bundle archive's temporary unpacking, which is
removed before returning.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from tfc_sentinel.lang.values import Value
from tfc_sentinel.report.model import EngineInfo, RunKind, RunResult

from .backends.base import Backend
from .config import PolicySetConfig, load_policy_set
from .errors import BackendError, ConfigError

__all__ = ["ENGINES", "Engine", "apply_policy_set", "get_backend", "parse_param", "run_tests"]

Engine = Literal["builtin", "sentinel"]
ENGINES: Final = ("builtin", "sentinel")


def get_backend(
    engine: str = "builtin", *, jobs: int | None = None, binary_path: str | os.PathLike[str] | None = None
) -> Backend:
    """The backend for ``engine``; :class:`BackendError` when the ``sentinel`` binary cannot be found."""
    if engine == "builtin":
        from .backends.builtin import BuiltinBackend

        return BuiltinBackend(jobs=jobs)
    if engine == "sentinel":
        from .backends.binary import SentinelBinaryBackend

        return SentinelBinaryBackend.locate(binary_path)
    raise BackendError(f"unknown engine {engine!r}; use one of: {', '.join(ENGINES)}")


def run_tests(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    run_regex: str | None = None,
    verbose: bool = False,
    jobs: int | None = None,
    engine: str = "builtin",
    binary_path: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> RunResult:
    """``sentinel test [-run=run_regex] [paths...]``: every policy under ``paths`` and its test cases.

    ``jobs`` worker processes run the cases (default: one per core; 1 runs them in this process).
    """
    started = datetime.now(UTC)
    try:
        backend = get_backend(engine, jobs=jobs, binary_path=binary_path)
        return backend.run_tests(paths, run=run_regex, verbose=verbose, cwd=cwd)
    except BackendError as exc:
        return RunResult(kind=RunKind.TEST, started_at=started, engine=_engine(engine), error=str(exc))


def apply_policy_set(
    policy_set_dir: str | os.PathLike[str] = ".",
    bundle: str | os.PathLike[str] | None = None,
    *,
    override: bool = False,
    engine: str = "builtin",
    params: Mapping[str, Value] | None = None,
    binary_path: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Every policy of the set against the mock ``bundle`` (a folder or a ``.tar.gz``), as Terraform Cloud would.

    The bundle's ``sentinel.hcl`` says which file serves which import (``tfplan/v2``, the v1 names, ...);
    the set's modules, params and globals apply, and ``params`` (e.g. ``--param``) override the set's.
    ``override`` records that soft-mandatory failures were overridden.
    """
    started = datetime.now(UTC)
    bundle_text = os.fspath(bundle) if bundle is not None else None

    def failed(error: str, policy_set: str) -> RunResult:
        return RunResult(
            kind=RunKind.APPLY,
            started_at=started,
            engine=_engine(engine),
            override=override,
            policy_set=policy_set,
            bundle=bundle_text,
            error=error,
        )

    try:
        config = load_policy_set(policy_set_dir)
    except ConfigError as exc:
        return failed(str(exc), os.fspath(policy_set_dir))
    if params:
        config = with_params(config, params)
    from tfc_sentinel.bundle import Bundle, BundleError, unpack_bundle

    with tempfile.TemporaryDirectory(prefix="tfc-sentinel-bundle-") as scratch:
        try:
            mocks: dict[str, Path | Mapping[str, Value]] | None = None
            if bundle is not None:
                folder = Path(bundle)
                if not folder.is_dir():
                    folder = unpack_bundle(folder, Path(scratch) / "bundle")
                loaded = Bundle.load(folder)
                mocks = {**loaded.data_mocks, **loaded.imports}
            backend = get_backend(engine, binary_path=binary_path)
            return backend.apply(config, mocks, override=override, bundle=bundle_text)
        except (BundleError, BackendError) as exc:
            return failed(str(exc), str(config.path.parent))


def with_params(config: PolicySetConfig, params: Mapping[str, Value]) -> PolicySetConfig:
    """A copy of ``config`` where ``params`` win over every ``param`` block and policy ``params``."""
    policies = [dataclasses.replace(p, params={**p.params, **params}) for p in config.policies]
    return dataclasses.replace(config, params={**config.params, **params}, policies=policies)


def parse_param(text: str) -> tuple[str, Value]:
    """``NAME=VALUE`` as ``sentinel apply -param`` reads it: VALUE as JSON if it parses, else a string."""
    import json

    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"--param {text!r}: expected NAME=VALUE")
    try:
        value: Value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def _engine(engine: str) -> EngineInfo:
    return EngineInfo("sentinel", "") if engine == "sentinel" else EngineInfo()
