"""Run a Sentinel policy set against a downloaded mock bundle, store the reports, decide the task's fate.

``RunPoliciesOperator`` is the step between ``DownloadBundleOperator`` and the delete teardown. It
evaluates every policy of a set against the bundle (the built-in engine, or a ``sentinel`` binary),
optionally runs the set's own ``test`` cases, writes the full report (JSON, JUnit, HTML, Markdown) next to
the bundle, and fails the task when a policy fails at or above the ``fail_on`` threshold.

Why the pieces look the way they do:

- **Reports next to the bundle.** Tasks may run on different workers, so everything goes under the one
  storage root the bundle already lives in (``<root>/<dag_id>/<dag_run_id>/reports/``); XCom carries
  only the locations and a small summary (outcome, counts, per-policy name/level/outcome), never file
  contents, so the metadata DB stays small and nothing a policy printed leaks into it.
- **Atomic writes.** A reader (the UI tab, a CI job) must never see half a report: local files are
  written to a temporary name in the same folder and renamed; object stores publish an object only
  once its upload completes, so they are written in place.
- **The verdict first.** A failed check's log starts with the failing policies and their levels, and the
  ``AirflowFailException`` (no retries: evaluating the same bundle again gives the same answer) repeats
  them, so the first lines a user reads say what failed and why the task failed.
- **Errors are not verdicts.** A policy set that cannot be found or read, or an engine that cannot run,
  fails the task whatever ``fail_on`` says: ``never`` means "report policy failures without failing",
  not "pretend a check that did not happen passed".

Importing this module is cheap (DAG files import it): the engine, the bundle code and the renderers load
when the task runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from tfc_sentinel.report.model import PolicyResult, RunResult

SECTION: Final = "tfc_sentinel"
FAIL_ON_CHOICES: Final = ("hard-mandatory", "soft-mandatory", "never")
ENGINE_CHOICES: Final = ("builtin", "sentinel")
DEFAULT_FAIL_ON: Final = "soft-mandatory"
DEFAULT_POLICY_SET_NAME: Final = "aws-baseline"
XCOM_SUMMARY: Final = "policy_summary"
REPORTS_FOLDER: Final = "reports"
# Format name (tfc_sentinel.report.FORMATS) -> file suffix. The stem is "report" (apply) or "tests".
REPORT_FILES: Final = {"json": ".json", "junit": ".junit.xml", "html": ".html", "markdown": ".md"}
_MISSING: Final = frozenset({"", "None", "none", "null"})


def examples_dir() -> Path:
    """Where the example policy sets live in a source checkout (``include/policies/``).

    The sets sit next to the ``tfc_sentinel`` package, not inside it, so a wheel install has none; the
    default then has to come from ``[tfc_sentinel] policy_set``.
    """
    import tfc_sentinel

    return Path(tfc_sentinel.__file__).resolve().parent.parent / "policies"


def default_policy_set() -> str:
    """``[tfc_sentinel] policy_set`` if configured, else the packaged example set ``aws-baseline``."""
    from airflow.sdk import conf

    configured = conf.get(SECTION, "policy_set", fallback=None)
    if configured and configured.strip() not in _MISSING:
        return configured.strip()
    return str(examples_dir() / DEFAULT_POLICY_SET_NAME)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in _MISSING)


def _is_remote(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def _local_path(location: str) -> Path:
    return Path(location.removeprefix("file://")).expanduser()


def _redact_url(location: str) -> str:
    """The location without user info (``s3://key:secret@bucket/...`` must not reach XCom or logs)."""
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in location:
        return location
    parts = urlsplit(location)
    if "@" not in parts.netloc:
        return location
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _download_tree(source: ObjectStoragePath, target: Path) -> Path:
    """Copy every file under a remote folder to ``target`` (the engine reads local files only)."""
    fs = source.fs
    root = source.path.rstrip("/")
    files = [path for path in fs.find(root) if not path.endswith("/")]
    if not files:
        raise FileNotFoundError(f"{source} holds no files")
    for remote in files:
        relative = remote[len(root) :].lstrip("/")
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(remote, str(local))
    return target


def threshold_failures(result: RunResult, fail_on: str) -> list[PolicyResult]:
    """The failed (or errored) policies whose level reaches ``fail_on``; none for ``never``.

    ``soft-mandatory`` is the default because it is what Terraform Cloud blocks on without an override;
    ``hard-mandatory`` lets reviewable (soft) failures through; advisory failures never fail the task.
    """
    from tfc_sentinel.report.model import EnforcementLevel

    if fail_on == "never":
        return []
    levels = {EnforcementLevel.HARD_MANDATORY}
    if fail_on == "soft-mandatory":
        levels.add(EnforcementLevel.SOFT_MANDATORY)
    return [policy for policy in result.policies if policy.failed and policy.enforcement_level in levels]


def _counts(result: RunResult) -> dict[str, int]:
    import dataclasses

    return dataclasses.asdict(result.counts)


class RunPoliciesOperator(BaseOperator):
    """Evaluate a Sentinel policy set against a mock bundle; store the reports; fail at ``fail_on``.

    Returns (and pushes as XCom ``policy_summary``, also when the task fails) a small JSON summary::

        {"outcome": "soft-fail", "fail_on": "soft-mandatory", "failed": true, "engine": "builtin",
         "policy_set": "…/aws-baseline", "bundle": "file:///…/bundle", "error": null,
         "counts": {"policies": 9, "passed": 7, "failed": 2, …},
         "policies": [{"name": "destroy-protection", "level": "soft-mandatory", "outcome": "fail"}, …],
         "blocking": ["destroy-protection"],
         "tests": null | {"outcome": "pass", "counts": {…}, "reports": {…}},
         "reports": {"json": "file:///…/reports/report.json", "junit": …, "html": …, "markdown": …}}

    :param bundle: the unpacked bundle's location (``DownloadBundleOperator``'s return value: a path,
        ``file://…`` or another ``ObjectStoragePath`` URL); templated.
    :param policy_set: a folder holding ``sentinel.hcl`` (path, ``file://`` or storage URL), or the name
        of an example set under ``include/policies/``; templated. Default: ``[tfc_sentinel] policy_set``,
        else the example set ``aws-baseline``.
    :param engine: ``builtin`` (the pure-Python engine) or ``sentinel`` (a HashiCorp binary); templated.
    :param sentinel_binary: path of the ``sentinel`` binary (default ``[tfc_sentinel] sentinel_binary``,
        else ``sentinel`` on ``PATH``).
    :param run_tests: also run the set's own ``test/<policy>/*.hcl`` cases; failing cases fail the task
        unless ``fail_on`` is ``never``; templated.
    :param fail_on: ``hard-mandatory``, ``soft-mandatory`` (default) or ``never``; templated.
    :param policy_params: values for the set's ``param``s, overriding ``sentinel.hcl`` (JSON values).
    :param tfc_run_id: the Terraform run, shown in the reports; templated.
    :param run_url: the run's Terraform Cloud URL, linked from the HTML and Markdown reports; templated.
    """

    template_fields: Sequence[str] = (
        "bundle",
        "policy_set",
        "engine",
        "run_tests",
        "fail_on",
        "tfc_run_id",
        "run_url",
    )
    ui_color = "#e4f7e9"

    def __init__(
        self,
        *,
        bundle: str,
        policy_set: str | None = None,
        engine: str = "builtin",
        sentinel_binary: str | None = None,
        run_tests: bool | str = False,
        fail_on: str = DEFAULT_FAIL_ON,
        policy_params: Mapping[str, Any] | None = None,
        tfc_run_id: str | None = None,
        run_url: str | None = None,
        test_jobs: int | None = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bundle = bundle
        self.policy_set = policy_set
        self.engine = engine
        self.sentinel_binary = sentinel_binary
        self.run_tests = run_tests
        self.fail_on = fail_on
        self.policy_params = dict(policy_params or {})
        self.tfc_run_id = tfc_run_id
        self.run_url = run_url
        # One process by default: forking a pool inside a worker's task process buys little for a
        # set's few dozen cases and risks the supervisor's threads.
        self.test_jobs = test_jobs

    # -- arguments ---------------------------------------------------------------------------------------

    def _checked(self) -> tuple[str, str, bool]:
        """(engine, fail_on, run_tests) after templating, or AirflowFailException naming the choices."""
        engine = str(self.engine).strip() if not _missing(self.engine) else "builtin"
        if engine not in ENGINE_CHOICES:
            raise AirflowFailException(
                f"engine {engine!r} is not known: use 'builtin' (the built-in engine) or 'sentinel' "
                "(a HashiCorp sentinel binary on PATH or at sentinel_binary)"
            )
        fail_on = str(self.fail_on).strip() if not _missing(self.fail_on) else DEFAULT_FAIL_ON
        if fail_on not in FAIL_ON_CHOICES:
            raise AirflowFailException(
                f"fail_on {fail_on!r} is not known: use one of {', '.join(FAIL_ON_CHOICES)}"
            )
        run_tests = self.run_tests
        if isinstance(run_tests, str):
            run_tests = run_tests.strip().lower() in ("true", "1", "yes", "on")
        return engine, fail_on, bool(run_tests)

    def _binary(self) -> str | None:
        from airflow.sdk import conf

        if not _missing(self.sentinel_binary):
            return str(self.sentinel_binary)
        configured = conf.get(SECTION, "sentinel_binary", fallback=None)
        return configured if not _missing(configured) else None

    def _resolve_policy_set(self, scratch: Path) -> tuple[Path, str]:
        """A local folder with the set, and the location to report (no credentials)."""
        from airflow.sdk import ObjectStoragePath

        location = default_policy_set() if _missing(self.policy_set) else str(self.policy_set).strip()
        shown = _redact_url(location)
        if _is_remote(location):
            try:
                return _download_tree(ObjectStoragePath(location), scratch / "policy-set"), shown
            except (OSError, ValueError) as exc:
                raise AirflowFailException(
                    f"policy set {shown} cannot be read: {exc}. Check the URL and that the workers' "
                    "credentials for that storage can list and read it."
                ) from exc
        path = _local_path(location)
        candidates = [path]
        if not path.is_absolute():
            candidates.append(examples_dir() / path)
        for candidate in candidates:
            if (candidate / "sentinel.hcl").is_file() or (candidate / "sentinel.json").is_file():
                return candidate.resolve(), str(candidate.resolve())
            if candidate.is_file() and candidate.name in ("sentinel.hcl", "sentinel.json"):
                return candidate.parent.resolve(), str(candidate.parent.resolve())
        examples = sorted(p.name for p in examples_dir().glob("*") if (p / "sentinel.hcl").is_file())
        hint = f" (example sets: {', '.join(examples)})" if examples else ""
        raise AirflowFailException(
            f"policy set {shown} not found: expected a folder holding sentinel.hcl. Set the DAG param "
            f"policy_set, the operator's policy_set or [{SECTION}] policy_set to such a folder, a storage "
            f"URL, or an example set's name{hint}."
        )

    def _resolve_bundle(self, scratch: Path) -> tuple[Path, ObjectStoragePath]:
        """A local folder with the bundle, and the bundle's storage path (the reports go next to it)."""
        from airflow.sdk import ObjectStoragePath

        if _missing(self.bundle):
            raise AirflowFailException(
                "no bundle location was given: pass download_bundle's return value "
                "(bundle=download.output) to this task"
            )
        location = str(self.bundle).strip()
        if not _is_remote(location):
            path = _local_path(location).resolve()
            if not path.is_dir():
                raise AirflowFailException(
                    f"bundle {location} is not a folder: pass the unpacked bundle that download_bundle "
                    "returned, and keep bundle storage shared by all workers"
                )
            return path, ObjectStoragePath("file://" + str(path))
        remote = ObjectStoragePath(location)
        try:
            return _download_tree(remote, scratch / "bundle"), remote
        except (OSError, ValueError) as exc:
            raise AirflowFailException(f"bundle {_redact_url(location)} cannot be read: {exc}") from exc

    # -- the task ----------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        from tfc_sentinel.policy.runner import apply_policy_set
        from tfc_sentinel.policy.runner import run_tests as run_policy_tests

        engine, fail_on, with_tests = self._checked()
        binary = self._binary() if engine == "sentinel" else None
        with tempfile.TemporaryDirectory(prefix="tfc-sentinel-policies-") as tmp:
            scratch = Path(tmp)
            set_dir, set_shown = self._resolve_policy_set(scratch)
            bundle_dir, bundle_path = self._resolve_bundle(scratch)
            result = apply_policy_set(
                set_dir, bundle_dir, engine=engine, params=self.policy_params or None, binary_path=binary
            )
            tests = (
                run_policy_tests(
                    [set_dir], engine=engine, binary_path=binary, jobs=self.test_jobs, cwd=set_dir
                )
                if with_tests
                else None
            )
        for run in (result, tests):
            if run is not None:
                run.policy_set = set_shown
                run.context.update(self._report_context(context))
        result.bundle = _redact_url(str(self.bundle).strip())

        blocking = threshold_failures(result, fail_on)
        tests_failed = tests is not None and fail_on != "never" and tests.exit_code != 0
        failed = result.error is not None or bool(blocking) or tests_failed
        verdict = self._verdict(result, tests, blocking, fail_on, tests_failed)
        (self.log.error if failed else self.log.info)("%s", verdict)

        reports_dir = bundle_path.parent / REPORTS_FOLDER
        summary = self._summary(result, tests, blocking, fail_on, engine, failed)
        summary["reports"] = write_reports(result, reports_dir, "report")
        if tests is not None:
            summary["tests"]["reports"] = write_reports(tests, reports_dir, "tests")
        self.log.info("reports: %s", ", ".join(summary["reports"].values()))
        context["ti"].xcom_push(key=XCOM_SUMMARY, value=summary)
        if failed:
            raise AirflowFailException(verdict)
        return summary

    def _report_context(self, context: Context) -> dict[str, str]:
        labels = {"dag_id": context["dag"].dag_id, "dag_run_id": str(context["run_id"])}
        if not _missing(self.tfc_run_id):
            labels["run_id"] = str(self.tfc_run_id).strip()
        if not _missing(self.run_url) and str(self.run_url).startswith(("https://", "http://")):
            labels["run_url"] = str(self.run_url).strip()
        return labels

    @staticmethod
    def _verdict(
        result: RunResult,
        tests: RunResult | None,
        blocking: list[PolicyResult],
        fail_on: str,
        tests_failed: bool = False,
    ) -> str:
        """One paragraph whose first line says why the task fails (or that it passes): the failing
        policies with their levels, the set's failing tests, or the error that stopped the check."""
        counts = result.counts
        if result.error is not None:
            return (
                f"policy check could not run: {result.error}. Nothing was evaluated; fix the policy set "
                "or the engine and clear this task."
            )
        failed = [p for p in result.policies if p.failed]
        listing = "; ".join(f"{p.name} ({p.enforcement_level.value}, {p.outcome.value})" for p in failed)
        lines = []
        if blocking:
            names = ", ".join(f"{p.name} ({p.enforcement_level.value})" for p in blocking)
            lines.append(f"policy check failed at fail_on={fail_on}: {names}")
        elif tests_failed and tests is not None:
            lines.append(
                f"the policy set's own tests {tests.outcome.value}: fix the policies or their test cases "
                f"(policy check itself: {result.outcome.value})"
            )
        else:
            lines.append(f"policy check {result.outcome.value} (fail_on={fail_on})")
        lines.append(
            f"{counts.passed}/{counts.policies} policies passed" + (f"; failed: {listing}" if failed else "")
        )
        if tests is not None:
            tc = tests.counts
            state = tests.outcome.value if tests.error is None else f"error ({tests.error})"
            lines.append(f"policy set tests {state}: {tc.cases_passed}/{tc.cases} cases passed")
        return "\n".join(lines)

    @staticmethod
    def _summary(
        result: RunResult,
        tests: RunResult | None,
        blocking: list[PolicyResult],
        fail_on: str,
        engine: str,
        failed: bool,
    ) -> dict[str, Any]:
        """The XCom summary: small, JSON-only, no file contents, no secrets (locations are redacted)."""
        return {
            "outcome": result.outcome.value,
            "fail_on": fail_on,
            "failed": failed,
            "engine": engine,
            "policy_set": result.policy_set,
            "bundle": result.bundle,
            "error": result.error,
            "counts": _counts(result),
            "policies": [
                {"name": p.name, "level": p.enforcement_level.value, "outcome": p.outcome.value}
                for p in result.policies
            ],
            "blocking": [p.name for p in blocking],
            "tests": None
            if tests is None
            else {"outcome": tests.outcome.value, "error": tests.error, "counts": _counts(tests)},
        }


def write_reports(result: RunResult, folder: ObjectStoragePath, stem: str) -> dict[str, str]:
    """Render ``result`` in every report format into ``folder``; return format -> location."""
    from tfc_sentinel.report import render

    written = {}
    for fmt, suffix in REPORT_FILES.items():
        target = folder / f"{stem}{suffix}"
        write_atomically(target, render(result, fmt))
        written[fmt] = str(target)
    return written


def write_atomically(target: ObjectStoragePath, text: str) -> None:
    """Write ``text`` so readers see the old file or the whole new one, never a part.

    Local: a temporary file in the same folder, flushed and renamed over the target (``os.replace`` is
    atomic within a file system). Object stores publish an object only when its upload completes, so a
    direct write is already all-or-nothing there.
    """
    data = text.encode("utf-8")
    if target.protocol in ("file", "local", ""):
        path = Path(target.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        handle.write(data)
