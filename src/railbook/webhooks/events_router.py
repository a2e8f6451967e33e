"""The events API (Railbook's addition): list, read, redeliver and recover the webhooks a platform was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Body, Query

from railbook.idempotency.route import IdempotentAnswer, idempotent_post
from railbook.kit.clock import as_utc
from railbook.kit.pagination import list_scope
from railbook.kit.wire import JSONBody, WireDateTime, WireModel
from railbook.routing import api_router
from railbook.web import DB, Caller, Paging, list_body
from railbook.webhooks import event_log

router = api_router("Events")

DeliveryStatus = Literal["delivered", "failed", "pending", "skipped"]


class RecoverRequest(WireModel):
    """`POST /events/recover`: the window whose failed or skipped events are delivered again."""

    since: WireDateTime
    until: WireDateTime | None = None


@router.get("/events")
def list_events(
    caller: Caller,
    database: DB,
    paging: Paging,
    type_: Annotated[str | None, Query(alias="type", min_length=1, max_length=64)] = None,
    resource_id: Annotated[str | None, Query(alias="resourceId", min_length=1, max_length=128)] = None,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="deliveryStatus")] = None,
    created_after: Annotated[datetime | None, Query(alias="createdAfter")] = None,
    created_before: Annotated[datetime | None, Query(alias="createdBefore")] = None,
) -> JSONBody:
    """The platform's events in the caller's mode, newest first, with their delivery state."""
    filters = event_log.EventFilters(
        type=type_, resource_id=resource_id, delivery_status=delivery_status,
        created_after=as_utc(created_after), created_before=as_utc(created_before),
    )  # fmt: skip
    scope = list_scope(
        "events", platform=caller.platform_id, mode=caller.mode.value, type=type_, resource=resource_id,
        delivery=delivery_status, after=created_after, before=created_before,
    )  # fmt: skip
    window = paging.window(scope)
    with database.reading() as session:
        page = event_log.list_page(session, caller, filters, window)
        body = list_body(page, event_log.render)
    return JSONBody(body)


@router.get("/events/{eventId}")
def get_event(caller: Caller, database: DB, eventId: str) -> JSONBody:  # noqa: N803
    """One event with every delivery attempt."""
    with database.reading() as session:
        body = event_log.render_with_attempts(session, event_log.get(session, caller, eventId))
    return JSONBody(body)


@idempotent_post(router, "/events/{eventId}/redeliver", required=False, status_code=202, one_transaction=True)
def redeliver_event(caller: Caller, database: DB, answer: IdempotentAnswer, eventId: str) -> JSONBody:  # noqa: N803
    """Queue one more delivery of the same envelope (same id and body, a fresh signature)."""
    with database.transaction() as session:
        queued = event_log.redeliver(session, event_log.get(session, caller, eventId))
        response = JSONBody(queued, status_code=202)
        answer.within(session.connection(), response)
    return response


@idempotent_post(router, "/events/recover", required=False, status_code=202, one_transaction=True)
def recover_events(
    caller: Caller, database: DB, answer: IdempotentAnswer, request: Annotated[RecoverRequest, Body()]
) -> JSONBody:
    """Deliver now every failed or skipped event of the window, once each."""
    since, until = as_utc(request.since), as_utc(request.until)
    assert since is not None
    with database.transaction() as session:
        queued = event_log.recover(session, caller, since, until)
        response = JSONBody(queued, status_code=202)
        answer.within(session.connection(), response)
    return response
