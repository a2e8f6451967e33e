"""Tables: platforms, API tokens and per-mode platform environments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, JSONDocument, UTCDateTime


class Platform(Base):
    """A tenant: a fintech or payout app that uses Railbook."""

    __tablename__ = "platforms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A credential for one platform in one mode; only a hash of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PlatformEnvironment(Base):
    """A platform in one mode: its /config, webhook endpoint and webhook signing key pair."""

    __tablename__ = "platform_environments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    webhook_endpoint: Mapped[str | None] = mapped_column(Text, default=None)
    # The other PlatformConfig fields, stored and echoed as sent.
    config: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # PKCS8 DER of the P-256 private key, encrypted under the master key (record id as AAD).
    signing_key: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("platform_id", "mode", name="uq_platform_environments_platform_mode"),)
