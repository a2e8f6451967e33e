"""`railbook serve`: run the API (and print a first token on an empty database)."""

from __future__ import annotations

from typing import Annotated

import typer

from railbook import API_PREFIX
from railbook.cli.common import require_database
from railbook.cli.common import settings as load_settings
from railbook.cli.startup import echo_token_hint, migrate
from railbook.config import Mode, Settings
from railbook.keys import MissingMasterKeys, load_master_keys


def bootstrap_first_token(settings: Settings, base_url: str) -> None:
    """On the first start of an empty database, create `default` with a sandbox token and print it."""
    import railbook.tables  # noqa: F401 - foreign keys span domains
    from railbook.customers.service import EXAMPLE_CUSTOMER_ID, ensure_example_customer
    from railbook.db import Database
    from railbook.platforms import service
    from railbook.principal import Principal

    database = Database(settings.effective_database_url)
    try:
        with database.transaction() as session:
            if service.has_any_platform(session):
                echo_token_hint([platform.name for platform in service.list_platforms(session)])
                return
            platform = service.create_platform(session, load_master_keys(settings), service.DEFAULT_PLATFORM)
            minted = service.mint_token(session, platform, Mode.SANDBOX)
            ensure_example_customer(session, Principal(minted.id, platform.id, Mode.SANDBOX))
    finally:
        database.dispose()
    typer.echo("Created platform 'default' with a sandbox API token (the secret is shown only once):")
    typer.echo(f"  token id: {minted.id}")
    typer.echo(f"  secret:   {minted.secret}")
    typer.echo(f"The documentation's example customer {EXAMPLE_CUSTOMER_ID} exists in sandbox.")
    typer.echo("Try it:")
    typer.echo(f"  curl -u '{minted.id}:{minted.secret}' {base_url}{API_PREFIX}/customers")


def _prepare_database(settings: Settings) -> None:
    """Sandbox: create or migrate the database as `db upgrade` does; production: require it current."""
    if settings.mode is Mode.PRODUCTION:
        # A release's migrations run once, before its processes start (README, Running in production).
        require_database(settings)
    else:
        migrate(settings, quiet_when_current=True)


def serve(
    host: Annotated[str | None, typer.Option(help="bind address (RAILBOOK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (RAILBOOK_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (RAILBOOK_WORKERS)")] = None,
) -> None:
    """Serve the API."""
    import uvicorn

    settings = load_settings()
    try:
        load_master_keys(settings)
    except (MissingMasterKeys, ValueError) as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    bind_host = host or settings.host
    bind_port = port or settings.port
    _prepare_database(settings)
    bootstrap_first_token(settings, f"http://{bind_host}:{bind_port}")
    typer.echo(f"Serving Railbook at http://{bind_host}:{bind_port}{API_PREFIX}")
    uvicorn.run(
        "railbook.asgi:app_from_env",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        access_log=False,
        log_level="warning",
        proxy_headers=True,
        timeout_keep_alive=settings.keep_alive_seconds,
    )
