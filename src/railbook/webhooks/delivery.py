"""Deliver one stored event: sign the exact body, POST it, record the attempt."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from railbook.config import Mode, Settings
from railbook.db import Database, table_of
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys, sign
from railbook.kit.driver_sql import DriverStatement
from railbook.providers.http import SEND_ERRORS, Sender, post_once
from railbook.webhooks.models import AttemptOutcome, EventState, WebhookAttempt, WebhookEndpoint, WebhookEvent

SIGNATURE_HEADER = "X-Grid-Signature"
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt did."""

    event_id: str
    outcome: AttemptOutcome
    event_type: str
    url: str | None = None
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when the receiver has not got the event."""
        return self.outcome == AttemptOutcome.FAILED


@dataclass(frozen=True)
class Resolved:
    """The one public address a production delivery may connect to, or why there is none."""

    address: str | None = None
    refusal: str | None = None


def resolve_public(url: str) -> Resolved:
    """Resolve the URL's host once: its first address when every address is public, else the refusal."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return Resolved(refusal=f"cannot resolve {host}: {exc.strerror}")
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return Resolved(refusal=f"refusing to deliver to non-public address {address}")
    if not infos:
        return Resolved(refusal=f"cannot resolve {host}: no address")
    return Resolved(address=str(infos[0][4][0]))


# One query for events and their endpoints, as plain columns (not ORM objects), built once and run
# on the driver: building it per delivery, then SQLAlchemy's per-run work, were measurable shares of
# a busy worker (docs/decisions.md, Performance). The worker reads a claim's events with one run.
_EVENTS_TO_DELIVER = DriverStatement(
    select(
        WebhookEvent.id,
        WebhookEvent.mode,
        WebhookEvent.type,
        WebhookEvent.body,
        WebhookEvent.state,
        WebhookEndpoint.id.label("endpoint_id"),
        WebhookEndpoint.url,
        WebhookEndpoint.signing_key,
    )
    .outerjoin(
        WebhookEndpoint,
        and_(WebhookEndpoint.platform_id == WebhookEvent.platform_id, WebhookEndpoint.mode == WebhookEvent.mode),
    )
    .where(WebhookEvent.id.in_(bindparam("event_ids", expanding=True)))
)


class EventToDeliver(NamedTuple):
    """A row of _EVENTS_TO_DELIVER, in its column order: an event and its platform's endpoint."""

    id: str
    mode: str
    type: str
    body: str
    state: str
    endpoint_id: str | None
    url: str | None
    signing_key: str | None


def read_events(database: Database, event_ids: Sequence[str]) -> dict[str, EventToDeliver]:
    """The events of these ids that exist, with their endpoints, by id (one query)."""
    with database.reading_connection() as connection:
        rows = _EVENTS_TO_DELIVER.rows(connection, {"event_ids": sorted(set(event_ids))})
    return {row[0]: EventToDeliver._make(row) for row in rows}


def attempt_delivery(
    database: Database,
    keys: MasterKeys,
    sender: Sender,
    settings: Settings,
    event_id: str,
    *,
    again: bool = False,
) -> Attempt | None:
    """Read `event_id` and try to deliver it once, without recording it (see `attempt_event`)."""
    event = read_events(database, [event_id]).get(event_id)
    return attempt_event(event, keys, sender, settings, again=again)


def attempt_event(
    event: EventToDeliver | None,
    keys: MasterKeys,
    sender: Sender,
    settings: Settings,
    *,
    again: bool = False,
) -> Attempt | None:
    """Try to deliver a read event once, without recording it (see `record`).

    None when there is nothing to try or record: no such event, or one the receiver already has
    (unless `again`: a redelivery the platform asked for sends the same body once more).
    """
    if event is None or (event.state in (EventState.DELIVERED, EventState.DUPLICATE) and not again):
        return None
    event_id = event.id
    url = event.url
    if event.endpoint_id is None or not url:
        return Attempt(event_id, AttemptOutcome.SKIPPED, event.type, error="no webhook endpoint configured")
    connect_to = None
    if event.mode == Mode.PRODUCTION.value and not settings.webhook_allow_private:
        resolved = resolve_public(url)
        if resolved.refusal:
            return Attempt(event_id, AttemptOutcome.FAILED, event.type, url=url, error=resolved.refusal)
        # Connect to the address just checked: resolving the name again when connecting would let a
        # name that answers public, then private, reach a private address (DNS rebinding).
        connect_to = resolved.address
    body = event.body.encode()
    assert event.signing_key is not None  # an endpoint always has its key (NOT NULL)
    private_key = keys.decrypt(event.signing_key, event.endpoint_id.encode())
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(private_key, body)}
    started = time.perf_counter()
    try:
        response = post_once(sender, url, body, headers, settings.webhook_timeout_seconds, connect_to=connect_to)
    except SEND_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Attempt(
            event_id, AttemptOutcome.FAILED, event.type, url=url, error=reason, seconds=time.perf_counter() - started
        )
    excerpt = response.content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    if response.is_success:
        outcome = AttemptOutcome.DELIVERED
    elif response.status_code == 409:
        outcome = AttemptOutcome.DUPLICATE  # The receiver already has this id: nothing left to do.
    else:
        outcome = AttemptOutcome.FAILED
    error = None if outcome != AttemptOutcome.FAILED else f"receiver answered {response.status_code}"
    seconds = time.perf_counter() - started
    return Attempt(event_id, outcome, event.type, url, response.status_code, excerpt, error, seconds)


# Compiled once and run on the driver, values as parameters (a `.values(...)` statement is re-keyed
# on every run, and SQLAlchemy's per-run work was a share of every delivery).
_ATTEMPT_COLUMNS = (
    "event_id", "url", "status_code", "response_excerpt", "duration_ms", "error", "outcome", "created_at",
)  # fmt: skip
# Binds named apart from the columns, so that the event's UPDATE can join the INSERT (below).
_INSERT_ATTEMPT_STATEMENT = insert(table_of(WebhookAttempt)).values(
    {column: bindparam(f"attempt_{column}") for column in _ATTEMPT_COLUMNS}
)
_INSERT_ATTEMPT = DriverStatement(_INSERT_ATTEMPT_STATEMENT)
_EVENTS = table_of(WebhookEvent)
_COUNT_ATTEMPT_STATEMENT = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(attempt_count=_EVENTS.c.attempt_count + 1, last_attempt_at=bindparam("attempted_at"))
)
# By whether the attempt is final: the final one also sets the event's state, in the same statement.
_COUNT_STATEMENTS = {
    False: _COUNT_ATTEMPT_STATEMENT,
    True: _COUNT_ATTEMPT_STATEMENT.values(state=bindparam("final_state")),
}
_COUNT = {final: DriverStatement(statement) for final, statement in _COUNT_STATEMENTS.items()}
# On PostgreSQL the count rides on the attempt's INSERT as a data-modifying WITH (which runs whether
# or not the INSERT reads it): the outcome of a delivery is a round trip shorter. SQLite has no such WITH.
_COUNT_AND_INSERT_ON_POSTGRESQL = {
    final: DriverStatement(_INSERT_ATTEMPT_STATEMENT.add_cte(statement.cte()))
    for final, statement in _COUNT_STATEMENTS.items()
}
_FAIL_PENDING = (
    update(table_of(WebhookEvent))
    .where(table_of(WebhookEvent).c.id == bindparam("event_id"), table_of(WebhookEvent).c.state == EventState.PENDING)
    .values(state=EventState.FAILED)
)


def record(connection: Connection, attempt: Attempt) -> None:
    """Write the attempt and, once the receiver has the event (or there is nowhere to send it), its state."""
    attempted_at = utcnow()
    final = attempt.outcome in (AttemptOutcome.DELIVERED, AttemptOutcome.DUPLICATE, AttemptOutcome.SKIPPED)
    values = {
        "event_id": attempt.event_id,
        "attempted_at": attempted_at,
        "final_state": attempt.outcome,
        "attempt_event_id": attempt.event_id,
        "attempt_url": attempt.url,
        "attempt_status_code": attempt.status_code,
        "attempt_response_excerpt": attempt.response_body,
        "attempt_duration_ms": round(attempt.seconds * 1000, 2),
        "attempt_error": attempt.error,
        "attempt_outcome": attempt.outcome,
        "attempt_created_at": attempted_at,
    }
    if connection.dialect.name == "postgresql":
        _COUNT_AND_INSERT_ON_POSTGRESQL[final].execute(connection, values)
        return
    _COUNT[final].execute(connection, values)
    _INSERT_ATTEMPT.execute(connection, values)


def mark_failed(connection: Connection, event_id: str) -> None:
    """Record that a pending event will not be retried (TEST events, or retries exhausted)."""
    connection.execute(_FAIL_PENDING, {"event_id": event_id})
