"""Tables: external accounts and their status audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, JSONDocument, UTCDateTime

AuditSeq = BigInteger().with_variant(Integer(), "sqlite")


class AccountStatus(StrEnum):
    """An external account's status, as the contract names it."""

    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    INACTIVE = "INACTIVE"
    # A FIRST_PARTY self-custody wallet whose ownership is still to be proven (challenge, verify).
    PENDING_OWNERSHIP_VERIFICATION = "PENDING_OWNERSHIP_VERIFICATION"
    # The latest ownership proof failed; a later successful one makes the account ACTIVE.
    UNVERIFIED = "UNVERIFIED"


class ExternalAccount(Base):
    """A destination for money. `account_info` holds the normalised (current generation) accountInfo."""

    __tablename__ = "external_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    mode: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), default=None)
    # customer_id, or "platform": one non-null owner so uniqueness works the same on both databases.
    owner_key: Mapped[str] = mapped_column(String(64))
    account_type: Mapped[str] = mapped_column(String(32))
    # The accountType the client used when it belongs to the older generation (answered in kind).
    legacy_type: Mapped[str | None] = mapped_column(String(32), default=None)
    currency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(32))  # an AccountStatus
    platform_account_id: Mapped[str | None] = mapped_column(String(255), default=None)
    ownership_type: Mapped[str | None] = mapped_column(String(16), default=None)
    crypto_network: Mapped[str | None] = mapped_column(String(32), default=None)
    # True, or NULL (not False), so a unique index allows one default per customer.
    is_default: Mapped[bool | None] = mapped_column(Boolean, default=None)
    verification_status: Mapped[str | None] = mapped_column(String(32), default=None)
    verified_name: Mapped[str | None] = mapped_column(String(255), default=None)
    primary_identifier: Mapped[str] = mapped_column(String(512))
    account_info: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_external_accounts_scope_created", "platform_id", "mode", "owner_key", "created_at", "id"),
        Index("ix_external_accounts_customer_created", "customer_id", "created_at", "id"),
        # A whole side's list in creation order, stopping at a page (its totalCount is kept in AccountCount).
        Index("ix_external_accounts_platform_created", "platform_id", "mode", "created_at", "id"),
        # The operators' review queue (PENDING / UNDER_REVIEW, oldest first) across every platform.
        Index("ix_external_accounts_status_created", "status", "created_at", "id"),
        Index(
            "uq_external_accounts_default",
            "customer_id",
            unique=True,
            sqlite_where=text("is_default AND deleted_at IS NULL"),
            postgresql_where=text("is_default AND deleted_at IS NULL"),
        ),
        Index(
            "uq_external_accounts_live_destination",
            "platform_id",
            "mode",
            "owner_key",
            "account_type",
            "primary_identifier",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )


@dataclass(slots=True)
class NewAccount:
    """An account's row as plain values (a create's insert, a read's result): rendered as an ExternalAccount is.

    Building the instrumented object only to read its attributes back cost a sixth of a create's
    database-side CPU (docs/decisions.md, Performance). Not frozen: a frozen dataclass sets each of
    its twenty fields through `object.__setattr__`, ten times the cost of building it (1.4 µs against
    0.14 µs), paid twenty times per list page.
    """

    id: str
    platform_id: str
    mode: str
    customer_id: str | None
    owner_key: str
    account_type: str
    legacy_type: str | None
    currency: str
    status: str
    platform_account_id: str | None
    ownership_type: str | None
    crypto_network: str | None
    is_default: bool | None
    verification_status: str | None
    verified_name: str | None
    primary_identifier: str
    account_info: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class StatusChange(Base):
    """Audit trail: every status change of an external account, who made it and why."""

    __tablename__ = "external_account_status_changes"

    seq: Mapped[int] = mapped_column(AuditSeq, primary_key=True, autoincrement=True)
    external_account_id: Mapped[str] = mapped_column(ForeignKey("external_accounts.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountCount(Base):
    """Live accounts per platform, mode, side and currency: a list's exact totalCount without counting rows.

    Changed in the transaction of every insert and soft delete (`repository.count_change`), spread
    over shards so that concurrent creates of one platform on PostgreSQL do not queue on one row.
    """

    __tablename__ = "external_account_counts"

    platform_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "customer" or "platform": the two lists.
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    currency: Mapped[str] = mapped_column(String(10), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    live: Mapped[int] = mapped_column(AuditSeq)
