"""Tables: Plaid Link sessions and the Plaid Items behind external accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime


class LinkSession(Base):
    """One link token handed to a platform: usable once, until it expires."""

    __tablename__ = "plaid_link_sessions"

    link_token: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The external account the callback created; set means the token has been used.
    external_account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set while a callback works on this link token: a concurrent call answers 409 without calling Plaid.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PlaidItem(Base):
    """A Plaid Item: pending on its link token after the exchange, then the one behind an external account.

    The access token is kept encrypted.
    """

    __tablename__ = "plaid_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # None while pending: exchanged by a callback that has not created its account yet.
    external_account_id: Mapped[str | None] = mapped_column(ForeignKey("external_accounts.id"), unique=True)
    item_id: Mapped[str] = mapped_column(String(128))
    plaid_account_id: Mapped[str | None] = mapped_column(String(128), default=None)
    link_token: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    # SHA-256 of the public token the Item was exchanged from: a retry of the callback finds it again.
    public_token_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    # MasterKeys envelope of the access token, with this row's id as associated data.
    access_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
