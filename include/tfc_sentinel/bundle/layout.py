"""Where each Sentinel import lives in a ``sentinel-mock-bundle-v0`` and the bundle's ``sentinel.hcl``.

Terraform Cloud maps the unversioned and ``/v1`` import names to the same v1 file, so a policy written
for either spelling finds its mock (tfc-api.md section 7).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CONFIG_FILE", "IMPORT_FILES", "MOCK_FILES", "sentinel_hcl"]

CONFIG_FILE: Final = "sentinel.hcl"

# Import name -> mock file, in the order Terraform Cloud writes the blocks.
IMPORT_FILES: Final[dict[str, str]] = {
    "tfconfig": "mock-tfconfig.sentinel",
    "tfconfig/v1": "mock-tfconfig.sentinel",
    "tfconfig/v2": "mock-tfconfig-v2.sentinel",
    "tfplan": "mock-tfplan.sentinel",
    "tfplan/v1": "mock-tfplan.sentinel",
    "tfplan/v2": "mock-tfplan-v2.sentinel",
    "tfrun": "mock-tfrun.sentinel",
    "tfstate": "mock-tfstate.sentinel",
    "tfstate/v1": "mock-tfstate.sentinel",
    "tfstate/v2": "mock-tfstate-v2.sentinel",
}

MOCK_FILES: Final[tuple[str, ...]] = tuple(sorted(set(IMPORT_FILES.values())))


def sentinel_hcl(imports: dict[str, str] | None = None) -> str:
    """Return the bundle's ``sentinel.hcl``: one ``mock`` block per import, bare relative sources."""
    blocks = [
        f'mock "{name}" {{\n  module {{\n    source = "{source}"\n  }}\n}}\n'
        for name, source in (imports or IMPORT_FILES).items()
    ]
    return "\n".join(blocks)
