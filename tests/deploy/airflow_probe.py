"""Airflow facts for tests/deploy, gathered in a child process: ``python airflow_probe.py REQUEST RESULT``.

A child process because Airflow reads its configuration, and builds its CLI parser from the configured
executor, once per process: the tests give it a clean environment (a temporary AIRFLOW_HOME, none of
the caller's AIRFLOW_* variables, the compose file's executor and auth manager) and read back JSON.

Request: ``options`` ([section, key] pairs), ``commands`` (argv lists without ``airflow``),
``connection`` (an ``AIRFLOW_CONN_*`` JSON value), ``conn_id``, ``auth_manager`` (a class path).
Result: ``options`` ("section.key" -> defined by Airflow or an installed provider), ``commands``
(" ".join(argv) -> null when the parser accepts it, else the parser's message), ``connection`` (what
Airflow and our hook read from the value), ``auth_manager`` (class name or error), ``celery_provider``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any


def _options(pairs: list[list[str]]) -> dict[str, bool]:
    from airflow.configuration import conf

    description = conf.configuration_description
    return {f"{s}.{k}": k in description.get(s, {}).get("options", {}) for s, k in pairs}


def _commands(argvs: list[list[str]]) -> dict[str, str | None]:
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    results: dict[str, str | None] = {}
    for argv in argvs:
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                args = parser.parse_args(argv)
        except SystemExit as exc:
            lines = [line for line in output.getvalue().splitlines() if "error" in line.lower()]
            results[" ".join(argv)] = lines[-1].strip() if lines else f"argparse exit {exc.code}"
            continue
        results[" ".join(argv)] = None if callable(getattr(args, "func", None)) else "not a command"
    return results


def _connection(value: str, conn_id: str) -> dict[str, Any]:
    from airflow.sdk import Connection

    from tfc_sentinel.airflow.hooks import config_from_connection

    conn = Connection.from_json(value, conn_id=conn_id)
    extra = conn.extra_dejson
    facts: dict[str, Any] = {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "port": conn.port,
        "password": conn.password,
        "extra": extra,
    }
    try:
        config = config_from_connection(conn, extra)
    except ValueError as exc:
        facts["hook_error"] = str(exc)
    else:
        facts.update(origin=config.origin, verify_tls=config.verify_tls, ca_bundle=config.ca_bundle)
    return facts


def _auth_manager(path: str) -> str:
    from airflow._shared.module_loading import import_string

    try:
        return import_string(path).__name__
    except ImportError as exc:
        return f"error: {exc}"


def main(request_file: str, result_file: str) -> int:
    request = json.loads(Path(request_file).read_text())
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("apache-airflow-providers-celery")
        celery = True
    except PackageNotFoundError:
        celery = False
    result = {
        "celery_provider": celery,
        "options": _options(request["options"]),
        "commands": _commands(request["commands"]),
        "connection": _connection(request["connection"], request["conn_id"]),
        "auth_manager": _auth_manager(request["auth_manager"]),
    }
    Path(result_file).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
