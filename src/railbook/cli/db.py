"""`railbook db …`: schema migrations."""

from __future__ import annotations

import typer

from railbook.cli.common import settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every pending migration."""
    from railbook.migrate import upgrade as upgrade_schema

    url = settings().effective_database_url
    upgrade_schema(url)
    typer.echo("database is up to date")
