"""`railbook db …`: schema migrations."""

from __future__ import annotations

import typer

from railbook.cli.common import settings
from railbook.cli.startup import migrate, print_token_hint

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every pending migration (creating the database when there is none)."""
    configured = settings()
    migrate(configured)
    print_token_hint(configured)
