"""The Dockerfile, read as text (no Docker engine here): the official Airflow 3.3 image pinned to the lock's
Airflow, the project installed from its source tree with the lock's versions as the airflow user, DAGs and
plugins copied, the optional sentinel binary taken from the build context only, a tight .dockerignore."""

from __future__ import annotations

import re
import tomllib
from typing import Any, Final

import pytest

from tests.deploy.support import (
    DOCKERFILE,
    REPO,
    dockerfile_args,
    dockerfile_instructions,
    dockerignore_excludes,
    load_compose,
)

SOURCE_TREE: Final = "/opt/tfc-sentinel/src"
IMAGE: Final = re.compile(
    r"^apache/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}(?: AS \w[\w.-]*)?$"
)


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Instructions per build stage (a stage starts at FROM); the last one is the image."""
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions:
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def locked_version(name: str) -> str:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    (version,) = [package["version"] for package in lock["package"] if package["name"] == name]
    return version


def user_at(stage: list[tuple[str, str]], index: int) -> str | None:
    users = [args for keyword, args in stage[:index] if keyword == "USER"]
    return users[-1] if users else None


def test_from_the_official_airflow_3_3_image_of_the_lock(
    instructions: list[tuple[str, str]], pyproject: dict[str, Any]
) -> None:
    args = dockerfile_args(instructions)
    assert re.fullmatch(r"3\.3\.\d+", args["AIRFLOW_VERSION"] or ""), args["AIRFLOW_VERSION"]
    assert args["AIRFLOW_VERSION"] == locked_version("apache-airflow"), (
        "the image must run the locked Airflow"
    )
    python = args["PYTHON_VERSION"] or ""
    lowest = re.search(r">=\s*(3\.\d+)", pyproject["project"]["requires-python"])
    assert lowest and tuple(map(int, python.split("."))) >= tuple(map(int, lowest.group(1).split(".")))
    froms = [value for keyword, value in instructions if keyword == "FROM"]
    assert froms and all(IMAGE.match(value) for value in froms), froms
    assert instructions[0][0] == "ARG", "AIRFLOW_VERSION must be declared before FROM"


def test_dependencies_come_from_uv_lock(stages: list[list[tuple[str, str]]]) -> None:
    exporting = [args for stage in stages[:-1] for keyword, args in stage if keyword == "RUN"]
    export = next((run for run in exporting if "uv export" in run), "")
    for flag in ("--frozen", "--no-dev", "--no-hashes", "--no-emit-project"):
        assert flag in export, f"`uv export` needs {flag}: {export!r}"
    lock_stage = next(stage for stage in stages[:-1] if any("uv export" in args for _, args in stage))
    copied = " ".join(args for keyword, args in lock_stage if keyword == "COPY")
    assert "pyproject.toml" in copied and "uv.lock" in copied


def test_installs_the_project_as_airflow_from_the_copied_source_tree(
    stages: list[list[tuple[str, str]]], pyproject: dict[str, Any]
) -> None:
    image = stages[-1]
    installs = [
        (i, args) for i, (keyword, args) in enumerate(image) if keyword == "RUN" and "pip install" in args
    ]
    assert installs, "the image must pip install the project"
    for index, args in installs:
        assert user_at(image, index) == "airflow", f"pip install as the airflow user: {args}"
        assert "--no-cache-dir" in args, args
        assert '"apache-airflow==${AIRFLOW_VERSION}"' in args, f"pin Airflow to the image's version: {args}"
    project = [(i, args) for i, args in installs if re.search(rf"\s{re.escape(SOURCE_TREE)}(\s|$)", args)]
    assert len(project) == 1, "one pip install of the copied source tree"
    index, args = project[0]
    assert (
        "--constraint /opt/tfc-sentinel/requirements.txt" in args
        or "-c /opt/tfc-sentinel/requirements.txt" in args
    )
    assert "-e " not in args and "--editable" not in args, "a regular install, like a user's"
    # What the build backend needs is copied into the source tree before the install.
    copied = {
        parts[-2].rstrip("/"): parts[-1]
        for keyword, args in image[:index]
        if keyword == "COPY" and not args.startswith("--from")
        for parts in [args.split()]
        if len(parts) >= 2
    }
    sources = " ".join(args for keyword, args in image[:index] if keyword == "COPY")
    needed = [
        "pyproject.toml",
        pyproject["project"]["readme"],
        *pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"],
    ]
    for path in needed:
        assert path in sources, f"{path} must be copied to {SOURCE_TREE} before the install"
        assert (REPO / path).exists(), path
    assert any(dest.startswith(SOURCE_TREE) for dest in copied.values()), copied
    requirement_copy = [
        args for keyword, args in image[:index] if keyword == "COPY" and args.startswith("--from")
    ]
    assert requirement_copy and "requirements.txt" in requirement_copy[0]


def test_copies_dags_and_plugins(stages: list[list[tuple[str, str]]]) -> None:
    image = stages[-1]
    copies = [args for keyword, args in image if keyword == "COPY"]
    assert any(re.search(r"(^|\s)dags/? /opt/airflow/dags/?$", args) for args in copies), copies
    runs = " ".join(args for keyword, args in image if keyword == "RUN")
    assert "/tmp/build-context/plugins/. /opt/airflow/plugins/" in runs, (
        "plugins/ must reach /opt/airflow/plugins"
    )
    assert (REPO / "dags").is_dir()


def test_sentinel_binary_build_argument_downloads_nothing(
    instructions: list[tuple[str, str]], stages: list[list[tuple[str, str]]]
) -> None:
    assert dockerfile_args(stages[-1])["SENTINEL_BINARY"] == "", "optional: empty by default"
    runs = [args for keyword, args in stages[-1] if keyword == "RUN"]
    install = next((run for run in runs if "SENTINEL_BINARY" in run), "")
    assert "--mount=type=bind,source=.," in install, "taken from the build context"
    assert "/usr/local/bin/sentinel" in install and 'if [ -n "${SENTINEL_BINARY}" ]' in install
    for keyword, args in instructions:
        assert keyword != "ADD", "ADD can fetch URLs: use COPY"
        assert not re.search(r"\b(curl|wget)\b", args), f"nothing is downloaded outside pip: {args}"


def test_image_runs_as_airflow(stages: list[list[tuple[str, str]]]) -> None:
    image = stages[-1]
    assert user_at(image, len(image)) == "airflow"


def test_compose_build_args_are_dockerfile_args(instructions: list[tuple[str, str]]) -> None:
    document, _ = load_compose({})
    declared = set(dockerfile_args(instructions))
    for name, spec in document["services"].items():
        build = spec.get("build")
        if isinstance(build, dict):
            assert set(build.get("args") or {}) <= declared, (name, build.get("args"))


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".venv/bin/python",
        ".airflow/airflow.db",
        ".git/HEAD",
        ".env",
        "tests/conftest.py",
        "include/tfc_sentinel/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v",
        ".hypothesis/examples",
        "bench/bench_eval.py",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert dockerignore_excludes(path), f".dockerignore must exclude {path}"


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "include/tfc_sentinel/__init__.py",
        "include/tfc_sentinel/emulator/fixtures",
        "include/policies/aws-baseline/sentinel.hcl",
        "dags/tfc_policy_check.py",
        "plugins/tfc_sentinel_plugin.py",
        "bin/sentinel",
    ],
)
def test_dockerignore_keeps_what_the_image_needs(path: str) -> None:
    assert not dockerignore_excludes(path), f".dockerignore must not exclude {path}"
