"""``tfc-sentinel emulator``: serve the local Terraform Cloud (API + blob host) until Ctrl-C.

The emulator's modules (FastAPI, uvicorn, fixtures) load inside ``run`` so ``tfc-sentinel --help`` stays fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tfc_sentinel.emulator.server import EmulatorServer

DEFAULT_PORT = 8750
DEFAULT_BLOB_PORT = 8751


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="API port; 0 = any free port (default: %(default)s)"
    )
    parser.add_argument(
        "--blob-port",
        type=int,
        default=DEFAULT_BLOB_PORT,
        help="blob host port; 0 = any free port (default: %(default)s)",
    )
    parser.add_argument("--token", help="also accept this bearer token, for the first seeded user")
    parser.add_argument(
        "--export-delay",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds until a plan export is finished (default: %(default)s)",
    )
    parser.add_argument(
        "--fixtures", type=Path, metavar="DIR", help="seed from DIR/*.json instead of the built-in fixtures"
    )
    parser.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", type=Path, metavar="PEM", help="the certificate's private key")


def run(args: argparse.Namespace) -> int:
    from tfc_sentinel.emulator.config import EmulatorConfig
    from tfc_sentinel.emulator.errors import BadSeed
    from tfc_sentinel.emulator.server import EmulatorServer

    if args.export_delay < 0:
        print("tfc-sentinel emulator: --export-delay must be >= 0", file=sys.stderr)
        return 2
    if (args.tls_cert is None) != (args.tls_key is None):
        print("tfc-sentinel emulator: give both --tls-cert and --tls-key, or neither", file=sys.stderr)
        return 2
    tls = (str(args.tls_cert), str(args.tls_key)) if args.tls_cert else None
    config = EmulatorConfig(export_delay=args.export_delay, tokens={args.token: ""} if args.token else {})
    try:
        server = EmulatorServer(
            config,
            host=args.host,
            port=args.port,
            blob_port=args.blob_port,
            fixtures_dir=args.fixtures,
            tls=tls,
        )
        server.start()
    except (BadSeed, OSError, RuntimeError) as exc:
        print(f"tfc-sentinel emulator: {exc}", file=sys.stderr)
        return 1
    # `docker stop` and service managers send SIGTERM: shut down as cleanly as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print_banner(server, sys.stdout)
        server.wait()
    except KeyboardInterrupt:
        print("\nstopping the emulator", file=sys.stderr)
    finally:
        server.stop()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def print_banner(server: EmulatorServer, out: TextIO) -> None:
    """What a demo user needs: where to point a client, which token to send, which runs exist."""
    from tfc_sentinel.emulator.clock import isoformat

    store = server.state.store
    lines = [
        "Terraform Cloud emulator",
        f"  API:    {server.api_url}/api/v2",
        f"  blobs:  {server.blob_url}",
        f"  token:  {server.token}",
        f"  admin:  {server.api_url}/_emulator/state",
        "",
        "Tokens (user: token):",
    ]
    lines += [f"  {user}: {token}" for user, token in server.tokens.items()]
    lines.append("")
    lines.append("Organizations and workspaces:")
    for org in store.organizations.values():
        lines.append(f"  {org.name}")
        for ws in sorted(
            (w for w in store.workspaces.values() if w.organization == org.name), key=lambda w: w.name
        ):
            lines.append(f"    {ws.id}  {ws.name}")
    lines.append("")
    lines.append("Runs (id, status, workspace, plan, exportable):")
    for run in sorted(store.runs.values(), key=lambda r: r.created_at):
        ws = store.workspaces[run.workspace_id]
        plan = store.plans[run.plan_id]
        exportable = "yes" if plan.is_exportable and store.can_export(plan) else "no"
        where = f"{ws.organization}/{ws.name}"
        lines.append(
            f"  {run.id}  {run.status:<21} {where:<26} {plan.id}  {exportable:<3}  {isoformat(run.created_at)}"
        )
    lines.append("")
    lines.append("Serving until Ctrl-C.")
    print("\n".join(lines), file=out, flush=True)
