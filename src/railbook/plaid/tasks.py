"""Jobs: check the linked account's holder with /identity/get; remove the Item when the account goes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.external_accounts.models import AccountStatus, ExternalAccount
from railbook.external_accounts.review import STATUS_FOR_VERIFICATION, compare_names
from railbook.external_accounts.service import DELETED_KIND, change_status
from railbook.jobs.registry import Registry, RetryLater, RetryPolicy, TaskContext
from railbook.kit.clock import utcnow
from railbook.kit.countries import ALPHA_2
from railbook.plaid.models import LinkSession, PlaidItem
from railbook.plaid.service import REMOVE_KIND, VERIFY_KIND, customer_name
from railbook.providers.plaid.client import (
    PlaidInvalidToken,
    PlaidItemLoginRequired,
    PlaidRateLimited,
    PlaidUnavailable,
)
from railbook.providers.plaid.results import AccountOwner

SWEEP_KIND = "plaid.sweep_abandoned_items"
# Link tokens live four hours; an abandoned Item waits at most this much longer to be removed at Plaid.
SWEEP_EVERY_SECONDS = 900.0


def _access_token(context: TaskContext, item: PlaidItem) -> str:
    return context.keys.decrypt(item.access_token, item.id.encode()).decode()


def run_verify(context: TaskContext, payload: dict[str, Any]) -> None:
    """Fetch the holder's identity, compare names, and move the account out of PENDING (once)."""
    account_id = str(payload["externalAccountId"])
    with context.database.reading() as session:
        account = session.get(ExternalAccount, account_id)
        item = session.scalar(select(PlaidItem).where(PlaidItem.external_account_id == account_id))
        customer = session.get(Customer, account.customer_id) if account and account.customer_id else None
    if account is None or item is None or account.status != "PENDING":
        return  # already decided (a retry after a crash) or deleted
    expected = customer_name(customer) if customer else ""
    try:
        identity = context.plaid.get_identity(_access_token(context, item))
    except (PlaidRateLimited, PlaidUnavailable) as exc:
        raise RetryLater(f"Plaid: {exc}") from exc
    except (PlaidItemLoginRequired, PlaidInvalidToken) as exc:
        _decide(context, account_id, AccountStatus.INACTIVE, None, None, reason=f"Plaid item unusable: {exc}")
        return
    entry = identity.for_account(item.plaid_account_id or "")
    owner = entry.owners[0] if entry and entry.owners else None
    holder = owner.names[0] if owner and owner.names else ""
    verification = compare_names(expected, holder) if holder else "NOT_MATCHED"
    beneficiary = _beneficiary(owner, holder, business=bool(customer and customer.customer_type == "BUSINESS"))
    _decide(context, account_id, STATUS_FOR_VERIFICATION[verification], verification, holder or None,
            reason=f"holder name check: {verification}", beneficiary=beneficiary)  # fmt: skip


def _beneficiary(owner: AccountOwner | None, holder: str, *, business: bool) -> dict[str, Any] | None:
    if not holder:
        return None
    beneficiary: dict[str, Any] = (
        {"beneficiaryType": "BUSINESS", "legalName": holder} if business
        else {"beneficiaryType": "INDIVIDUAL", "fullName": holder}
    )  # fmt: skip
    address = owner.primary_address if owner else None
    if address and address.street and address.postal_code and address.country in ALPHA_2:
        mapped = {"line1": address.street, "city": address.city, "state": address.region,
                  "postalCode": address.postal_code, "country": address.country}  # fmt: skip
        beneficiary["address"] = {key: value for key, value in mapped.items() if value}
    return beneficiary


def _decide(
    context: TaskContext,
    account_id: str,
    status: str,
    verification: str | None,
    holder: str | None,
    *,
    reason: str,
    beneficiary: dict[str, Any] | None = None,
) -> None:
    with context.database.transaction() as session:
        account = session.get(ExternalAccount, account_id, with_for_update=True)
        if account is None or account.status != AccountStatus.PENDING or account.deleted_at is not None:
            return
        if beneficiary is not None:
            account.account_info = {**account.account_info, "beneficiary": beneficiary}
        if verification is not None:
            account.verification_status = verification
            account.verified_name = holder
        change_status(session, account, status, reason=reason, actor="plaid")


def run_account_deleted(context: TaskContext, payload: dict[str, Any]) -> None:
    """An external account was deleted: if Plaid linked it, tell Plaid the Item is no longer needed."""
    with context.database.reading() as session:
        item_id = session.scalar(
            select(PlaidItem.id).where(PlaidItem.external_account_id == str(payload["externalAccountId"]))
        )
    if item_id is not None:
        _remove(context, item_id)


def run_sweep(context: TaskContext, payload: dict[str, Any]) -> None:
    """Remove at Plaid the Items exchanged by callbacks that never succeeded before their link token expired."""
    abandoned = (
        select(PlaidItem.id)
        .join(LinkSession, LinkSession.link_token == PlaidItem.link_token)
        .where(
            PlaidItem.external_account_id.is_(None),
            PlaidItem.removed_at.is_(None),
            LinkSession.expires_at <= utcnow(),
        )
    )
    with context.database.reading() as session:
        item_ids = list(session.scalars(abandoned))
    for item_id in item_ids:
        _remove(context, item_id)


def run_remove(context: TaskContext, payload: dict[str, Any]) -> None:
    """Remove one Item (jobs queued by earlier versions, which named the Item)."""
    _remove(context, str(payload["plaidItemId"]))


def _remove(context: TaskContext, item_id: str) -> None:
    with context.database.reading() as session:
        item = session.get(PlaidItem, item_id)
    if item is None or item.removed_at is not None:
        return
    try:
        context.plaid.remove_item(_access_token(context, item))
    except (PlaidRateLimited, PlaidUnavailable) as exc:
        raise RetryLater(f"Plaid: {exc}") from exc
    except PlaidInvalidToken:
        pass  # already removed
    with context.database.transaction() as session:
        stored = session.get(PlaidItem, item.id)
        if stored is not None and stored.removed_at is None:
            stored.removed_at = utcnow()


def register(registry: Registry, settings: Settings) -> None:
    """Declare the Plaid tasks."""
    policy = RetryPolicy(max_attempts=20, base_seconds=settings.plaid_retry_base_seconds, max_seconds=600)
    # Each job makes one Plaid call bounded by the client timeout: the lease must outlive it.
    lease = max(settings.job_lease_seconds, settings.plaid_timeout_seconds + 1)
    registry.register(VERIFY_KIND, run_verify, retry=policy, lease_seconds=lease)
    registry.register(REMOVE_KIND, run_remove, retry=policy, lease_seconds=lease)
    registry.register(SWEEP_KIND, run_sweep, lease_seconds=lease * 10, every_seconds=SWEEP_EVERY_SECONDS)
    # Plaid learns of deletions by subscribing to the accounts' own job kind.
    registry.register(DELETED_KIND, run_account_deleted, retry=policy, lease_seconds=lease)
