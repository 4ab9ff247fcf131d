"""``make demo``: a local Terraform Cloud, and one run's Sentinel mock bundle exported from it.

Starts the emulator in this process, then does what the Airflow pipeline does for every run:
create (or reuse) the plan export, wait for it, download the bundle without the token, unpack it
safely, and delete the export whatever happened. Run it with ``python -m tfc_sentinel.demo``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tfc_sentinel.bundle import Bundle
from tfc_sentinel.emulator import EmulatorConfig, EmulatorServer
from tfc_sentinel.tfc import TfcClient, TfcConfig
from tfc_sentinel.tfc.lifecycle import export_run_bundle


def pick_run(client: TfcClient) -> str:
    """The newest run, across the organizations the token sees, whose plan can be exported."""
    for org in client.list_organizations():
        for workspace in client.list_workspaces(org.name):
            for run in client.list_runs(workspace.id).runs:
                if run.plan_id and client.get_plan(run.plan_id).export_blocker() is None:
                    return run.id
    raise SystemExit("no exportable run in the emulator's fixtures")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfc_sentinel.demo", description=__doc__)
    parser.add_argument("--run", help="run ID to export (default: the newest exportable run)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the bundle (default: a temp dir)")
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix="tfc-sentinel-demo-"))
    with EmulatorServer(EmulatorConfig(export_delay=1.0)) as emulator:
        print(f"Terraform Cloud emulator: API {emulator.api_url}  blob host {emulator.blob_url}")
        config = TfcConfig(host=emulator.api_url, token=emulator.token)
        with TfcClient(config) as client:
            run_id = args.run or pick_run(client)
            result = export_run_bundle(
                client,
                run_id,
                out / f"{run_id}.tar.gz",
                out / run_id,
                poll_interval=0.25,
                progress=lambda message: print(f"  {message}"),
            )
        state = emulator.snapshot()
    assert result.bundle_dir is not None
    bundle = Bundle.load(result.bundle_dir)
    print(f"\nBundle of {run_id} in {result.bundle_dir}:")
    for path in sorted(result.bundle_dir.iterdir()):
        print(f"  {path.name:<28} {path.stat().st_size:>9,} bytes")
    print(f"\nImports mapped by sentinel.hcl: {', '.join(sorted(bundle.imports))}")
    print(f"Live exports left in the emulator: {state['live_exports']}")
    print(f"Requests that carried the token to the blob host: {state['blob_auth_leaks']}")
    return 0 if state["live_exports"] == 0 and state["blob_auth_leaks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
