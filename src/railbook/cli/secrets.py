"""`railbook secrets rotate`: re-encrypt every stored secret under the active master key."""

from __future__ import annotations

import typer

from railbook.cli.common import database, fail, master_keys

app = typer.Typer(help="Stored secrets.", no_args_is_help=True)


@app.command()
def rotate() -> None:
    """Re-encrypt secrets that are not under the first key of RAILBOOK_SECRET_KEYS."""
    from railbook.kit.crypto import SecretDecryptionError
    from railbook.secret_fields import rotate_all

    try:
        counts = rotate_all(database(), master_keys())
    except SecretDecryptionError as exc:
        # Batches already committed stay re-encrypted; running again with every old key finishes the job.
        raise fail(f"cannot re-encrypt: {exc}; keep the old keys in RAILBOOK_SECRET_KEYS until rotation ends") from None
    for name, count in counts.items():
        typer.echo(f"{name}: {count} re-encrypted")
