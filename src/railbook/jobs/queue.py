"""enqueue(): write a job in the caller's transaction, and wake workers once it commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from railbook.db import JOBS_ENQUEUED
from railbook.jobs.models import Job
from railbook.kit.clock import utcnow

NOTIFY_CHANNEL = "railbook_jobs"


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    ordering_key: str | None = None,
    concurrency_key: str | None = None,
    run_at: datetime | None = None,
    delay_seconds: float = 0.0,
) -> Job:
    """Add a job to the caller's transaction: it exists if and only if the caller commits."""
    now = utcnow()
    job = Job(
        kind=kind,
        payload=payload,
        status="queued",
        attempts=0,
        run_at=run_at or now + timedelta(seconds=delay_seconds),
        ordering_key=ordering_key,
        concurrency_key=concurrency_key,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    session.info[JOBS_ENQUEUED] = True
    if session.get_bind().dialect.name == "postgresql":
        # NOTIFY is delivered at commit and dropped on rollback: exactly the wake-up we want.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return job
