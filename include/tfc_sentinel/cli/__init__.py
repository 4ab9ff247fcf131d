"""The ``tfc-sentinel`` command: one sub-command module per verb, loaded only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# verb -> (module under tfc_sentinel.cli, one-line help). Modules expose ``add_arguments(parser)``
# and ``run(args) -> int`` and keep heavy imports inside ``run``; only the chosen verb's module is
# imported, so one verb's dependencies never slow down or break another. A module may also define
# ``normalize_argv(argv) -> argv`` to accept spellings argparse cannot (``sentinel test -json``).
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("emulator", "run a local Terraform Cloud (API and blob host) for demos and tests"),
    "mock": ("mock", "turn `terraform show -json` plan output into a Sentinel mock bundle"),
    "export": ("export", "export a Terraform run's Sentinel mock bundle from Terraform Cloud"),
    "test": ("test", "run `sentinel test` suites: every policy's test cases (same layout and verdicts)"),
    "apply": ("apply", "evaluate a policy set against a mock bundle, like a Terraform Cloud policy check"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with ``only`` set, one whose other verbs are listed but not imported."""
    parser = argparse.ArgumentParser(
        prog="tfc-sentinel", description="Test Terraform Cloud plans against Sentinel policies."
    )
    from tfc_sentinel import __version__

    parser.add_argument("--version", action="version", version=f"tfc-sentinel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for verb, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(verb, help=help_text, description=help_text)
        if only in (None, verb):
            module = importlib.import_module(f"tfc_sentinel.cli.{module_name}")
            module.add_arguments(command)
            command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = next((arg for arg in argv if not arg.startswith("-")), None)
    if verb in COMMANDS:
        module = importlib.import_module(f"tfc_sentinel.cli.{COMMANDS[verb][0]}")
        normalize = getattr(module, "normalize_argv", None)
        if normalize is not None:
            at = argv.index(verb) + 1
            argv = argv[:at] + list(normalize(argv[at:]))
    args = build_parser(verb if verb in COMMANDS else None).parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
