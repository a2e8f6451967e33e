"""Table: stablecoin provider account links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime


class StablecoinProviderAccount(Base):
    """A platform's link to one provider account, with the credentials that reach it (encrypted)."""

    __tablename__ = "stablecoin_provider_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    provider_account_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # MasterKeys envelope of {"clientId", "clientSecret"} with this row's id as associated data;
    # erased (NULL) once the link is revoked.
    credentials: Mapped[str | None] = mapped_column(Text, default=None)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the re-verification sweep should check this link next.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One live link per provider account in a (platform, mode); a revoked one may be linked again.
        Index(
            "uq_stablecoin_provider_accounts_live",
            "platform_id",
            "mode",
            "provider",
            "provider_account_id",
            unique=True,
            sqlite_where=text("status != 'REVOKED'"),
            postgresql_where=text("status != 'REVOKED'"),
        ),
        Index("ix_stablecoin_provider_accounts_list", "platform_id", "mode", "created_at", "id"),
        Index("ix_stablecoin_provider_accounts_next_check_at", "next_check_at"),
    )
