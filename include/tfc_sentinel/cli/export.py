"""``tfc-sentinel export RUN_ID``: fetch a run's Sentinel mock bundle, then delete the export.

The token comes from the environment (``TFC_TOKEN``) or a file, never from the command line, where
other users of the machine could read it in the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="Terraform run ID (run-…)")
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="archive to write (default: <RUN_ID>.tar.gz in the current folder)",
    )
    parser.add_argument("--unpack", metavar="DIR", default=None, help="also unpack the bundle into DIR")
    parser.add_argument(
        "--host",
        default=os.environ.get("TFC_HOST") or os.environ.get("TFE_HOSTNAME") or "app.terraform.io",
        help="Terraform Cloud or Enterprise host or URL (env TFC_HOST; default app.terraform.io)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="read the API token from this file (default: env TFC_TOKEN)",
    )
    parser.add_argument("--ca-bundle", default=os.environ.get("TFC_CA_BUNDLE"), help="PEM CA bundle for TLS")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the export (600)")
    parser.add_argument("--keep-export", action="store_true", help="do not delete the export afterwards")


def read_token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            return token_file.read_text().strip()
        except OSError as exc:
            raise SystemExit(
                f"tfc-sentinel export: cannot read the token file {token_file}: {exc.strerror}"
            ) from None
    token = os.environ.get("TFC_TOKEN") or os.environ.get("TFE_TOKEN") or ""
    if not token:
        raise SystemExit("tfc-sentinel export: no API token: set TFC_TOKEN or pass --token-file FILE")
    return token


def run(args: argparse.Namespace) -> int:
    from tfc_sentinel.bundle.errors import BundleError
    from tfc_sentinel.tfc import TfcClient, TfcConfig, TfcError
    from tfc_sentinel.tfc.lifecycle import export_run_bundle

    try:
        config = TfcConfig(
            host=args.host,
            token=read_token(args.token_file),
            verify_tls=not args.insecure,
            ca_bundle=args.ca_bundle,
        )
    except ValueError as exc:
        print(f"tfc-sentinel export: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output or f"{args.run_id}.tar.gz")
    try:
        with TfcClient(config) as client:
            result = export_run_bundle(
                client,
                args.run_id,
                output,
                args.unpack,
                timeout=args.timeout,
                keep_export=args.keep_export,
                progress=lambda message: print(message, file=sys.stderr),
            )
    except (TfcError, BundleError, ValueError) as exc:
        print(f"tfc-sentinel export: {exc}", file=sys.stderr)
        return 1
    print(result.archive)
    if result.bundle_dir is not None:
        for path in sorted(result.bundle_dir.iterdir()):
            print(f"  {path.name}")
    return 0
