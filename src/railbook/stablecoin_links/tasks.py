"""Jobs: a sweep that finds links due for a check, and the check itself against the provider."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from railbook.config import Settings
from railbook.jobs.models import Job, JobStatus
from railbook.jobs.queue import enqueue
from railbook.jobs.registry import Registry, RetryLater, RetryPolicy, TaskContext
from railbook.kit.clock import utcnow
from railbook.providers.issuer_api import IssuerCredentialsRejected, IssuerUnavailable
from railbook.providers.issuers import ISSUERS
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.schemas import LinkStatus
from railbook.stablecoin_links.service import open_credentials, set_status

SWEEP_KIND = "stablecoin_links.sweep"
VERIFY_KIND = "stablecoin_links.verify"
CHECKED = (LinkStatus.ACTIVE.value, LinkStatus.INVALID.value)
SWEEP_BATCH = 500
log = logging.getLogger("railbook.stablecoin_links")


def run_sweep(context: TaskContext, payload: dict[str, Any]) -> None:
    """Queue a check for every ACTIVE or INVALID link whose next check is due."""
    interval = timedelta(seconds=context.settings.stablecoin_reverify_seconds)
    while True:
        now = utcnow()
        with context.database.transaction() as session:
            due = list(
                session.scalars(
                    select(StablecoinProviderAccount)
                    .where(
                        StablecoinProviderAccount.status.in_(CHECKED),
                        StablecoinProviderAccount.next_check_at <= now,
                    )
                    .order_by(StablecoinProviderAccount.next_check_at)
                    .limit(SWEEP_BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            keys = {f"stablecoin-link:{link.id}": link for link in due}
            # A link whose previous check is still pending (retrying) gets no second one.
            pending = set(
                session.scalars(
                    select(Job.ordering_key).where(
                        Job.ordering_key.in_(keys), Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
                    )
                )
            )
            for key, link in keys.items():
                link.next_check_at = now + interval
                if key not in pending:
                    enqueue(session, VERIFY_KIND, {"linkId": link.id}, ordering_key=key)
        if len(due) < SWEEP_BATCH:
            return


def run_verify(context: TaskContext, payload: dict[str, Any]) -> None:
    """Ask the provider again: ACTIVE when the account is still reachable, INVALID or REVOKED when not."""
    link_id = str(payload["linkId"])
    with context.database.reading() as session:
        link = session.get(StablecoinProviderAccount, link_id)
    if link is None or link.status not in CHECKED:
        return
    credentials = open_credentials(context.keys, link)
    if credentials is None:
        return
    try:
        reachable = context.issuers[link.provider].list_account_ids(*credentials)
    except IssuerUnavailable as exc:
        raise RetryLater(f"{ISSUERS[link.provider].name} unavailable: {exc}", exc.retry_after) from exc
    except IssuerCredentialsRejected:
        _record(context, link_id, LinkStatus.INVALID, "the provider refused the stored credentials")
        return
    if link.provider_account_id in reachable:
        _record(context, link_id, LinkStatus.ACTIVE, "verified", verified=True)
    else:
        _record(context, link_id, LinkStatus.REVOKED, "the provider account is no longer reachable")


def _record(context: TaskContext, link_id: str, status: LinkStatus, reason: str, *, verified: bool = False) -> None:
    now = utcnow()
    with context.database.transaction() as session:
        link = session.get(StablecoinProviderAccount, link_id, with_for_update=True)
        if link is None or link.status not in CHECKED:
            return  # revoked meanwhile
        if link.status != status:
            log.info("stablecoin link status changed", extra={"link": link_id, "from": link.status, "to": status})
            set_status(link, status, reason, now)
        if verified:
            link.last_verified_at = now
            link.updated_at = now


def register(registry: Registry, settings: Settings) -> None:
    """Declare the sweep (periodic) and the per-link check."""
    every = min(settings.stablecoin_reverify_seconds, 3600.0)
    registry.register(SWEEP_KIND, run_sweep, every_seconds=every)
    lease = max(settings.job_lease_seconds, 3 * settings.brale_timeout_seconds + 1)
    policy = RetryPolicy(max_attempts=12, base_seconds=30, max_seconds=3600)
    registry.register(VERIFY_KIND, run_verify, retry=policy, lease_seconds=lease)
