"""Jobs: a sandbox name check that started PENDING settles, unless the account was decided meanwhile."""

from __future__ import annotations

from typing import Any

from railbook.config import Settings
from railbook.external_accounts.models import AccountStatus, ExternalAccount
from railbook.external_accounts.review import SANDBOX_PENDING_SETTLES_TO
from railbook.external_accounts.service import SETTLE_SANDBOX_CHECK_KIND, settle_name_check
from railbook.jobs.registry import Registry, TaskContext


def run_settle_sandbox_check(context: TaskContext, payload: dict[str, Any]) -> None:
    """Settle the account's PENDING check; nothing when it is deleted or no longer PENDING."""
    with context.database.transaction() as session:
        # Locked, so an operator's decision committing meanwhile is seen rather than overwritten.
        account = session.get(ExternalAccount, str(payload["externalAccountId"]), with_for_update=True)
        if account is None or account.deleted_at is not None:
            return
        if (account.status, account.verification_status) != (AccountStatus.PENDING, "PENDING"):
            return  # an operator decided meanwhile
        settle_name_check(
            session,
            account,
            SANDBOX_PENDING_SETTLES_TO,
            reason=f"sandbox name check settled: {SANDBOX_PENDING_SETTLES_TO}",
            actor="sandbox",
        )


def register(registry: Registry, settings: Settings) -> None:
    """Declare the external-account tasks."""
    registry.register(SETTLE_SANDBOX_CHECK_KIND, run_settle_sandbox_check, lease_seconds=settings.job_lease_seconds)
