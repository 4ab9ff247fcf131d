"""``get_workspace_by_id``: a run names only its workspace's ID; the run's app URL needs its name and org."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tfc.conftest import NET_PROD, ORG, RUN_PLANNED
from tfc_sentinel.tfc import NotFoundError

GLOBEX_WORKSPACE = "ws-0SU4618UzPIuPE4L"


def test_workspace_of_a_run_by_id(client: Any) -> None:
    run = client.get_run(RUN_PLANNED)
    workspace = client.get_workspace_by_id(run.workspace_id)
    assert (workspace.id, workspace.name, workspace.organization) == (NET_PROD, "net-prod", ORG)


def test_workspace_of_another_organization_is_not_found(client: Any) -> None:
    # The ID is real but acme's token may not see globex's workspace: 404, never 403.
    with pytest.raises(NotFoundError) as exc:
        client.get_workspace_by_id(GLOBEX_WORKSPACE)
    assert f"workspace {GLOBEX_WORKSPACE}" in str(exc.value)


def test_workspace_id_must_be_an_id(client: Any) -> None:
    with pytest.raises(ValueError, match="workspace ID"):
        client.get_workspace_by_id("../organizations")
