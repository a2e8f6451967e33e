"""`railbook secrets rotate`: re-encrypt every stored secret under the active master key."""

from __future__ import annotations

import typer

from railbook.cli.common import database, master_keys
from railbook.secret_fields import rotate_all

app = typer.Typer(help="Stored secrets.", no_args_is_help=True)


@app.command()
def rotate() -> None:
    """Re-encrypt secrets that are not under the first key of RAILBOOK_SECRET_KEYS."""
    counts = rotate_all(database(), master_keys())
    for name, count in counts.items():
        typer.echo(f"{name}: {count} re-encrypted")
