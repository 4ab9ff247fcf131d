"""The blob host (Terraform Cloud's "archivist"): serves export archives by secret URL, no token needed.

It runs on its own port so that ``requests`` drops the ``Authorization`` header on the redirect (it does
when host, port or scheme change); any request that still carries one is recorded as a leak by
``middleware``.

Test-only: ``PUT /_emulator/exports/{export_id}/archive`` replaces a finished export's archive with the
request body, so a test (in any process) can have the real download path serve a hostile archive. Like
the API port's ``/_emulator`` routes it is unauthenticated and not logged; the replacement belongs to the
export, so ``reset`` (which drops every export) undoes it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from tfc_sentinel.emulator.api import install_error_handlers
from tfc_sentinel.emulator.errors import Conflict, NotFound
from tfc_sentinel.emulator.state import EmulatorState


def create_blob_app(state: EmulatorState) -> FastAPI:
    app = FastAPI(title="Terraform Cloud Emulator blob host", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state

    @app.get("/v1/object/{secret}")
    async def get_object(secret: str) -> Response:
        """The archive while the secret lives (``blob_url_ttl``); 404 once it has expired or never existed."""
        data = state.store.blob(secret)
        if data is None:
            raise NotFound("blob not found or expired")
        return Response(data, media_type="application/octet-stream")

    @app.put("/_emulator/exports/{export_id}/archive", include_in_schema=False)
    async def replace_archive(export_id: str, request: Request) -> Response:
        """Serve the request body as ``export_id``'s archive from now on (URLs granted before keep the
        old bytes). 404 for an unknown export, 409 until it has finished (its archive is built then)."""
        body = await request.body()
        store = state.store
        with store.lock:
            export = store.exports.get(export_id)
            if export is None:
                raise NotFound(f"plan export {export_id!r} not found")
            status = store.export_status(export)
            if export.archive is None:
                raise Conflict(
                    f"plan export {export_id!r} is {status}; replace its archive once it has finished"
                )
            export.archive = body
        return Response(status_code=204)

    install_error_handlers(app)
    return app
