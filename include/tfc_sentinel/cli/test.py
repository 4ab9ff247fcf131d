"""``tfc-sentinel test [DIR|POLICY ...]``: run ``sentinel test`` suites unchanged, with the same verdicts.

People already have scripts and habits around ``sentinel test``, so this verb copies it: the same
discovery (``test/<policy>/*.hcl``), the same PASS/FAIL/ERROR layout, ``-json`` in the CLI's shape,
and the single-dash spellings (``-json``, ``-run=RE``, ``-verbose``). Exit status: 0 all pass,
1 failures, 2 errors (bad configuration, syntax errors, a path that does not exist).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

# sentinel test's single-dash flags -> ours; a value may follow (-run RE) or be attached (-run=RE)
_SINGLE_DASH = {
    "-json": "--json",
    "-verbose": "--verbose",
    "-run": "--run",
    "-color": "--color",
    "-maxConcurrency": "--jobs",
}
_TAKES_VALUE = {"--run", "--jobs", "--engine", "--sentinel-binary", "--junit", "--html"}


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """Rewrite ``sentinel test`` spellings (``-json``, ``-run=RE``, ``-color=false``) into ours.

    Only flags are touched: a value after an option that takes one, and everything after ``--``,
    stays as given.
    """
    out: list[str] = []
    expect_value = False
    for index, arg in enumerate(argv):
        if arg == "--":
            out += argv[index:]
            break
        if expect_value:
            out.append(arg)
            expect_value = False
            continue
        name, sep, value = arg.partition("=")
        new = _SINGLE_DASH.get(name, name)
        if new == "--color" and sep:
            arg = "--color" if value.lower() in ("true", "1", "") else "--no-color"
        elif new != name:
            arg = f"{new}{sep}{value}"
        out.append(arg)
        expect_value = new in _TAKES_VALUE and not sep
    return out


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="DIR|POLICY",
        help="policy files, or folders whose *.sentinel files are policies (default: the current folder)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print results in the `sentinel test -json` shape"
    )
    parser.add_argument(
        "--run", metavar="REGEX", help="only policies (and after a /, cases) whose names match REGEX"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show traces and prints for passing cases too"
    )
    parser.add_argument(
        "--jobs", "-j", type=_jobs, metavar="N", help="worker processes for the cases (default: one per core)"
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
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
    parser.add_argument("--html", metavar="FILE", help="also write an HTML report to FILE")
    parser.add_argument(
        "--color",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colour PASS/FAIL/ERROR (default: when printing to a terminal and NO_COLOR is unset)",
    )


def use_color(setting: bool | None) -> bool:
    if setting is not None:
        return setting
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    from tfc_sentinel.policy.runner import run_tests
    from tfc_sentinel.report import render
    from tfc_sentinel.report.text import render_text

    from ._output import write_atomic

    result = run_tests(
        args.paths,
        run_regex=args.run,
        verbose=args.verbose,
        jobs=args.jobs,
        engine=args.engine,
        binary_path=args.sentinel_binary,
    )
    code = result.exit_code
    for path, fmt in ((args.junit, "junit"), (args.html, "html")):
        if path:
            try:
                write_atomic(path, render(result, fmt))
            except OSError as exc:
                print(
                    f"tfc-sentinel test: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr
                )
                code = 2
    if args.json:
        sys.stdout.write(render(result, "sentinel-json"))
    else:
        sys.stdout.write(render_text(result, verbose=args.verbose, color=use_color(args.color)))
    if result.error and args.json:
        print(f"tfc-sentinel test: error: {result.error}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the verb on its own (``python -m tfc_sentinel.cli.test``)."""
    parser = argparse.ArgumentParser(prog="tfc-sentinel test", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(normalize_argv(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    sys.exit(main())
