"""``tfc-sentinel apply --bundle BUNDLE [SET]``: a Terraform Cloud policy check, run locally.

Every policy of the set (a folder holding ``sentinel.hcl``, default ``.``) is evaluated against a
mock bundle (a folder, or a ``.tar.gz`` from Terraform Cloud or ``tfc-sentinel mock``), so a policy
change can be tried on a real plan before it reaches a workspace. Exit status follows the verdict:
0 pass (advisory failures only warn), 1 a hard-mandatory failure or a soft-mandatory one without
``--override``, 2 the run could not happen (unreadable set or bundle). Only ``--output`` is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

FORMATS = ("text", "json", "junit", "html", "markdown")


def _param(text: str) -> tuple[str, Any]:
    from tfc_sentinel.policy.runner import parse_param

    try:
        return parse_param(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "policy_set", nargs="?", default=".", metavar="SET", help="policy set folder (default: .)"
    )
    parser.add_argument(
        "--bundle", required=True, metavar="BUNDLE", help="mock bundle: a folder or a .tar.gz archive"
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument("--format", choices=FORMATS, default=None, help="report format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--override", action="store_true", help="override soft-mandatory failures (they then only warn)"
    )
    parser.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="NAME=VALUE",
        help="set a policy param (VALUE is read as JSON when it parses, else as a string); repeatable",
    )
    parser.add_argument(
        "--engine",
        choices=("builtin", "sentinel"),
        default=os.environ.get("TFC_SENTINEL_ENGINE", "builtin"),
        help="built-in engine (default) or a `sentinel` binary (env TFC_SENTINEL_ENGINE)",
    )
    parser.add_argument(
        "--sentinel-binary",
        metavar="PATH",
        help="the sentinel binary for --engine sentinel (default: $TFC_SENTINEL_BINARY, then PATH)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="text: details for passing policies too")
    parser.add_argument(
        "--color", action=argparse.BooleanOptionalAction, default=None, help="colour the text report"
    )


def run(args: argparse.Namespace) -> int:
    from tfc_sentinel.policy.runner import apply_policy_set
    from tfc_sentinel.report import render
    from tfc_sentinel.report.text import render_text, summary_line

    from ._output import write_atomic
    from .test import use_color

    if args.json and args.format not in (None, "json"):
        print(f"tfc-sentinel apply: error: --json conflicts with --format {args.format}", file=sys.stderr)
        return 2
    fmt = "json" if args.json else args.format or "text"
    result = apply_policy_set(
        args.policy_set,
        args.bundle,
        override=args.override,
        engine=args.engine,
        params=dict(args.param),
        binary_path=args.sentinel_binary,
    )
    if fmt == "text":
        color = use_color(args.color) and not args.output
        text = render_text(result, verbose=args.verbose, color=color)
    else:
        text = render(result, fmt)
    if args.output:
        try:
            write_atomic(args.output, text)
        except OSError as exc:
            print(
                f"tfc-sentinel apply: error: cannot write {args.output}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        print(summary_line(result))
    else:
        sys.stdout.write(text)
    if result.error and (fmt != "text" or args.output):
        print(f"tfc-sentinel apply: error: {result.error}", file=sys.stderr)
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the verb on its own (``python -m tfc_sentinel.cli.apply``)."""
    parser = argparse.ArgumentParser(prog="tfc-sentinel apply", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
