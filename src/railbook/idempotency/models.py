"""Table: idempotency keys and the answers stored under them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime


class KeyState(StrEnum):
    """running -> done; a running key whose lock has lapsed belongs to a process that died."""

    RUNNING = "running"
    DONE = "done"


class IdempotencyRecord(Base):
    """One key of one (platform, mode): the request it was first used for and, once known, its answer."""

    __tablename__ = "idempotency_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and the canonical JSON of the body.
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # a KeyState
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("platform_id", "mode", "key", name="uq_idempotency_keys_platform_id"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )
