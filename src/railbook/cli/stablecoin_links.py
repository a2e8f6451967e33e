"""`railbook stablecoin-links …`: see and revoke platforms' stablecoin provider account links."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from railbook.cli.common import database, fail
from railbook.kit.clock import rfc3339, utcnow
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.schemas import LinkStatus

app = typer.Typer(help="Stablecoin provider account links (operator actions).", no_args_is_help=True)


@app.command("list")
def list_links(
    status: Annotated[LinkStatus | None, typer.Option(help="only links in this status")] = None,
) -> None:
    """Every link: id, platform, mode, provider account, status, last successful check."""
    statement = select(StablecoinProviderAccount).order_by(StablecoinProviderAccount.created_at)
    if status is not None:
        statement = statement.where(StablecoinProviderAccount.status == status.value)
    with database().reading() as session:
        links = list(session.scalars(statement))
    for link in links:
        verified = rfc3339(link.last_verified_at) if link.last_verified_at else "-"
        fields = [link.id, link.platform_id, link.mode, link.provider_account_id, link.status, verified]
        typer.echo("\t".join(fields))


@app.command()
def revoke(
    link_id: str,
    reason: Annotated[str, typer.Option(help="why (kept on the link)")] = "revoked by an operator",
) -> None:
    """Mark a link REVOKED and erase its stored credentials (there is no way back: link again instead)."""
    from railbook.stablecoin_links.service import set_status

    with database().transaction() as session:
        link = session.get(StablecoinProviderAccount, link_id, with_for_update=True)
        if link is None:
            raise fail(f"no stablecoin provider account link {link_id}")
        if link.status == LinkStatus.REVOKED:
            raise fail(f"{link_id} is already REVOKED")
        set_status(link, LinkStatus.REVOKED, reason, utcnow())
    typer.echo(f"{link_id} is now REVOKED; its credentials are erased")
