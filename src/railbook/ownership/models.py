"""Table: ownership challenges, open or settled, kept as the account's proof trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime


class ChallengeMethod(StrEnum):
    """`OwnershipVerificationMethod`."""

    WALLET_SIGNATURE = "WALLET_SIGNATURE"
    LIVENESS = "LIVENESS"


class ChallengeState(StrEnum):
    """Where a challenge stands: open until answered, replaced, or (for liveness) completed."""

    OPEN = "OPEN"
    # LIVENESS: the person finished the hosted flow; its outcome is applied by a job.
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"
    # Replaced by a challenge of another method (or after it expired).
    ABANDONED = "ABANDONED"


class OwnershipChallenge(Base):
    """One challenge of one account: what was asked, until when, and how it ended."""

    __tablename__ = "ownership_challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_account_id: Mapped[str] = mapped_column(ForeignKey("external_accounts.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # a ChallengeMethod
    state: Mapped[str] = mapped_column(String(16))  # a ChallengeState
    # WALLET_SIGNATURE: the exact text handed out, compared byte for byte with what is verified.
    message: Mapped[str | None] = mapped_column(Text, default=None)
    # LIVENESS: SHA-256 of the session token in the verification link (the token itself is never stored).
    session_digest: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    # LIVENESS: the session token sealed with the master keys, to hand the same link out again.
    session_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str] = mapped_column(String(128))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Why it ended as it did, in words for the audit trail ("signature was made by 0x...").
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    # SHA-256 of the submitted signature: the proof is identified without keeping the signature twice.
    signature_digest: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        # At most one open challenge per account: asking again returns it or replaces it.
        Index(
            "uq_ownership_challenges_open",
            "external_account_id",
            unique=True,
            sqlite_where=text("state = 'OPEN'"),
            postgresql_where=text("state = 'OPEN'"),
        ),
    )
