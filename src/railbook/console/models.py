"""Tables: operators (password hashes, sign-in failures) and the actions they took."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, UTCDateTime

ActionSeq = BigInteger().with_variant(Integer(), "sqlite")


class Operator(Base):
    """A person who runs the deployment: signs in to the console with a password (argon2 hash only)."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    # Failed sign-ins in a row, and the last one: sign-in slows down after five.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Raised by signing out: every cookie issued before (a copied one too) stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OperatorAction(Base):
    """One thing an operator did in the console, with its target and reason (the console's audit trail)."""

    __tablename__ = "operator_actions"

    seq: Mapped[int] = mapped_column(ActionSeq, primary_key=True, autoincrement=True)
    operator_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
