"""What a start shares (`railbook db upgrade`, `railbook serve`): migrating, and saying how to get a token."""

from __future__ import annotations

import shlex

import typer

from railbook.cli.common import command_name, fail
from railbook.config import Settings


def migrate(configured: Settings, *, quiet_when_current: bool = False) -> None:
    """Create or migrate the configured database to the newest schema, and say from which revision to which."""
    from sqlalchemy.exc import SQLAlchemyError

    from railbook.migrate import current_revision, describe, head_revision
    from railbook.migrate import upgrade as upgrade_schema

    url = configured.effective_database_url
    where = describe(url)
    try:
        before = current_revision(url)
        upgrade_schema(url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise fail(f"cannot migrate the Railbook database at {where}: {reason}") from None
    head = head_revision()
    if before is None:
        typer.echo(f"created the Railbook database at {where}, migrated to revision {head}")
    elif before != head:
        typer.echo(f"migrated the Railbook database at {where} from revision {before} to {head}")
    elif not quiet_when_current:
        typer.echo(f"the Railbook database at {where} is up to date (revision {head})")


def print_token_hint(settings: Settings) -> None:
    """When the database already has platforms, print the exact command that mints a token."""
    import railbook.tables  # noqa: F401 - foreign keys span domains
    from railbook.db import Database
    from railbook.platforms import service

    database = Database(settings.effective_database_url)
    try:
        with database.reading() as session:
            names = [platform.name for platform in service.list_platforms(session)]
    finally:
        database.dispose()
    if names:
        echo_token_hint(names)


def echo_token_hint(names: list[str]) -> None:
    # A token's secret is shown once, when it is minted: a start with platforms can only say how.
    name = "default" if "default" in names else names[0]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    typer.echo(f"Platforms in this database: {shown}. Mint an API token with:")
    typer.echo(f"  {command_name()} tokens create --platform {shlex.quote(name)} --mode sandbox")
