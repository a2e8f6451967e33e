"""emit(): store an event and its delivery job in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.db import table_of
from railbook.jobs.queue import enqueue
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.ids import new_id
from railbook.webhooks.models import EventState, WebhookEvent

DELIVER_KIND = "webhooks.deliver"
TEST = "TEST"
EXTERNAL_ACCOUNT_STATUS_UPDATED = "EXTERNAL_ACCOUNT.STATUS_UPDATED"

# A Core statement: a Session and a plain Connection (the group commit's) store an event alike.
_INSERT_EVENT = insert(table_of(WebhookEvent))


@dataclass(frozen=True)
class StoredEvent:
    """What delivery needs to know of an event just stored."""

    id: str
    platform_id: str
    mode: str
    resource_key: str | None


def new_event(
    executor: Session | Connection,
    platform_id: str,
    mode: Mode,
    type_: str,
    data: dict[str, Any],
    resource_key: str | None,
) -> StoredEvent:
    """Store an event with its final body (the same bytes are signed and sent on every attempt)."""
    event_id = new_id("Webhook")
    now = utcnow()
    body = orjson.dumps({"id": event_id, "type": type_, "timestamp": rfc3339(now), "data": data}).decode()
    executor.execute(
        _INSERT_EVENT,
        {
            "id": event_id,
            "platform_id": platform_id,
            "mode": mode.value,
            "type": type_,
            "body": body,
            "resource_key": resource_key,
            "state": EventState.PENDING,
            "created_at": now,
        },
    )
    return StoredEvent(event_id, platform_id, mode.value, resource_key)


def enqueue_delivery(executor: Session | Connection, event: StoredEvent, *, again: bool = False) -> None:
    """Queue (or re-queue) delivery of a stored event; `again` sends it even if the receiver has it."""
    scope = f"{event.platform_id}:{event.mode}"
    payload: dict[str, Any] = {"eventId": event.id, "redeliver": True} if again else {"eventId": event.id}
    enqueue(
        executor,
        DELIVER_KIND,
        payload,
        # Events about one resource reach the receiver in the order they were emitted.
        ordering_key=f"webhook:{scope}:{event.resource_key}" if event.resource_key else None,
        # A slow receiver holds at most a few worker threads; other platforms keep flowing.
        concurrency_key=f"webhook:{scope}",
    )


def emit(
    executor: Session | Connection,
    platform_id: str,
    mode: Mode,
    type_: str,
    data: dict[str, Any],
    *,
    resource_key: str | None = None,
) -> StoredEvent:
    """Record a webhook and schedule its delivery; both commit with the caller's change or not at all.

    Works on the caller's Session or plain Connection alike, so a write on the group commit's
    connection can emit without knowing anything of the group commit.
    """
    event = new_event(executor, platform_id, mode, type_, data, resource_key)
    enqueue_delivery(executor, event)
    return event
