"""Every task kind Railbook runs, and the worker that runs them."""

from __future__ import annotations

import httpx

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.registry import Registry, TaskContext
from railbook.jobs.runner import Worker
from railbook.kit.crypto import MasterKeys
from railbook.webhooks import tasks as webhook_tasks


def build_registry(settings: Settings) -> Registry:
    """The registry of every task kind (one line per domain)."""
    registry = Registry()
    webhook_tasks.register(registry, settings)
    return registry


def build_worker(settings: Settings, database: Database, keys: MasterKeys, http: httpx.Client) -> Worker:
    """A worker for these settings, woken whenever this process commits a job."""
    worker = Worker(
        database,
        build_registry(settings),
        TaskContext(database=database, settings=settings, keys=keys, http=http),
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.job_poll_seconds,
    )
    database.on_jobs_committed.append(worker.wake)
    return worker
