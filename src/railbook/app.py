"""create_app(settings): routers, error handlers, middleware."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from railbook import API_PREFIX
from railbook.auth import TokenVerifier
from railbook.config import Settings
from railbook.customers.router import router as customers_router
from railbook.db import Database
from railbook.errors import install_error_handlers
from railbook.instance import load_or_create_key
from railbook.kit.pagination import CursorCodec
from railbook.kit.wire import JSONBody
from railbook.middleware import RequestContextMiddleware


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The Railbook ASGI application for these settings."""
    database = database or Database(settings.effective_database_url)
    app = FastAPI(
        title="Railbook",
        version="2025-10-13",
        description="Grid-compatible external accounts API",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.token_verifier = TokenVerifier(database, settings.auth_cache_seconds)
    app.state.cursor_codec = CursorCodec(partial(load_or_create_key, database, "cursor_signing_key"))
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(customers_router)
    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONBody:
        try:
            with database.reading() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONBody({"status": "unavailable"}, status_code=503)
        return JSONBody({"status": "ok"})

    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
