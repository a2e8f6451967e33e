"""`railbook simulators ...`: run a provider simulator on its own port."""

from __future__ import annotations

from typing import Annotated

import typer

from railbook.cli.common import settings as load_settings

app = typer.Typer(help="Local stand-ins for providers.", no_args_is_help=True)


@app.command()
def plaid(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8010,
) -> None:
    """Run the Plaid simulator; it accepts RAILBOOK_PLAID_CLIENT_ID / RAILBOOK_PLAID_SECRET."""
    import uvicorn

    from railbook.providers.plaid.simulator import create_simulator

    settings = load_settings()
    simulator = create_simulator(settings.plaid_client_id, settings.plaid_secret)
    typer.echo(f"Plaid simulator at http://{host}:{port} (client id {settings.plaid_client_id})")
    uvicorn.run(simulator, host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def brale(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8011,
) -> None:
    """Run the Brale simulator (token endpoint and API on one host) with its built-in clients."""
    import uvicorn

    from railbook.providers.brale.simulator import BUILT_IN_CLIENTS, create_brale_simulator

    settings = load_settings()
    clients = ", ".join(client.client_id for client in BUILT_IN_CLIENTS)
    typer.echo(f"Brale simulator at http://{host}:{port} (clients {clients})")
    uvicorn.run(create_brale_simulator(), host=host, port=port, log_level=settings.log_level.lower())
