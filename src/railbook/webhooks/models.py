"""Tables: webhook endpoints with their signing keys, events, and delivery attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime

AttemptSeq = BigInteger().with_variant(Integer(), "sqlite")


class EventState(StrEnum):
    """pending -> delivered | duplicate (the receiver had it) | failed (not retried) | skipped (no endpoint)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    SKIPPED = "skipped"


class AttemptOutcome(StrEnum):
    """What one delivery attempt did."""

    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    SKIPPED = "skipped"


class WebhookEndpoint(Base):
    """Where a platform's events go in one mode, and the P-256 key pair that signs them."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    # `webhookEndpoint` of /config; None until the platform sets one.
    url: Mapped[str | None] = mapped_column(Text, default=None)
    # PKCS8 DER of the private key, encrypted under the master key (record id as AAD).
    signing_key: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("platform_id", "mode", name="uq_webhook_endpoints_platform_mode"),)


class WebhookEvent(Base):
    """One event for one (platform, mode); `body` is the exact JSON sent (and signed) on every attempt."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    resource_key: Mapped[str | None] = mapped_column(String(128), default=None)
    state: Mapped[str] = mapped_column(String(16), default=EventState.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Kept with each recorded attempt, so the events API filters by delivery without reading attempts.
    attempt_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_webhook_events_scope_created", "platform_id", "mode", "created_at"),
        Index("ix_webhook_events_scope_resource", "platform_id", "mode", "resource_key", "created_at"),
        Index("ix_webhook_events_resource_created", "resource_key", "created_at"),
    )


class WebhookAttempt(Base):
    """One delivery attempt: where it went, what came back, how long it took."""

    __tablename__ = "webhook_attempts"

    seq: Mapped[int] = mapped_column(AttemptSeq, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    outcome: Mapped[str] = mapped_column(String(16))  # an AttemptOutcome
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
