"""Table: customers, scoped to (platform, mode), soft-deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, JSONDocument, UTCDateTime


class Customer(Base):
    """A customer; the wire fields that are not filtered on live in `profile`."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    customer_type: Mapped[str] = mapped_column(String(16))
    platform_customer_id: Mapped[str] = mapped_column(String(255))
    uma_address: Mapped[str] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(2), default=None)
    # Comma-framed (",USD,USDC,") so one portable LIKE answers the `currency` filter.
    currencies: Mapped[str | None] = mapped_column(String(600), default=None)
    verification_status: Mapped[str] = mapped_column(String(16))
    profile: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Write-only government identifier (SSN/ITIN), encrypted under the master key; never rendered.
    identifier: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_customers_scope_created", "platform_id", "mode", "created_at", "id"),
        Index(
            "uq_customers_live_platform_customer_id",
            "platform_id",
            "mode",
            "platform_customer_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "uq_customers_live_uma_address",
            "platform_id",
            "mode",
            "uma_address",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )
