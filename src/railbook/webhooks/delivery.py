"""Deliver one stored event: sign the exact body, POST it, record the attempt."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, insert, select, update

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys, sign
from railbook.platforms.models import PlatformEnvironment
from railbook.webhooks.models import WebhookAttempt, WebhookEvent

SIGNATURE_HEADER = "X-Grid-Signature"
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt did."""

    outcome: str  # delivered | duplicate | failed | skipped | done-before
    event_type: str
    url: str | None = None
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """True when the receiver has not got the event."""
        return self.outcome == "failed"


def non_public_address(url: str) -> str | None:
    """Why a production delivery to `url` is refused (a loopback or private address), or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return f"cannot resolve {host}: {exc.strerror}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"refusing to deliver to non-public address {address}"
    return None


def deliver(database: Database, keys: MasterKeys, http: httpx.Client, settings: Settings, event_id: str) -> Attempt:
    """Try to deliver `event_id` once; safe to run twice (a delivered event is not sent again)."""
    with database.reading() as session:
        # One query for the event and its platform environment, as plain columns (not ORM objects).
        event = session.execute(
            select(
                WebhookEvent.id,
                WebhookEvent.mode,
                WebhookEvent.type,
                WebhookEvent.body,
                WebhookEvent.state,
                PlatformEnvironment.id.label("environment_id"),
                PlatformEnvironment.webhook_endpoint,
                PlatformEnvironment.signing_key,
            )
            .outerjoin(
                PlatformEnvironment,
                and_(
                    PlatformEnvironment.platform_id == WebhookEvent.platform_id,
                    PlatformEnvironment.mode == WebhookEvent.mode,
                ),
            )
            .where(WebhookEvent.id == event_id)
        ).one_or_none()
    if event is None:
        return Attempt("skipped", "", error=f"no event {event_id}")
    if event.state in ("delivered", "duplicate"):
        return Attempt("done-before", event.type)
    url = event.webhook_endpoint
    if event.environment_id is None or not url:
        return _record(database, event_id, Attempt("skipped", event.type, error="no webhook endpoint configured"))
    if event.mode == Mode.PRODUCTION.value and not settings.webhook_allow_private:
        refusal = non_public_address(url)
        if refusal:
            return _record(database, event_id, Attempt("failed", event.type, url=url, error=refusal))
    body = event.body.encode()
    private_key = keys.decrypt(event.signing_key, event.environment_id.encode())
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(private_key, body)}
    started = time.perf_counter()
    try:
        response = http.post(url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds)
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        attempt = Attempt("failed", event.type, url=url, error=reason)
        return _record(database, event_id, attempt, time.perf_counter() - started)
    excerpt = response.content[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    if response.is_success:
        outcome = "delivered"
    elif response.status_code == 409:
        outcome = "duplicate"  # The receiver already has this id: nothing left to do.
    else:
        outcome = "failed"
    error = None if outcome != "failed" else f"receiver answered {response.status_code}"
    attempt = Attempt(outcome, event.type, url, response.status_code, excerpt, error)
    return _record(database, event_id, attempt, time.perf_counter() - started)


def _record(database: Database, event_id: str, attempt: Attempt, seconds: float = 0.0) -> Attempt:
    with database.transaction() as session:
        session.execute(
            insert(WebhookAttempt).values(
                event_id=event_id,
                url=attempt.url,
                status_code=attempt.status_code,
                response_excerpt=attempt.response_body,
                duration_ms=round(seconds * 1000, 2),
                error=attempt.error,
                outcome=attempt.outcome,
                created_at=utcnow(),
            )
        )
        if attempt.outcome in ("delivered", "duplicate", "skipped"):
            session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.id == event_id)
                .values(state=attempt.outcome)
                .execution_options(synchronize_session=False)
            )
    return attempt


def mark_failed(database: Database, event_id: str) -> None:
    """Record that an event will not be retried (TEST events, or retries exhausted)."""
    with database.transaction() as session:
        stored = session.get(WebhookEvent, event_id)
        if stored is not None and stored.state == "pending":
            stored.state = "failed"
