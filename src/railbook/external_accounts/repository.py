"""External account queries, always scoped to the caller's (platform, mode); deleted rows are invisible."""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from railbook.external_accounts.models import ExternalAccount
from railbook.principal import Principal

PLATFORM_OWNER = "platform"


def live(principal: Principal) -> Select[ExternalAccount]:
    """Live accounts the principal may see."""
    return select(ExternalAccount).where(
        ExternalAccount.platform_id == principal.platform_id,
        ExternalAccount.mode == principal.mode.value,
        ExternalAccount.deleted_at.is_(None),
    )


def get_live(
    session: Session, principal: Principal, account_id: str, *, platform_owned: bool
) -> ExternalAccount | None:
    """A live account by id on the customer side or the platform side."""
    owner = ExternalAccount.owner_key == PLATFORM_OWNER
    statement = live(principal).where(ExternalAccount.id == account_id, owner if platform_owned else ~owner)
    return session.scalar(statement)


def find_destination(
    session: Session, principal: Principal, owner_key: str, account_type: str, identifier: str
) -> ExternalAccount | None:
    """A live account of this owner already pointing at the same destination."""
    return session.scalar(
        live(principal).where(
            ExternalAccount.owner_key == owner_key,
            ExternalAccount.account_type == account_type,
            ExternalAccount.primary_identifier == identifier,
        )
    )


def clear_default(session: Session, customer_id: str) -> None:
    """Take the default-deposit flag away from the customer's current default."""
    session.execute(
        update(ExternalAccount)
        .where(ExternalAccount.customer_id == customer_id, ExternalAccount.is_default.is_(True))
        .values(is_default=None)
    )


def listed(
    principal: Principal, *, platform_owned: bool, customer_id: str | None, currency: str | None
) -> Select[ExternalAccount]:
    """The list query: customer accounts (optionally of one customer) or platform accounts."""
    statement = live(principal)
    if platform_owned:
        statement = statement.where(ExternalAccount.owner_key == PLATFORM_OWNER)
    elif customer_id is not None:
        statement = statement.where(ExternalAccount.owner_key == customer_id)
    else:
        statement = statement.where(ExternalAccount.owner_key != PLATFORM_OWNER)
    if currency is not None:
        statement = statement.where(ExternalAccount.currency == currency)
    return statement
