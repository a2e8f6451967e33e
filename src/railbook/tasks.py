"""Every task kind Railbook runs, and the worker that runs them."""

from __future__ import annotations

import httpx

import railbook.tables  # noqa: F401 - every table, for foreign keys that span domains
from railbook.config import Settings
from railbook.db import Database
from railbook.idempotency import tasks as idempotency_tasks
from railbook.jobs.registry import Registry, TaskContext
from railbook.jobs.runner import Worker
from railbook.kit.crypto import MasterKeys
from railbook.plaid import tasks as plaid_tasks
from railbook.providers.brale.client import BraleClient
from railbook.providers.plaid.client import PlaidClient
from railbook.stablecoin_links import tasks as stablecoin_link_tasks
from railbook.webhooks import tasks as webhook_tasks


def build_registry(settings: Settings) -> Registry:
    """The registry of every task kind (one line per domain)."""
    registry = Registry()
    webhook_tasks.register(registry, settings)
    plaid_tasks.register(registry, settings)
    stablecoin_link_tasks.register(registry, settings)
    idempotency_tasks.register(registry, settings)
    return registry


def plaid_client(settings: Settings) -> PlaidClient:
    """The Plaid client: Plaid's hosts, or the simulator (mounted on this server unless told otherwise)."""
    simulator_url = None
    if settings.plaid_env == "simulator":
        simulator_url = settings.plaid_simulator_url or f"http://{settings.host}:{settings.port}/_simulators/plaid"
    return PlaidClient.from_settings(
        settings, simulator_url=simulator_url, timeout_seconds=settings.plaid_timeout_seconds
    )


def build_worker(
    settings: Settings,
    database: Database,
    keys: MasterKeys,
    sender: httpx.BaseTransport,
    plaid: PlaidClient | None = None,
    brale: BraleClient | None = None,
) -> Worker:
    """A worker for these settings, woken whenever this process commits a job."""
    context = TaskContext(
        database=database,
        settings=settings,
        keys=keys,
        sender=sender,
        plaid=plaid or plaid_client(settings),
        brale=brale or BraleClient.from_settings(settings),
    )
    worker = Worker(
        database,
        build_registry(settings),
        context,
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.job_poll_seconds,
    )
    database.on_jobs_committed.append(worker.wake)
    return worker
