"""`railbook tokens …`: mint, list and revoke API tokens."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from railbook.cli.common import ModeOption, database, fail, master_keys, platform_name

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command()
def create(
    platform: Annotated[str, typer.Option(help="platform name (created if missing)")],
    mode: Annotated[ModeOption, typer.Option(help="sandbox or production")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Mint a token; its secret is printed now and never again."""
    from railbook.platforms import service

    platform = platform_name(platform)
    with database().transaction() as session:
        owner = service.ensure_platform(session, master_keys(), platform)
        minted = service.mint_token(session, owner, mode.as_mode())
    if as_json:
        shown = {
            "id": minted.id,
            "secret": minted.secret,
            "platformId": minted.platform_id,
            "mode": minted.mode,
        }
        typer.echo(orjson.dumps(shown).decode())
        return
    typer.echo(f"token id: {minted.id}")
    typer.echo(f"secret:   {minted.secret}")
    typer.echo(f"platform: {minted.platform_name} ({minted.platform_id}), mode {minted.mode.value}")
    typer.echo("The secret is shown only once; store it now.")


@app.command("list")
def list_() -> None:
    """List tokens (never their secrets)."""
    from railbook.platforms import service

    with database().reading() as session:
        for token, platform in service.list_tokens(session):
            state = f"revoked {token.revoked_at.isoformat()}" if token.revoked_at else "active"
            typer.echo(f"{token.id}\t{platform.name}\t{token.mode}\t{state}")


@app.command()
def revoke(token_id: str) -> None:
    """Revoke a token; requests using it fail from then on."""
    from railbook.platforms import service

    with database().transaction() as session:
        token = service.revoke_token(session, token_id)
        if token is None:
            raise fail(f"no token {token_id}")
    typer.echo(f"revoked {token_id}")
