"""Task kinds: what runs for a job, and its retry policy, declared on one registration line."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from railbook.config import Settings
from railbook.db import Database
from railbook.kit.crypto import MasterKeys
from railbook.providers.http import Sender
from railbook.providers.issuer_api import IssuerClient
from railbook.providers.plaid.api import PlaidApi

# What a handler leaves for the worker to write on the connection that records the job's outcome:
# it commits with it, so a run costs one write transaction instead of two (docs/decisions.md, Performance).
OutcomeWrites = Callable[[Connection], None]


class RetryLater(Exception):
    """Raised by a handler to be run again later (after `delay_seconds`, when given)."""

    def __init__(self, reason: str, delay_seconds: float | None = None, *, writes: OutcomeWrites | None = None) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds
        self.writes = writes


class PermanentFailure(Exception):
    """Raised by a handler when trying again cannot help: the job is parked as dead at once."""

    def __init__(self, reason: str, *, writes: OutcomeWrites | None = None) -> None:
        super().__init__(reason)
        self.writes = writes


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by the age of the job."""

    max_attempts: int = 10
    base_seconds: float = 5.0
    max_seconds: float = 1800.0
    give_up_after: timedelta | None = None

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), jittered to 50-100 %."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        # Jitter spreads retries of jobs that failed together (say, one receiver went down).
        return float(ceiling * (0.5 + random.random() / 2))


@dataclass(frozen=True)
class TaskContext:
    """What a handler may use: the database, settings, master keys, the webhook sender and provider clients."""

    database: Database
    settings: Settings
    keys: MasterKeys
    sender: Sender
    plaid: PlaidApi
    # A client per stablecoin issuer, by the `provider` value of a link.
    issuers: Mapping[str, IssuerClient]


# A handler may return writes to commit with the job's outcome (see OutcomeWrites).
Handler = Callable[[TaskContext, dict[str, Any]], OutcomeWrites | None]
# One job made ready to run: what the handler would do, with what it reads already read.
PreparedRun = Callable[[], OutcomeWrites | None]
# Reads a whole claimed batch of a kind's jobs in one go and returns one PreparedRun per payload, in
# order: one query for four webhook events instead of four was about a tenth of a delivery's CPU
# (docs/decisions.md, Performance).
Preparer = Callable[[TaskContext, Sequence[dict[str, Any]]], Sequence[PreparedRun]]


@dataclass(frozen=True)
class TaskKind:
    """A registered kind of job."""

    name: str
    handler: Handler
    retry: RetryPolicy
    lease_seconds: float
    max_concurrent_per_key: int | None = None
    # Periodic kinds always have one job waiting: each run queues the next `every_seconds` later.
    every_seconds: float | None = None
    # Optional: prepares the jobs of one claim together (see Preparer); the handler runs otherwise.
    prepare: Preparer | None = None


class Registry:
    """The task kinds a worker can run."""

    def __init__(self) -> None:
        self._kinds: dict[str, TaskKind] = {}

    def register(
        self,
        name: str,
        handler: Handler,
        *,
        retry: RetryPolicy | None = None,
        lease_seconds: float = 60.0,
        max_concurrent_per_key: int | None = None,
        every_seconds: float | None = None,
        prepare: Preparer | None = None,
    ) -> None:
        """Declare a kind: its handler, retry policy, lease, per-key concurrency cap, period and batch preparer."""
        if name in self._kinds:
            raise ValueError(f"task kind {name} is already registered")
        self._kinds[name] = TaskKind(
            name, handler, retry or RetryPolicy(), lease_seconds, max_concurrent_per_key, every_seconds, prepare
        )

    def get(self, name: str) -> TaskKind | None:
        """The kind called `name`, if registered."""
        return self._kinds.get(name)

    def names(self) -> list[str]:
        """Every registered kind."""
        return sorted(self._kinds)

    def periodic(self) -> list[TaskKind]:
        """The kinds that run on a schedule."""
        return [kind for kind in self._kinds.values() if kind.every_seconds is not None]
