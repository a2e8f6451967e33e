"""Tables: platforms and their per-mode environments (API tokens live in `railbook.auth`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, JSONDocument, UTCDateTime


class Platform(Base):
    """A tenant: a fintech or payout app that uses Railbook."""

    __tablename__ = "platforms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlatformEnvironment(Base):
    """A platform in one mode: its /config (the webhook endpoint and its key live in `railbook.webhooks`)."""

    __tablename__ = "platform_environments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    # The other PlatformConfig fields, stored and echoed as sent.
    config: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("platform_id", "mode", name="uq_platform_environments_platform_mode"),)
