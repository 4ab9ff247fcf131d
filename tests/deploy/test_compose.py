"""docker-compose.yaml: valid Compose, and consistent with this package and Airflow 3.3.

No Docker engine runs where the tests run, so nothing is started: the file is checked against the
Compose Specification's JSON schema, and every part that names something of Airflow or of ours is
checked against the real thing: Airflow commands against Airflow's CLI parser, ``AIRFLOW__*`` variables
against Airflow's configuration (and the options our package reads), the connection through Airflow's
``Connection`` and our hook, the emulator command through our CLI parser and a running emulator.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from tests.deploy.support import (
    COMPOSE_SCHEMA,
    REPO,
    command_argv,
    dockerfile_instructions,
    load_compose,
    shell_airflow_commands,
)
from tests.services import missing

EMULATOR: Final = "tfc-emulator"
INIT: Final = "airflow-init"
APISERVER: Final = "airflow-apiserver"
WORKER: Final = "airflow-worker"
EXPECTED_SERVICES: Final = {
    "postgres",
    "redis",
    INIT,
    APISERVER,
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    WORKER,
    EMULATOR,
}
# Services that read or write bundles and reports (tasks on workers, waits in the triggerer, the UI).
STORAGE_USERS: Final = {APISERVER, "airflow-scheduler", "airflow-triggerer", WORKER}
# Settings every Airflow component must agree on.
SHARED_SETTINGS: Final = (
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__AUTH_MANAGER",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__TFC_SENTINEL__BUNDLE_STORAGE",
    "AIRFLOW__TFC_SENTINEL__POLICY_SET",
    "AIRFLOW_CONN_TFC_DEFAULT",
)
CONN_ID: Final = "tfc_default"
CONN_ENV: Final = f"AIRFLOW_CONN_{CONN_ID.upper()}"
OPTION_ENV: Final = re.compile(r"^AIRFLOW__(?P<section>[A-Z0-9_.]+?)__(?P<key>[A-Z0-9_]+)$")
PACKAGE: Final = REPO / "include" / "tfc_sentinel"
CONF_GETTERS: Final = frozenset({"get", "getboolean", "getint", "getfloat", "getlist", "has_option"})


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as `docker compose config` would see it with no environment and no .env file."""
    document, _ = load_compose({})
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def airflow_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services.items() if name.startswith("airflow-")}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def emulator_argv(services: dict[str, dict[str, Any]]) -> list[str]:
    argv = command_argv(services[EMULATOR]["command"])
    assert argv[:2] == ["tfc-sentinel", "emulator"], argv
    return argv[1:]


def airflow_invocations(services: dict[str, dict[str, Any]]) -> dict[str, list[list[str]]]:
    """Where each ``airflow ...`` command comes from -> its argvs (without ``airflow``)."""
    found: dict[str, list[list[str]]] = {}
    for name, spec in services.items():
        if not name.startswith("airflow-"):
            continue
        if "entrypoint" not in spec:  # the image's entrypoint runs `airflow <command>`
            argv = command_argv(spec["command"])
            found[f"{name} command"] = [argv[1:] if argv[:1] == ["airflow"] else argv]
        else:
            entrypoint = command_argv(spec["entrypoint"])
            argv = command_argv(spec["command"])
            assert entrypoint in (["/bin/bash"], ["bash"]) and argv[0] == "-c", (name, entrypoint, argv)
            found[f"{name} script"] = shell_airflow_commands(argv[1])
        test = (spec.get("healthcheck") or {}).get("test") or []
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        if test[:1] == ["CMD-SHELL"]:
            found[f"{name} healthcheck"] = shell_airflow_commands(test[1])
        elif test[1:2] == ["airflow"]:
            found[f"{name} healthcheck"] = [test[2:]]
    return {where: argvs for where, argvs in found.items() if argvs}


def package_config_options() -> set[tuple[str, str]]:
    """(section, option) pairs our package reads with ``conf.get*``, constants resolved (ast, no import)."""
    options: set[tuple[str, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants: dict[str, str] = {}
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                constants[target.id] = value.value
            elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                for name, item in zip(target.elts, value.elts, strict=True):
                    if isinstance(name, ast.Name) and isinstance(item, ast.Constant):
                        constants[name.id] = item.value

        def resolve(node: ast.expr, constants: dict[str, str] = constants) -> str | None:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node.value
            return constants.get(node.id) if isinstance(node, ast.Name) else None

        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if owner_name != "conf" or node.func.attr not in CONF_GETTERS or len(node.args) < 2:
                continue
            section, option = resolve(node.args[0]), resolve(node.args[1])
            if section and option:
                options.add((section.lower(), option.lower()))
    return options


@pytest.fixture(scope="module")
def probe(services: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run tests/deploy/airflow_probe.py once, in a clean Airflow environment, for everything below."""
    work = tmp_path_factory.mktemp("airflow-probe")
    common = environment(services[APISERVER])
    options = sorted(
        {
            (m["section"].lower(), m["key"].lower())
            for spec in services.values()
            for key in environment(spec)
            if (m := OPTION_ENV.match(key))
        }
    )
    commands = sorted({tuple(argv) for argvs in airflow_invocations(services).values() for argv in argvs})
    request = {
        "options": [list(pair) for pair in options],
        "commands": [list(argv) for argv in commands],
        "connection": common[CONN_ENV],
        "conn_id": CONN_ID,
        "auth_manager": common["AIRFLOW__CORE__AUTH_MANAGER"],
    }
    (work / "request.json").write_text(json.dumps(request))
    env = {
        key: value for key, value in os.environ.items() if not key.upper().startswith(("AIRFLOW", "_AIRFLOW"))
    }
    env.update(
        AIRFLOW_HOME=str(work / "home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__CORE__AUTH_MANAGER=common["AIRFLOW__CORE__AUTH_MANAGER"],
    )
    if _celery_provider_installed():  # the parser only has `celery ...` with the Celery executor loadable
        env["AIRFLOW__CORE__EXECUTOR"] = common["AIRFLOW__CORE__EXECUTOR"]
    probe_script = Path(__file__).with_name("airflow_probe.py")
    done = subprocess.run(
        [sys.executable, str(probe_script), str(work / "request.json"), str(work / "result.json")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"the Airflow probe failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads((work / "result.json").read_text())


def _celery_provider_installed() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("apache-airflow-providers-celery")
    except PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    if not COMPOSE_SCHEMA.is_file():
        message = (
            f"the Compose Specification schema is missing: {COMPOSE_SCHEMA} (the compose-spec project's "
            "schema/compose-spec.json, kept in ../shared/schemas/ next to the repository)"
        )
        missing(message)
    return json.loads(COMPOSE_SCHEMA.read_text())


# --- the file as Compose reads it -------------------------------------------------------------------------


def test_matches_the_compose_specification(compose: dict[str, Any], compose_schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(compose_schema)
    errors = [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(compose), key=lambda e: list(map(str, e.absolute_path)))
    ]
    assert not errors, "docker-compose.yaml violates the Compose Specification:\n" + "\n".join(errors)


def test_every_variable_has_a_default() -> None:
    """`docker compose up` works without a .env file: each ${VAR} falls back to a default."""
    _, variables = load_compose({})
    assert variables, "no ${VAR} found: the interpolation reader is broken"
    missing = sorted({v.name for v in variables if not v.has_default})
    assert not missing, f"variables without a default (write ${{VAR:-default}}): {missing}"


def test_expected_services_and_images(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == EXPECTED_SERVICES
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:7.2")


def test_airflow_and_emulator_use_the_image_of_this_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    ours = {name: spec for name, spec in services.items() if name.startswith("airflow-") or name == EMULATOR}
    images = {spec.get("image") for spec in ours.values()}
    assert len(images) == 1 and None not in images, f"one image for all of them, not {images}"
    for name, spec in ours.items():
        build = spec.get("build")
        assert isinstance(build, dict), f"{name} must build the image (build: context/dockerfile)"
        context = (REPO / build.get("context", ".")).resolve()
        assert context == REPO, f"{name} builds from {context}, not the repository"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file() and dockerfile.name == "Dockerfile", dockerfile


# --- Airflow ----------------------------------------------------------------------------------------------


def test_airflow_components_and_their_commands(services: dict[str, dict[str, Any]]) -> None:
    """The official topology: one service per component, run by the image's entrypoint."""
    commands = {
        name: command_argv(spec["command"])
        for name, spec in services.items()
        if name.startswith("airflow-") and "entrypoint" not in spec
    }
    assert commands == {
        APISERVER: ["api-server"],
        "airflow-scheduler": ["scheduler"],
        "airflow-dag-processor": ["dag-processor"],
        "airflow-triggerer": ["triggerer"],
        WORKER: ["celery", "worker"],
    }
    assert services[WORKER].get("deploy", {}).get("replicas", 1) >= 2, "two workers by default"


def test_init_migrates_writes_the_password_and_checks_config(services: dict[str, dict[str, Any]]) -> None:
    script_commands = airflow_invocations(services)[f"{INIT} script"]
    assert ["db", "migrate"] in script_commands
    assert ["config", "list"] in script_commands
    assert ["providers", "get", "tfc-sentinel"] in script_commands
    init = services[INIT]
    script = command_argv(init["command"])[1]
    password_file = environment(init)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert (
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script and "_AIRFLOW_ADMIN_PASSWORD" in script
    )
    assert environment(init)["_AIRFLOW_ADMIN_PASSWORD"] == "admin"
    assert "_AIRFLOW_ADMIN_PASSWORD" not in environment(services[APISERVER]), "only init needs it"
    # The api-server reads the file init wrote: same volume at the folder holding it.
    folder = str(Path(password_file).parent)
    assert _volume_at(init, folder) and _volume_at(init, folder) == _volume_at(services[APISERVER], folder)
    assert "chown" in script and init.get("user") == "0:0"
    assert environment(init)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"


def test_airflow_commands_exist_in_airflow_3_3(
    services: dict[str, dict[str, Any]], probe: dict[str, Any]
) -> None:
    invocations = airflow_invocations(services)
    assert len(invocations) >= 7, invocations
    bad = {
        f"{where}: airflow {' '.join(argv)}": probe["commands"][" ".join(argv)]
        for where, argvs in invocations.items()
        for argv in argvs
        if argv[0] != "celery" and probe["commands"][" ".join(argv)] is not None
    }
    assert not bad, f"commands Airflow's CLI rejects: {bad}"


def test_celery_worker_command_exists(services: dict[str, dict[str, Any]], probe: dict[str, Any]) -> None:
    celery = [
        argv for argvs in airflow_invocations(services).values() for argv in argvs if argv[0] == "celery"
    ]
    assert celery == [["celery", "worker"]]
    assert probe["celery_provider"], "apache-airflow-providers-celery is a dependency: run `make install`"
    assert probe["commands"]["celery worker"] is None, probe["commands"]["celery worker"]


def unknown_options(
    airflow_services: dict[str, dict[str, Any]], probe: dict[str, Any], sections: set[str] | None = None
) -> list[str]:
    """``AIRFLOW__SECTION__KEY`` variables that name no option of Airflow, its providers or our package;
    ``sections`` limits the check (None: every section but ``celery``, whose options the Celery
    provider defines)."""
    ours = package_config_options()
    assert ("tfc_sentinel", "bundle_storage") in ours, f"the package scan found only {sorted(ours)}"
    unknown = set()
    for name, spec in airflow_services.items():
        for key in environment(spec):
            if not (match := OPTION_ENV.match(key)):
                continue
            section, option = match["section"].lower(), match["key"].lower()
            if (section == "celery") != (sections is not None and section in sections):
                continue
            if section == "tfc_sentinel":
                known = (section, option) in ours
            else:
                known = probe["options"][f"{section}.{option}"]
            if not known:
                unknown.add(f"{name}: {key} ([{section}] {option})")
    return sorted(unknown)


def test_airflow_variables_are_real_options(
    airflow_services: dict[str, dict[str, Any]], probe: dict[str, Any]
) -> None:
    unknown = unknown_options(airflow_services, probe)
    assert not unknown, f"not Airflow configuration options (nor ours): {unknown}"
    env = environment(airflow_services[APISERVER])
    assert {"AIRFLOW__TFC_SENTINEL__BUNDLE_STORAGE", "AIRFLOW__TFC_SENTINEL__POLICY_SET"} <= set(env)


def test_celery_variables_are_real_options(
    airflow_services: dict[str, dict[str, Any]], probe: dict[str, Any]
) -> None:
    env = environment(airflow_services[APISERVER])
    assert {"AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND"} <= set(env)
    assert probe["celery_provider"], "apache-airflow-providers-celery is a dependency: run `make install`"
    unknown = unknown_options(airflow_services, probe, sections={"celery"})
    assert not unknown, f"not options of the Celery provider: {unknown}"


def test_shared_settings_are_identical_on_every_airflow_service(
    airflow_services: dict[str, dict[str, Any]],
) -> None:
    for key in SHARED_SETTINGS:
        values = {name: environment(spec).get(key) for name, spec in airflow_services.items()}
        assert None not in values.values(), f"{key} missing on {[n for n, v in values.items() if v is None]}"
        assert len(set(values.values())) == 1, f"{key} differs between services: {values}"
    env = environment(airflow_services[APISERVER])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"], "an empty JWT secret makes each component generate its own"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"].lower() == "true"


def test_jwt_secret_comes_from_the_environment() -> None:
    document, _ = load_compose({"AIRFLOW_JWT_SECRET": "from-env", "AIRFLOW_FERNET_KEY": "fernet-from-env"})
    for name, spec in document["services"].items():
        if name.startswith("airflow-"):
            assert environment(spec)["AIRFLOW__API_AUTH__JWT_SECRET"] == "from-env", name
            assert environment(spec)["AIRFLOW__CORE__FERNET_KEY"] == "fernet-from-env", name


def test_services_reach_each_other_by_service_name(
    services: dict[str, dict[str, Any]], airflow_services: dict[str, dict[str, Any]]
) -> None:
    env = environment(airflow_services[APISERVER])
    api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (api.hostname, api.port, api.path) == (APISERVER, 8080, "/execution/")
    assert services[APISERVER]["ports"] == ["8080:8080"]
    assert urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).hostname == "postgres"
    assert urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"]).hostname == "postgres"
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"


def test_auth_manager_class_exists(probe: dict[str, Any]) -> None:
    assert probe["auth_manager"] == "SimpleAuthManager", probe["auth_manager"]


# --- the Terraform Cloud connection and the emulator --------------------------------------------------------


def test_emulator_command_is_accepted_by_our_cli(services: dict[str, dict[str, Any]]) -> None:
    from tfc_sentinel.cli import build_parser

    args = build_parser().parse_args(emulator_argv(services))
    assert args.command == "emulator"
    assert args.host == "0.0.0.0", "other containers must reach it"
    assert (args.port, args.blob_port) == (8750, 8751)
    assert args.token == "demo-token"
    entrypoint = command_argv(services[EMULATOR]["entrypoint"])
    assert entrypoint == ["/usr/bin/dumb-init", "--"], (
        "not the Airflow entrypoint (it would run `airflow ...`)"
    )


def test_connection_is_a_terraform_cloud_connection_to_the_emulator(
    services: dict[str, dict[str, Any]], probe: dict[str, Any]
) -> None:
    from tfc_sentinel.cli import build_parser

    args = build_parser().parse_args(emulator_argv(services))
    conn = probe["connection"]
    assert conn["conn_type"] == "terraform_cloud"
    assert "hook_error" not in conn, conn.get("hook_error")
    origin = urlsplit(conn["origin"])
    assert origin.hostname == EMULATOR and origin.hostname in services
    assert origin.port == args.port and origin.scheme == "http"
    assert conn["password"] == args.token, "the connection must carry the token the emulator accepts"
    assert conn["extra"]["organization"] == "acme-corp"
    assert conn["verify_tls"] is True and conn["ca_bundle"] is None


def test_connection_follows_the_tfc_variables() -> None:
    env = {
        "TFC_HOST": "https://tfe.example.com",
        "TFC_TOKEN": "abcdEFGH.atlasv1.0123456789",
        "TFC_ORGANIZATION": "example-org",
        "TFC_VERIFY_TLS": "false",
        "TFC_CA_BUNDLE": "/opt/airflow/config/tfe-ca.pem",
    }
    document, _ = load_compose(env)
    for name, spec in document["services"].items():
        if not name.startswith("airflow-"):
            continue
        conn = json.loads(environment(spec)[CONN_ENV])
        assert conn == {
            "conn_type": "terraform_cloud",
            "host": env["TFC_HOST"],
            "password": env["TFC_TOKEN"],
            "extra": {
                "organization": "example-org",
                "verify_tls": "false",
                "ca_bundle": "/opt/airflow/config/tfe-ca.pem",
            },
        }, name


def test_default_connection_works_against_the_emulator_command(services: dict[str, dict[str, Any]]) -> None:
    """The emulator as compose starts it (its --token) accepts the connection's token and shows its org."""
    from tfc_sentinel.cli import build_parser
    from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer
    from tfc_sentinel.tfc import RetryPolicy, TfcClient, TfcConfig

    args = build_parser().parse_args(emulator_argv(services))
    conn = json.loads(environment(services[WORKER])[CONN_ENV])
    with (
        EmulatorServer(EmulatorConfig(tokens={args.token: ""})) as server,
        TfcClient(
            TfcConfig(host=server.api_url, token=conn["password"], retry=RetryPolicy(max_total_wait=10))
        ) as client,
    ):
        names = {org.name for org in client.list_organizations()}
    assert conn["extra"]["organization"] in names, names


def test_emulator_healthcheck_passes_against_a_running_emulator(
    services: dict[str, dict[str, Any]], emulator: Any
) -> None:
    test = services[EMULATOR]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    code = test[3]
    url = re.search(r"https?://[^'\"]+", code)
    assert url, code
    parts = urlsplit(url.group())
    assert (parts.port, parts.path) == (8750, "/api/v2/ping")
    done = subprocess.run(
        [sys.executable, "-c", code.replace(f"{parts.scheme}://{parts.netloc}", emulator.api_url)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --- storage, volumes, health, order ------------------------------------------------------------------------


def _volume_at(service: dict[str, Any], path: str) -> str | None:
    """The named volume mounted at ``path`` or at a folder above it, else None."""
    best: tuple[int, str] | None = None
    for volume in service.get("volumes", []):
        source, target = (
            (volume.split(":")[:2]) if isinstance(volume, str) else (volume["source"], volume["target"])
        )
        target = target.rstrip("/")
        if (path == target or path.startswith(target + "/")) and (best is None or len(target) > best[0]):
            best = (len(target), source)
    return best[1] if best else None


def test_bundle_storage_is_one_shared_volume(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    storage = environment(services[WORKER])["AIRFLOW__TFC_SENTINEL__BUNDLE_STORAGE"]
    assert storage.startswith("/"), storage
    volumes = {name: _volume_at(services[name], storage) for name in STORAGE_USERS}
    assert len(set(volumes.values())) == 1 and None not in volumes.values(), volumes
    assert next(iter(volumes.values())) in compose["volumes"]


def test_policy_set_default_exists_in_the_image(services: dict[str, dict[str, Any]]) -> None:
    policy_set = environment(services[WORKER])["AIRFLOW__TFC_SENTINEL__POLICY_SET"]
    copies = [
        args.split()
        for keyword, args in dockerfile_instructions((REPO / "Dockerfile").read_text())
        if keyword == "COPY"
    ]
    targets = {parts[-2]: parts[-1].rstrip("/") for parts in copies}
    destination = targets.get("include/policies")
    assert destination, "the Dockerfile must copy include/policies into the image"
    assert policy_set.startswith(destination + "/"), (policy_set, destination)
    local = REPO / "include" / "policies" / policy_set.removeprefix(destination + "/")
    assert (local / "sentinel.hcl").is_file(), local


def test_named_volumes_are_declared(services: dict[str, dict[str, Any]], compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for spec in services.values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~", "$")):
                used.add(source)
    assert used <= declared, f"undeclared volumes: {used - declared}"
    assert declared <= used, f"declared but unused volumes: {declared - used}"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "postgres": "pg_isready",
        "redis": "redis-cli ping",
        APISERVER: "http://localhost:8080/api/v2/version",
        "airflow-scheduler": "http://localhost:8974/health",
        "airflow-dag-processor": "jobs check --job-type DagProcessorJob",
        "airflow-triggerer": "jobs check --job-type TriggererJob",
        WORKER: "inspect ping",
        EMULATOR: "/api/v2/ping",
    }
    for name, spec in services.items():
        if name == INIT:
            assert "healthcheck" not in spec and spec.get("restart") in (None, "no"), "init runs once"
            continue
        test = (spec.get("healthcheck") or {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        assert expected[name] in " ".join(test), (name, test)
        assert spec.get("restart") == "always", name


def test_depends_on_targets_exist_with_sound_conditions(services: dict[str, dict[str, Any]]) -> None:
    for name, spec in services.items():
        depends = spec.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends.items():
            assert target in services and target != name, (name, target)
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health check"
            elif condition == "service_completed_successfully":
                assert target == INIT, (name, target)
            else:
                pytest.fail(f"{name} -> {target}: {condition}")
    for name in services:
        if name.startswith("airflow-"):
            depends = services[name]["depends_on"]
            assert {"postgres", "redis"} <= set(depends), name
            if name != INIT:
                assert depends[INIT]["condition"] == "service_completed_successfully", name
    assert services[WORKER]["depends_on"][APISERVER]["condition"] == "service_healthy"
