"""enqueue(): write a job in the caller's transaction, and wake workers once it commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, text
from sqlalchemy.orm import Session

from railbook.db import note_jobs_enqueued, table_of
from railbook.jobs.models import Job, JobStatus
from railbook.kit.clock import utcnow

NOTIFY_CHANNEL = "railbook_jobs"

# Compiled once; a Core statement, so a Session and a plain Connection (the group commit's) write it alike.
_INSERT_JOB = insert(table_of(Job))
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")


def enqueue(
    executor: Session | Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    ordering_key: str | None = None,
    concurrency_key: str | None = None,
    run_at: datetime | None = None,
    delay_seconds: float = 0.0,
) -> None:
    """Add a job to the caller's transaction: it exists if and only if the caller commits.

    `executor` is the caller's Session or Connection; either way, this process's worker is woken
    after the commit (`Database.transaction` and `Database.writing` see to it).
    """
    now = utcnow()
    row = {
        "kind": kind,
        "payload": payload,
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "run_at": run_at or now + timedelta(seconds=delay_seconds),
        "ordering_key": ordering_key,
        "concurrency_key": concurrency_key,
        "created_at": now,
        "updated_at": now,
    }
    executor.execute(_INSERT_JOB, row)
    note_jobs_enqueued(executor)
    dialect = executor.get_bind().dialect if isinstance(executor, Session) else executor.dialect
    if dialect.name == "postgresql":
        # NOTIFY is delivered at commit and dropped on rollback: exactly the wake-up other processes need.
        executor.execute(_NOTIFY)
