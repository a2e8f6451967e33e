"""create_app(settings): routers, error handlers, middleware."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

import railbook.tables  # noqa: F401 - every table, for foreign keys that span domains
from railbook import API_PREFIX
from railbook.auth.verifier import TokenVerifier
from railbook.config import Settings
from railbook.console.app import create_console
from railbook.context import AppContext
from railbook.customers.router import router as customers_router
from railbook.db import Database
from railbook.error_handlers import install_error_handlers
from railbook.external_accounts.directory_router import router as directory_router
from railbook.external_accounts.discovered import build_directory
from railbook.external_accounts.rails.registry import account_info_adapter
from railbook.external_accounts.router import router as external_accounts_router
from railbook.external_accounts.service import delete_customer_accounts
from railbook.instance import load_or_create_key
from railbook.keys import load_master_keys
from railbook.kit.pagination import CursorCodec
from railbook.kit.wire import JSONBody
from railbook.middleware import RequestContextMiddleware
from railbook.openapi import build_document
from railbook.ownership.liveness_page import create_liveness_simulator
from railbook.ownership.router import router as ownership_router
from railbook.ownership.service import LIVENESS_PATH
from railbook.plaid.router import router as plaid_router
from railbook.platforms.router import router as config_router
from railbook.providers import brale
from railbook.providers.http import build_sender
from railbook.providers.issuers import build_issuer_clients
from railbook.providers.plaid import build as build_plaid
from railbook.providers.plaid import create_simulator
from railbook.ratelimit import RateLimiter
from railbook.requirements.catalogue import catalogue
from railbook.requirements.router import router as requirements_router
from railbook.simulator_guard import ControlGuard, is_loopback
from railbook.stablecoin_links.router import router as stablecoin_links_router
from railbook.tasks import build_registry, build_worker
from railbook.tools.account_form import router as account_form_router
from railbook.webhooks.events_router import router as events_router
from railbook.webhooks.router import router as sandbox_webhooks_router

# SQLite statements are short calls inside the process, each letting go of the GIL and taking it
# back: with anyio's 40 threads, concurrent lists spent a third of their CPU in the kernel handing
# the GIL around. On PostgreSQL a thread mostly waits on the network, and 40 measured better
# (docs/decisions.md, Performance).
SQLITE_REQUEST_THREADS = 16
POSTGRES_REQUEST_THREADS = 40


def request_threads(settings: Settings, database: Database) -> int:
    """How many threads serve requests: the setting, or the default for the database."""
    if settings.request_threads is not None:
        return settings.request_threads
    return SQLITE_REQUEST_THREADS if database.is_sqlite else POSTGRES_REQUEST_THREADS


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The Railbook ASGI application for these settings."""
    database = database or Database(settings.effective_database_url)
    context = AppContext(
        settings=settings,
        database=database,
        keys=load_master_keys(settings),
        sender=build_sender(),
        plaid=build_plaid(settings),
        issuers=build_issuer_clients(settings),
        registry=build_registry(settings),
        token_verifier=TokenVerifier(database, settings.auth_cache_seconds),
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        cursor_codec=CursorCodec(partial(load_or_create_key, database, "cursor_signing_key")),
        # A deleted customer's external accounts are deleted with it (docs/decisions.md, Customers).
        customer_cascade=(delete_customer_accounts,),
        directory=build_directory(settings.discoveries_file, settings.vasps_file),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = request_threads(settings, database)
        # Every requirements answer is rendered once per process, beside start-up rather than in its way.
        threading.Thread(target=catalogue, name="requirements-catalogue", daemon=True).start()
        worker = None
        if settings.embedded_worker:
            worker = build_worker(
                settings, database, context.keys, context.sender, context.plaid, context.issuers, context.registry
            )
            worker.start()
        try:
            async with database.reads_on_this_loop():
                yield
        finally:
            if worker is not None:
                await run_in_threadpool(worker.stop)
            # Requests are over: the create path's committer thread and the checkpoints' thread are not
            # needed until the next write.
            await run_in_threadpool(database.stop_threads)
            context.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Railbook",
        version="2025-10-13",
        description="Grid-compatible external accounts API",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.context = context
    install_error_handlers(app)
    # Build the accountInfo union now, not on the first request.
    account_info_adapter()

    # The routers' own route objects, already prefixed, straight under the app: including a router
    # makes FastAPI build and analyse each of its routes again for that app (about 50 ms of an app's
    # 70 ms start; tests build hundreds of apps per process), and a request is then matched through
    # one level of included routers more, which was a tenth of the event loop's time per create.
    for router in (
        external_accounts_router, customers_router, config_router, sandbox_webhooks_router, plaid_router,
        stablecoin_links_router, directory_router, requirements_router, events_router, ownership_router,
        account_form_router,
    ):  # fmt: skip
        app.router.routes.extend(router.routes)
    # Operators' pages: their own sign-in and cookies; API tokens do not open them (nor they the API).
    secure_cookie = settings.public_url.startswith("https://")
    app.mount("/console", create_console(database, context.keys, secure_cookie=secure_cookie))
    if settings.plaid_env == "simulator" and not settings.plaid_simulator_url:
        # `make serve` needs no Plaid account: the simulator answers on this same server.
        simulator = create_simulator(
            settings.plaid_client_id, settings.plaid_secret, callback_template=f"{API_PREFIX}/plaid/callback/{{token}}"
        )
        app.mount("/_simulators/plaid", _guarded(simulator, settings, context))
    # Sandbox LIVENESS challenges link here; production ones are refused (no liveness provider).
    app.mount(LIVENESS_PATH, create_liveness_simulator(database))
    if settings.brale_env == "simulator" and not (settings.brale_auth_url or settings.brale_api_url):
        app.mount("/_simulators/brale", _guarded(brale.create_simulator(), settings, context))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONBody:
        try:
            with database.reading() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONBody({"status": "unavailable"}, status_code=503)
        return JSONBody({"status": "ok"})

    # Served at openapi_url: the contract's own operations for these routes, built once here, not per request.
    document = build_document(app.routes)
    app.openapi = lambda: document  # type: ignore[method-assign]
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


def _guarded(simulator: ASGIApp, settings: Settings, context: AppContext) -> ASGIApp:
    """The simulator as mounted: its control switches need credentials unless bound to loopback."""
    return simulator if is_loopback(settings.host) else ControlGuard(simulator, context.token_verifier)
