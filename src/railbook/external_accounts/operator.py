"""Operator decisions on an account's review, each recorded in the audit trail and sent as a webhook."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from railbook.external_accounts.models import AccountStatus, ExternalAccount, StatusChange
from railbook.external_accounts.service import change_status


class Decision(StrEnum):
    """What an operator can decide."""

    APPROVE = "approve"
    REJECT = "reject"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"


# decision -> (statuses it applies to, resulting status)
_REVIEWED = frozenset({AccountStatus.PENDING, AccountStatus.UNDER_REVIEW})
TRANSITIONS: dict[Decision, tuple[frozenset[str], str]] = {
    Decision.APPROVE: (_REVIEWED, AccountStatus.ACTIVE),
    Decision.REJECT: (_REVIEWED, AccountStatus.INACTIVE),
    # Not a wallet awaiting its ownership proof: reactivating it would make it ACTIVE unproven.
    Decision.DEACTIVATE: (_REVIEWED | {AccountStatus.ACTIVE}, AccountStatus.INACTIVE),
    Decision.REACTIVATE: (frozenset({AccountStatus.INACTIVE}), AccountStatus.ACTIVE),
}


class DecisionRefused(ValueError):
    """The decision does not apply to the account as it is."""


def decide(session: Session, account_id: str, decision: Decision, *, reason: str, actor: str) -> ExternalAccount:
    """Apply an operator decision to a live account (any platform: operators act across tenants)."""
    account = session.scalar(
        select(ExternalAccount).where(ExternalAccount.id == account_id, ExternalAccount.deleted_at.is_(None))
    )
    if account is None:
        raise DecisionRefused(f"no live external account {account_id}")
    allowed_from, to_status = TRANSITIONS[decision]
    if account.status not in allowed_from:
        raise DecisionRefused(f"cannot {decision.value} an account that is {account.status}")
    change_status(session, account, to_status, reason=reason, actor=actor)
    return account


def history(session: Session, account_id: str) -> list[StatusChange]:
    """The account's status changes, oldest first."""
    return list(
        session.scalars(
            select(StatusChange).where(StatusChange.external_account_id == account_id).order_by(StatusChange.seq)
        )
    )
