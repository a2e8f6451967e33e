"""`railbook platforms …`: create, list and show platforms."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from sqlalchemy import func, select

from railbook.cli.common import ModeOption, database, fail, master_keys, platform_name

app = typer.Typer(help="Platforms (tenants).", no_args_is_help=True)


@app.command()
def create(name: str) -> None:
    """Create a platform."""
    from railbook.platforms import service

    name = platform_name(name)
    with database().transaction() as session:
        if service.find_platform(session, name) is not None:
            raise fail(f"platform {name!r} already exists")
        platform = service.create_platform(session, master_keys(), name)
        typer.echo(f"{platform.id}\t{platform.name}")


@app.command("list")
def list_() -> None:
    """List platforms."""
    from railbook.platforms import service

    with database().reading() as session:
        for platform in service.list_platforms(session):
            typer.echo(f"{platform.id}\t{platform.name}\t{platform.created_at.isoformat()}")


@app.command()
def show(
    name: str,
    mode: Annotated[ModeOption, typer.Option(help="sandbox or production")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show one platform in one mode."""
    from railbook.auth.models import ApiToken
    from railbook.platforms import service
    from railbook.webhooks.endpoints import ensure_endpoint

    with database().transaction() as session:
        platform = service.find_platform(session, name)
        if platform is None:
            raise fail(f"no platform {name!r}")
        endpoint = ensure_endpoint(session, master_keys(), platform.id, mode.as_mode())
        active_tokens = session.scalar(
            select(func.count()).where(
                ApiToken.platform_id == platform.id,
                ApiToken.mode == mode.as_mode().value,
                ApiToken.revoked_at.is_(None),
            )
        )
        shown = {
            "id": platform.id,
            "name": platform.name,
            "mode": mode.as_mode().value,
            "activeTokens": active_tokens,
            "webhookEndpoint": endpoint.url,
            "webhookPublicKey": endpoint.public_key_pem,
            "createdAt": platform.created_at.isoformat(),
        }
    if as_json:
        typer.echo(orjson.dumps(shown).decode())
    else:
        for key, value in shown.items():
            typer.echo(f"{key}: {value}")
