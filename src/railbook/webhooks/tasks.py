"""The delivery task: retried with backoff for up to 7 days, except TEST, which is sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, delete, select

from railbook.config import Settings
from railbook.jobs.registry import (
    OutcomeWrites,
    PermanentFailure,
    PreparedRun,
    Registry,
    RetryLater,
    RetryPolicy,
    TaskContext,
)
from railbook.kit.clock import utcnow
from railbook.webhooks.delivery import EventToDeliver, attempt_event, mark_failed, read_events, record
from railbook.webhooks.events import DELIVER_KIND, TEST
from railbook.webhooks.models import WebhookAttempt, WebhookEvent

RETRY_WINDOW = timedelta(days=7)


def run_delivery(context: TaskContext, payload: dict[str, Any]) -> OutcomeWrites | None:
    """Deliver one event; a failure is retried (or, for TEST, recorded and dropped).

    The attempt is written with the job's outcome, in one transaction.
    """
    [prepared] = prepare_deliveries(context, [payload])
    return prepared()


def prepare_deliveries(context: TaskContext, payloads: Sequence[dict[str, Any]]) -> list[PreparedRun]:
    """The deliveries of one claim, their events read with one query."""
    events = read_events(context.database, [str(payload["eventId"]) for payload in payloads])
    return [partial(deliver, context, payload, events.get(str(payload["eventId"]))) for payload in payloads]


def deliver(context: TaskContext, payload: dict[str, Any], event: EventToDeliver | None) -> OutcomeWrites | None:
    """Deliver a read event (see run_delivery)."""
    event_id = str(payload["eventId"])
    again = payload.get("redeliver") is True
    attempt = attempt_event(event, context.keys, context.sender, context.settings, again=again)
    if attempt is None:
        return None

    def write_attempt(connection: Connection) -> None:
        record(connection, attempt)

    if not attempt.failed:
        return write_attempt
    if attempt.event_type == TEST:

        def write_final_failure(connection: Connection) -> None:
            record(connection, attempt)
            mark_failed(connection, event_id)

        raise PermanentFailure(f"TEST webhooks are not retried: {attempt.error}", writes=write_final_failure)
    raise RetryLater(attempt.error or "delivery failed", writes=write_attempt)


PURGE_KIND = "webhooks.purge_events"
PURGE_EVERY_SECONDS = 3600.0


def run_purge(context: TaskContext, payload: dict[str, Any]) -> None:
    """Delete the events (and their attempts) older than the retention period."""
    cutoff = utcnow() - timedelta(days=context.settings.event_retention_days)
    with context.database.writing() as connection:
        old = select(WebhookEvent.id).where(WebhookEvent.created_at < cutoff).scalar_subquery()
        connection.execute(delete(WebhookAttempt).where(WebhookAttempt.event_id.in_(old)))
        connection.execute(delete(WebhookEvent).where(WebhookEvent.created_at < cutoff))


def register(registry: Registry, settings: Settings) -> None:
    """Declare the webhook delivery task and the events' retention purge."""
    registry.register(
        DELIVER_KIND,
        run_delivery,
        retry=RetryPolicy(
            max_attempts=1_000_000,  # bounded by the 7-day window, not by a count
            base_seconds=settings.webhook_retry_base_seconds,
            max_seconds=settings.webhook_retry_max_seconds,
            give_up_after=RETRY_WINDOW,
        ),
        lease_seconds=max(settings.job_lease_seconds, settings.webhook_timeout_seconds + 1),
        max_concurrent_per_key=settings.webhook_concurrency_per_platform,
        prepare=prepare_deliveries,
    )
    registry.register(
        PURGE_KIND, run_purge, every_seconds=min(PURGE_EVERY_SECONDS, settings.event_retention_days * 86400)
    )
