"""Who is asking, and which DAGs they may read: the one place that uses Airflow's internal security code.

``airflow.api_fastapi.core_api.security`` is not a public API (its ``get_user`` gained a parameter in
3.x), so every use of it and of the auth manager lives here; a change in a later Airflow is a change
in this file only, and ``tests/ui`` fails loudly if the contract breaks.

Rules the pages follow:

- **Authenticated or 401.** The user comes from the same place as for Airflow's own API: an
  ``Authorization: Bearer`` JWT, else the UI's ``_token`` cookie (the iframe sends it). A missing,
  expired or unreadable token is answered 401 (Airflow answers 403 for a token it cannot verify; to a
  page that only means "log in again", so it is 401 here too).
- **Only readable DAGs.** The overview lists checks of the DAGs the auth manager says the user may read
  (``get_authorized_dag_ids``); a run page asks for read access to that DAG's runs
  (``is_authorized_dag`` with ``DagAccessEntity.RUN``) and answers 403 otherwise. Both go through the
  configured auth manager, so FAB roles, Keycloak policies or multi-team rules apply unchanged.

Imports of Airflow internals happen inside the functions: only the api-server calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.base_auth_manager import BaseAuthManager
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

__all__ = ["can_read_dag_runs", "current_user", "login_url", "readable_dag_ids", "user_name"]

_bearer = HTTPBearer(auto_error=False)


def _auth_manager() -> BaseAuthManager:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_user(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> BaseUser:
    """The logged-in Airflow user (bearer token or UI cookie), or 401.

    Delegates to Airflow's own ``get_user`` so token validation, revocation and the refresh
    middleware's cached user behave exactly as on ``/api/v2``.
    """
    from airflow.api_fastapi.core_api.security import get_user

    try:
        return await get_user(request, None, bearer)
    except HTTPException as exc:
        if exc.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
            raise _unauthenticated(str(exc.detail or "Not authenticated")) from None
        raise


def readable_dag_ids(user: BaseUser) -> set[str]:
    """The DAG IDs this user may read (the auth manager decides; teams are taken into account)."""
    return set(_auth_manager().get_authorized_dag_ids(user=user, method="GET"))


def can_read_dag_runs(user: BaseUser, dag_id: str) -> bool:
    """Whether the user may read this DAG's runs (what a run's policy results belong to)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from airflow.models.dag import DagModel

    details = DagDetails(id=dag_id, team_name=DagModel.get_team_name(dag_id))
    return _auth_manager().is_authorized_dag(
        method="GET", access_entity=DagAccessEntity.RUN, details=details, user=user
    )


def login_url(next_url: str | None = None) -> str | None:
    """The auth manager's login page (relative to the Airflow base URL), for the 401 page's link."""
    try:
        kwargs: dict[str, Any] = {"next_url": next_url} if next_url else {}
        return _auth_manager().get_url_login(**kwargs)
    except Exception:  # a link on an error page must not turn a 401 into a 500
        return None


def user_name(user: BaseUser) -> str:
    """A display name for the page header."""
    try:
        return str(user.get_name())
    except Exception:
        return ""
