"""Job: purge expired idempotency keys."""

from __future__ import annotations

import logging
from typing import Any

from railbook.config import Settings
from railbook.idempotency.store import purge_expired
from railbook.jobs.registry import Registry, TaskContext

PURGE_KIND = "idempotency.purge"
log = logging.getLogger("railbook.idempotency")


def run_purge(context: TaskContext, payload: dict[str, Any]) -> None:
    """Delete keys past their lifetime (a replay after that runs the request again)."""
    purged = purge_expired(context.database)
    if purged:
        log.info("expired idempotency keys purged", extra={"count": purged})


def register(registry: Registry, settings: Settings) -> None:
    """Declare the purge, run hourly (or every key lifetime, when that is shorter)."""
    registry.register(PURGE_KIND, run_purge, every_seconds=min(3600.0, settings.idempotency_ttl_seconds))
