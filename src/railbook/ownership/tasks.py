"""Jobs: a finished liveness session moves its account to ACTIVE or UNVERIFIED."""

from __future__ import annotations

from typing import Any

from railbook.config import Settings
from railbook.jobs.registry import Registry, TaskContext
from railbook.ownership.service import LIVENESS_RESULT_KIND, apply_liveness


def run_liveness_result(context: TaskContext, payload: dict[str, Any]) -> None:
    """Apply the session's outcome (audit trail and webhook in the same transaction)."""
    with context.database.transaction() as session:
        apply_liveness(session, str(payload["challengeId"]))


def register(registry: Registry, settings: Settings) -> None:
    """Declare the ownership tasks."""
    registry.register(LIVENESS_RESULT_KIND, run_liveness_result, lease_seconds=settings.job_lease_seconds)
