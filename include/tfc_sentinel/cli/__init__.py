"""The ``tfc-sentinel`` command: one sub-command module per verb, loaded only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# verb -> (module under tfc_sentinel.cli, one-line help). Modules expose ``add_arguments(parser)``
# and ``run(args) -> int``; importing lazily keeps ``tfc-sentinel --help`` fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("emulator", "run a local Terraform Cloud (API and blob host) for demos and tests"),
    "mock": ("mock", "turn `terraform show -json` plan output into a Sentinel mock bundle"),
    "export": ("export", "export a Terraform run's Sentinel mock bundle from Terraform Cloud"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfc-sentinel", description=__doc__)
    from tfc_sentinel import __version__

    parser.add_argument("--version", action="version", version=f"tfc-sentinel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for verb, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"tfc_sentinel.cli.{module_name}")
        command = sub.add_parser(verb, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
