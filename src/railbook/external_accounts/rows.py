"""The one place a new external-account row is built: the API's creates, Plaid links and bench seeding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from railbook.external_accounts.models import AccountStatus, NewAccount
from railbook.external_accounts.rails.base import AccountInfo
from railbook.external_accounts.repository import PLATFORM_OWNER
from railbook.external_accounts.review import Review
from railbook.kit.clock import utcnow
from railbook.kit.ids import new_id


def new_account_row(
    *,
    platform_id: str,
    mode: str,
    customer_id: str | None,
    info: AccountInfo,
    stored: dict[str, Any],
    currency: str,
    review: Review | None,
    platform_account_id: str | None = None,
    ownership_type: str | None = None,
    crypto_network: str | None = None,
    is_default: bool = False,
    created_at: datetime | None = None,
    status: str | None = None,
) -> NewAccount:
    """Every column of a new account, from its parsed accountInfo (`stored` is `info.stored()`) and review.

    `status`, when given, overrides the review's (a wallet that must first prove its ownership).
    """
    account_type = str(stored["accountType"])
    # The type the client sent, when it belongs to the older generation (answered in kind).
    sent_type = str(info.model_dump(include={"account_type"})["account_type"])
    now = created_at or utcnow()
    return NewAccount(
        id=new_id("ExternalAccount"),
        platform_id=platform_id,
        mode=mode,
        customer_id=customer_id,
        owner_key=customer_id or PLATFORM_OWNER,
        account_type=account_type,
        legacy_type=sent_type if sent_type != account_type else None,
        currency=currency,
        status=status or (review.status if review else AccountStatus.ACTIVE),
        platform_account_id=platform_account_id,
        ownership_type=ownership_type,
        crypto_network=crypto_network,
        # True or NULL, never False: the unique index allows one default per customer.
        is_default=True if is_default else None,
        verification_status=review.verification if review else None,
        verified_name=review.verified_name if review else None,
        primary_identifier=info.primary_identifier(),
        account_info=stored,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
