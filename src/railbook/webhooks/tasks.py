"""The delivery task: retried with backoff for up to 7 days, except TEST, which is sent once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from railbook.config import Settings
from railbook.jobs.registry import PermanentFailure, Registry, RetryLater, RetryPolicy, TaskContext
from railbook.webhooks.delivery import deliver, mark_failed
from railbook.webhooks.events import DELIVER_KIND, TEST

RETRY_WINDOW = timedelta(days=7)


def run_delivery(context: TaskContext, payload: dict[str, Any]) -> None:
    """Deliver one event; a failure is retried (or, for TEST, recorded and dropped)."""
    event_id = str(payload["eventId"])
    attempt = deliver(context.database, context.keys, context.http, context.settings, event_id)
    if not attempt.failed:
        return
    if attempt.event_type == TEST:
        mark_failed(context.database, event_id)
        raise PermanentFailure(f"TEST webhooks are not retried: {attempt.error}")
    raise RetryLater(attempt.error or "delivery failed")


def register(registry: Registry, settings: Settings) -> None:
    """Declare the webhook delivery task."""
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
    )
