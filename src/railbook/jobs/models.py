"""Table: jobs (the outbox)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from railbook.db import Base, JSONDocument, UTCDateTime

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
JobSeq = BigInteger().with_variant(Integer(), "sqlite")


class JobStatus(StrEnum):
    """queued -> running -> done | dead; running -> queued again on a retry or an expired lease."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    """One unit of background work; `seq` orders jobs that share an ordering key."""

    __tablename__ = "jobs"

    seq: Mapped[int] = mapped_column(JobSeq, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # Jobs with the same ordering key run one at a time, in seq order.
    ordering_key: Mapped[str | None] = mapped_column(String(255), default=None)
    # At most a per-kind number of jobs with the same concurrency key run at once.
    concurrency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_jobs_status_run_at_seq", "status", "run_at", "seq"),
        Index("ix_jobs_ordering_key", "ordering_key", "seq"),
        Index("ix_jobs_concurrency_key", "concurrency_key", "status"),
    )
