"""The events API's use cases: list and read stored events with their delivery, redeliver, recover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from railbook.errors import NotFound
from railbook.jobs.models import Job, JobStatus
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.pagination import FilteredList, Page, PageWindow
from railbook.principal import Principal
from railbook.webhooks.events import DELIVER_KIND, StoredEvent, enqueue_delivery
from railbook.webhooks.models import EventState, WebhookAttempt, WebhookEvent

# deliveryStatus as the API names it. A pending event with a failed attempt is `failed` (and still
# retried: `willRetry`); a duplicate (the receiver answered 409, it had the event) is `delivered`.
DELIVERY_STATUSES = ("delivered", "failed", "pending", "skipped")


def delivery_status(event: WebhookEvent) -> str:
    """The event's deliveryStatus."""
    if event.state in (EventState.DELIVERED, EventState.DUPLICATE):
        return "delivered"
    if event.state == EventState.SKIPPED:
        return "skipped"
    if event.state == EventState.FAILED or event.attempt_count > 0:
        return "failed"
    return "pending"


def status_filter(status: str) -> Any:
    """The SQL condition of a deliveryStatus."""
    if status == "delivered":
        return WebhookEvent.state.in_((EventState.DELIVERED, EventState.DUPLICATE))
    if status == "skipped":
        return WebhookEvent.state == EventState.SKIPPED
    if status == "failed":
        return or_(
            WebhookEvent.state == EventState.FAILED,
            and_(WebhookEvent.state == EventState.PENDING, WebhookEvent.attempt_count > 0),
        )
    return and_(WebhookEvent.state == EventState.PENDING, WebhookEvent.attempt_count == 0)


@dataclass(frozen=True)
class EventFilters:
    """The list's filters (None: any)."""

    type: str | None = None
    resource_id: str | None = None
    delivery_status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def _scoped(principal: Principal) -> Select[WebhookEvent]:
    """The caller's events (its platform and mode)."""
    return select(WebhookEvent).where(
        WebhookEvent.platform_id == principal.platform_id, WebhookEvent.mode == principal.mode.value
    )


# Each filter of `GET /events` as one condition with its value bound by name; a deliveryStatus is a
# condition of its own per status.
_LIST = FilteredList(
    select(WebhookEvent).where(
        WebhookEvent.platform_id == bindparam("platform_id"), WebhookEvent.mode == bindparam("mode")
    ),
    WebhookEvent.created_at,
    WebhookEvent.id,
    {
        "type": WebhookEvent.type == bindparam("type"),
        "resource_id": WebhookEvent.resource_key == bindparam("resource_id"),
        "created_after": WebhookEvent.created_at > bindparam("created_after"),
        "created_before": WebhookEvent.created_at < bindparam("created_before"),
        **{f"delivery_status={status}": status_filter(status) for status in DELIVERY_STATUSES},
    },
)


def list_page(
    session: Session,
    principal: Principal,
    filters: EventFilters,
    window: PageWindow,
) -> Page[WebhookEvent]:
    """One newest-first page of the caller's events matching the filters, with the count of all that match."""
    values = {name: value for name, value in vars(filters).items() if value is not None}
    status = values.pop("delivery_status", None)
    also = () if status is None else (f"delivery_status={status}",)
    return _LIST.page(session, window, principal.scope_parameters(), values, also=also)


def render(event: WebhookEvent) -> dict[str, Any]:
    """The envelope as sent (or to be sent), byte for byte in meaning, with its delivery state."""
    envelope: dict[str, Any] = orjson.loads(event.body)
    delivery: dict[str, Any] = {"status": delivery_status(event), "attempts": event.attempt_count}
    if event.last_attempt_at is not None:
        delivery["lastAttemptAt"] = rfc3339(event.last_attempt_at)
    delivery["willRetry"] = event.state == EventState.PENDING and event.attempt_count > 0
    return {**envelope, "delivery": delivery}


def get(session: Session, principal: Principal, event_id: str) -> WebhookEvent:
    """One of the caller's events, or 404."""
    event = session.get(WebhookEvent, event_id)
    if event is None or event.platform_id != principal.platform_id or event.mode != principal.mode.value:
        raise NotFound("REFERENCE_NOT_FOUND", f"Event {event_id} not found")
    return event


def render_with_attempts(session: Session, event: WebhookEvent) -> dict[str, Any]:
    """The event and every delivery attempt, oldest first."""
    attempts = session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.event_id == event.id).order_by(WebhookAttempt.seq)
    ).all()
    body = render(event)
    body["attempts"] = [_attempt(attempt) for attempt in attempts]
    return body


def _attempt(attempt: WebhookAttempt) -> dict[str, Any]:
    rendered: dict[str, Any] = {"attemptedAt": rfc3339(attempt.created_at), "outcome": attempt.outcome}
    if attempt.url is not None:
        rendered["url"] = attempt.url
    if attempt.status_code is not None:
        rendered["statusCode"] = attempt.status_code
    rendered["durationMs"] = attempt.duration_ms
    if attempt.error is not None:
        rendered["error"] = attempt.error
    return rendered


def redeliver(session: Session, event: WebhookEvent) -> dict[str, Any]:
    """Queue one more delivery of the same envelope (the receiver may have it: it is sent anyway)."""
    enqueue_delivery(session, _stored(event), again=True)
    return {"queued": [event.id]}


def recover(session: Session, principal: Principal, since: datetime, until: datetime | None) -> dict[str, Any]:
    """Deliver now every failed or skipped event of the window, once each; the answer lists them."""
    window = [WebhookEvent.created_at >= since] + ([WebhookEvent.created_at < until] if until is not None else [])
    failing = session.scalars(
        _scoped(principal)
        .where(or_(status_filter("failed"), status_filter("skipped")), *window)
        .order_by(WebhookEvent.created_at, WebhookEvent.id)
    ).all()
    queued = []
    now = utcnow()
    for event in failing:
        if event.state == EventState.PENDING:
            # Still being retried: its own job runs now instead of at its next backoff (no second job,
            # so the receiver gets it once).
            session.execute(
                update(Job)
                .where(
                    Job.kind == DELIVER_KIND,
                    Job.status == JobStatus.QUEUED,
                    Job.payload["eventId"].as_string() == event.id,
                )
                .values(run_at=now)
            )
        else:
            enqueue_delivery(session, _stored(event))
        queued.append(event.id)
    return {"queued": queued}


def _stored(event: WebhookEvent) -> StoredEvent:
    return StoredEvent(event.id, event.platform_id, event.mode, event.resource_key)
