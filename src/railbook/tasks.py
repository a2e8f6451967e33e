"""Every task kind Railbook runs, and the worker that runs them."""

from __future__ import annotations

from collections.abc import Mapping

import railbook.tables  # noqa: F401 - every table, for foreign keys that span domains
from railbook.config import Settings
from railbook.db import Database
from railbook.external_accounts import tasks as external_account_tasks
from railbook.idempotency import tasks as idempotency_tasks
from railbook.jobs.registry import Registry, TaskContext
from railbook.jobs.runner import Worker
from railbook.kit.crypto import MasterKeys
from railbook.ownership import tasks as ownership_tasks
from railbook.plaid import tasks as plaid_tasks
from railbook.providers.http import Sender
from railbook.providers.issuer_api import IssuerClient
from railbook.providers.issuers import build_issuer_clients
from railbook.providers.plaid import PlaidApi
from railbook.providers.plaid import build as build_plaid
from railbook.stablecoin_links import tasks as stablecoin_link_tasks
from railbook.webhooks import tasks as webhook_tasks


def build_registry(settings: Settings) -> Registry:
    """The registry of every task kind (one line per domain)."""
    registry = Registry()
    webhook_tasks.register(registry, settings)
    external_account_tasks.register(registry, settings)
    plaid_tasks.register(registry, settings)
    stablecoin_link_tasks.register(registry, settings)
    idempotency_tasks.register(registry, settings)
    ownership_tasks.register(registry, settings)
    return registry


def build_worker(
    settings: Settings,
    database: Database,
    keys: MasterKeys,
    sender: Sender,
    plaid: PlaidApi | None = None,
    issuers: Mapping[str, IssuerClient] | None = None,
    registry: Registry | None = None,
) -> Worker:
    """A worker for these settings, woken whenever this process commits a job."""
    context = TaskContext(
        database=database,
        settings=settings,
        keys=keys,
        sender=sender,
        plaid=plaid or build_plaid(settings),
        issuers=issuers if issuers is not None else build_issuer_clients(settings),
    )
    worker = Worker(
        database,
        registry or build_registry(settings),
        context,
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.job_poll_seconds,
    )
    database.on_jobs_committed.append(worker.wake)
    return worker
