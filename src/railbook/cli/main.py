"""The `railbook` command: one sub-command group per noun."""

from __future__ import annotations

import typer

from railbook.cli import accounts, db, operators, platforms, secrets, simulators, stablecoin_links, tokens, webhooks
from railbook.cli.common import begin_command
from railbook.cli.serve import serve
from railbook.cli.worker import worker

app = typer.Typer(help="Railbook: Grid-compatible external accounts service.", no_args_is_help=True)


@app.callback()
def _each_command(context: typer.Context) -> None:
    begin_command(context)


app.command()(serve)
app.command()(worker)
app.add_typer(secrets.app, name="secrets")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(accounts.app, name="accounts")
app.add_typer(db.app, name="db")
app.add_typer(platforms.app, name="platforms")
app.add_typer(tokens.app, name="tokens")
app.add_typer(operators.app, name="operators")
app.add_typer(simulators.app, name="simulators")
app.add_typer(stablecoin_links.app, name="stablecoin-links")
