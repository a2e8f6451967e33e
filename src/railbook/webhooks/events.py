"""emit(): store an event and its delivery job in the caller's transaction."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.jobs.queue import enqueue
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.ids import new_id
from railbook.webhooks.models import WebhookEvent

DELIVER_KIND = "webhooks.deliver"
TEST = "TEST"
EXTERNAL_ACCOUNT_STATUS_UPDATED = "EXTERNAL_ACCOUNT.STATUS_UPDATED"


def new_event(
    session: Session, platform_id: str, mode: Mode, type_: str, data: dict[str, Any], resource_key: str | None
) -> WebhookEvent:
    """Store an event with its final body (the same bytes are signed and sent on every attempt)."""
    event_id = new_id("Webhook")
    now = utcnow()
    body = orjson.dumps({"id": event_id, "type": type_, "timestamp": rfc3339(now), "data": data}).decode()
    event = WebhookEvent(
        id=event_id,
        platform_id=platform_id,
        mode=mode.value,
        type=type_,
        body=body,
        resource_key=resource_key,
        state="pending",
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def enqueue_delivery(session: Session, event: WebhookEvent) -> None:
    """Queue (or re-queue) delivery of a stored event."""
    scope = f"{event.platform_id}:{event.mode}"
    enqueue(
        session,
        DELIVER_KIND,
        {"eventId": event.id},
        # Events about one resource reach the receiver in the order they were emitted.
        ordering_key=f"webhook:{scope}:{event.resource_key}" if event.resource_key else None,
        # A slow receiver holds at most a few worker threads; other platforms keep flowing.
        concurrency_key=f"webhook:{scope}",
    )


def emit(
    session: Session,
    platform_id: str,
    mode: Mode,
    type_: str,
    data: dict[str, Any],
    *,
    resource_key: str | None = None,
) -> WebhookEvent:
    """Record a webhook and schedule its delivery; both commit with the caller's change or not at all."""
    event = new_event(session, platform_id, mode, type_, data, resource_key)
    enqueue_delivery(session, event)
    return event
