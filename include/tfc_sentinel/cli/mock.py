"""``tfc-sentinel mock PLAN_JSON -o OUT [--run RUN_JSON]``: make a mock bundle without Terraform Cloud.

Lets people test policies against a plan they produced locally with ``terraform show -json``.
Exit codes: 0 written, 2 bad input (missing file, invalid JSON, not a plan), 1 could not write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_BAD_INPUT = 2


class _InputError(Exception):
    """Bad command-line input; the message is printed as is."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", metavar="PLAN_JSON", help="output of `terraform show -json PLANFILE`")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="bundle to write: a path ending in .tar.gz/.tgz for an archive, otherwise a directory",
    )
    parser.add_argument(
        "--scrub-sensitive",
        action="store_true",
        help="replace values Terraform marks sensitive with '(sensitive value)' (for bundles you share)",
    )
    parser.add_argument(
        "--run",
        metavar="RUN_JSON",
        help="run metadata for the tfrun mock (id, message, workspace, organization, cost_estimate, …)",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _load_json(path_text: str, what: str) -> Any:
    path = Path(path_text)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Terraform writes UTF-8; tolerate an editor's BOM
        return json.loads(text, parse_constant=_reject_constant)
    except FileNotFoundError:
        raise _InputError(f"{what} file {path} does not exist") from None
    except IsADirectoryError:
        raise _InputError(f"{what} file {path} is a directory, expected a JSON file") from None
    except PermissionError:
        raise _InputError(f"{what} file {path} is not readable (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise _InputError(f"{what} file {path} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise _InputError(
            f"{what} file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:
        raise _InputError(f"{what} file {path} is not valid JSON ({exc})") from None


def _load_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from tfc_sentinel.bundle.planjson import NOT_A_PLAN_HINT, is_plan

    plan = _load_json(args.plan, "plan")
    if not is_plan(plan):
        raise _InputError(f"{args.plan} is not a Terraform plan: {NOT_A_PLAN_HINT}")
    run = None
    if args.run:
        run = _load_json(args.run, "run metadata")
        if not isinstance(run, dict):
            raise _InputError(
                f"run metadata file {args.run} must hold a JSON object, not {type(run).__name__}"
            )
    return plan, run


def run(args: argparse.Namespace) -> int:
    from tfc_sentinel.bundle.errors import BundleError
    from tfc_sentinel.bundle.writer import build_mock_files, is_archive_path, write_bundle

    try:
        plan, run_metadata = _load_inputs(args)
    except _InputError as exc:
        print(f"tfc-sentinel mock: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    output = Path(args.output)
    if not output.parent.is_dir():
        print(f"tfc-sentinel mock: error: output directory {output.parent} does not exist", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        files = build_mock_files(plan, run_metadata, scrub_sensitive=args.scrub_sensitive)
        write_bundle(files, output)
    except (BundleError, ValueError, TypeError) as exc:
        print(f"tfc-sentinel mock: error: cannot make the bundle from {args.plan}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"tfc-sentinel mock: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    kind = "archive" if is_archive_path(output) else "directory"
    total = sum(len(text.encode("utf-8")) for text in files.values())
    print(f"wrote mock bundle {kind} {output} ({len(files)} files, {total} bytes of Sentinel source):")
    for name in files:
        print(f"  {name}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the verb on its own (``python -m tfc_sentinel.cli.mock``), without loading the other verbs."""
    parser = argparse.ArgumentParser(prog="tfc-sentinel mock", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
