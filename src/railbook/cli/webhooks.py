"""`railbook webhooks …`: inspect delivery attempts and replay an event."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from railbook.cli.common import database, fail
from railbook.webhooks.models import AttemptOutcome, WebhookAttempt, WebhookEvent

app = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)


@app.command()
def deliveries(
    event: Annotated[str | None, typer.Option(help="only this event id")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="only failed attempts")] = False,
    limit: Annotated[int, typer.Option(help="most recent N attempts")] = 50,
) -> None:
    """List delivery attempts, newest first."""
    statement = (
        select(WebhookAttempt, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookAttempt.event_id)
        .order_by(WebhookAttempt.seq.desc())
        .limit(limit)
    )
    if event:
        statement = statement.where(WebhookAttempt.event_id == event)
    if failed:
        statement = statement.where(WebhookAttempt.outcome == AttemptOutcome.FAILED)
    with database().reading() as session:
        rows = session.execute(statement).all()
    for attempt, event_type in rows:
        status = attempt.status_code if attempt.status_code is not None else "-"
        typer.echo(
            "\t".join(
                [
                    attempt.created_at.isoformat(),
                    attempt.event_id,
                    event_type,
                    attempt.outcome,
                    str(status),
                    f"{attempt.duration_ms:.0f}ms",
                    attempt.url or "-",
                    attempt.error or "",
                ]
            )
        )


@app.command()
def replay(event_id: str) -> None:
    """Deliver a stored event again (same id, same body, same signature)."""
    from railbook.webhooks.events import StoredEvent, enqueue_delivery

    with database().transaction() as session:
        event = session.get(WebhookEvent, event_id)
        if event is None:
            raise fail(f"no event {event_id}")
        enqueue_delivery(session, StoredEvent(event.id, event.platform_id, event.mode, event.resource_key), again=True)
    typer.echo(f"queued {event_id} for delivery")
