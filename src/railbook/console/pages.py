"""What the console's pages show, read across platforms (operators act for the whole deployment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from railbook.external_accounts.models import AccountStatus, ExternalAccount
from railbook.external_accounts.service import beneficiary_name
from railbook.kit.clock import rfc3339
from railbook.plaid.models import PlaidItem
from railbook.platforms.models import Platform
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.webhooks.event_log import delivery_status, status_filter
from railbook.webhooks.models import WebhookEvent

QUEUE_PAGE = 50
WAITING = (AccountStatus.PENDING, AccountStatus.UNDER_REVIEW)


@dataclass(frozen=True)
class QueueRow:
    """One account waiting for review."""

    id: str
    created: str
    created_at: datetime
    platform: str
    mode: str
    account_type: str
    currency: str
    status: str
    verification: str | None
    beneficiary: str | None
    verified_name: str | None
    # Linked through Plaid: the beneficiary is then the holder name Plaid reported.
    via_plaid: bool


def review_queue(
    session: Session, after: tuple[datetime, str] | None
) -> tuple[list[QueueRow], tuple[datetime, str] | None]:
    """A page of the queue, oldest first (keyset on creation time and id), and where the next one starts."""
    statement = (
        select(ExternalAccount, Platform.name, PlaidItem.id.is_not(None))
        .join(Platform, Platform.id == ExternalAccount.platform_id)
        .outerjoin(PlaidItem, PlaidItem.external_account_id == ExternalAccount.id)
        .where(ExternalAccount.status.in_(WAITING), ExternalAccount.deleted_at.is_(None))
    )
    if after is not None:
        moment, last_id = after
        statement = statement.where(
            or_(
                ExternalAccount.created_at > moment,
                and_(ExternalAccount.created_at == moment, ExternalAccount.id > last_id),
            )
        )
    found = session.execute(
        statement.order_by(ExternalAccount.created_at, ExternalAccount.id).limit(QUEUE_PAGE + 1)
    ).all()
    rows = [_row(account, platform, bool(via_plaid)) for account, platform, via_plaid in found[:QUEUE_PAGE]]
    following = (rows[-1].created_at, rows[-1].id) if len(found) > QUEUE_PAGE else None
    return rows, following


def _row(account: ExternalAccount, platform: str, via_plaid: bool) -> QueueRow:
    return QueueRow(
        id=account.id,
        created=rfc3339(account.created_at),
        created_at=account.created_at,
        platform=platform,
        mode=account.mode,
        account_type=account.account_type,
        currency=account.currency,
        status=account.status,
        verification=account.verification_status,
        beneficiary=beneficiary_name(account.account_info),
        verified_name=account.verified_name,
        via_plaid=via_plaid,
    )


DELIVERY_PAGE = 100


def deliveries(session: Session, *, failed_only: bool) -> list[dict[str, Any]]:
    """The newest events of every platform (failed ones only, when asked), with their delivery state."""
    statement = select(WebhookEvent, Platform.name).join(Platform, Platform.id == WebhookEvent.platform_id)
    if failed_only:
        statement = statement.where(or_(status_filter("failed"), status_filter("skipped")))
    found = session.execute(
        statement.order_by(WebhookEvent.created_at.desc(), WebhookEvent.id.desc()).limit(DELIVERY_PAGE)
    )
    return [
        {
            "id": event.id, "created": rfc3339(event.created_at), "platform": platform, "mode": event.mode,
            "type": event.type, "resource": event.resource_key, "status": delivery_status(event),
            "attempts": event.attempt_count,
        }
        for event, platform in found.all()
    ]  # fmt: skip


def stablecoin_links(session: Session) -> list[tuple[StablecoinProviderAccount, str]]:
    """Every platform's stablecoin provider links, newest first."""
    statement = (
        select(StablecoinProviderAccount, Platform.name)
        .join(Platform, Platform.id == StablecoinProviderAccount.platform_id)
        .order_by(StablecoinProviderAccount.created_at.desc())
    )
    return [(link, platform) for link, platform in session.execute(statement).all()]


def account_events(session: Session, account_id: str) -> list[dict[str, Any]]:
    """The webhook events about an account, newest first, with their delivery state."""
    events = session.scalars(
        select(WebhookEvent).where(WebhookEvent.resource_key == account_id).order_by(WebhookEvent.created_at.desc())
    ).all()
    return [
        {
            "id": event.id,
            "created": rfc3339(event.created_at),
            "type": event.type,
            "status": delivery_status(event),
            "attempts": event.attempt_count,
        }
        for event in events
    ]
