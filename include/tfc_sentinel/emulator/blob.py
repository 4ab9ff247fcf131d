"""The blob host (Terraform Cloud's "archivist"): serves export archives by secret URL, no token needed.

It runs on its own port so that ``requests`` drops the ``Authorization`` header on the redirect (it does
when host, port or scheme change); any request that still carries one is recorded as a leak by
``middleware``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

from tfc_sentinel.emulator.api import install_error_handlers
from tfc_sentinel.emulator.errors import NotFound
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

    install_error_handlers(app)
    return app
