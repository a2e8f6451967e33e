"""Customer queries, always scoped to the caller's (platform, mode)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from railbook.customers.models import Customer
from railbook.kit.driver_sql import DriverStatement
from railbook.principal import Principal


def scoped(principal: Principal) -> Select[Customer]:
    """Customers the principal may see, deleted ones included."""
    return select(Customer).where(Customer.platform_id == principal.platform_id, Customer.mode == principal.mode)


def get(session: Session, principal: Principal, customer_id: str) -> Customer | None:
    """The customer with this id in the caller's scope, deleted or not."""
    return session.scalar(scoped(principal).where(Customer.id == customer_id))


def get_live(session: Session, principal: Principal, customer_id: str, *, lock: bool = False) -> Customer | None:
    """The customer with this id in the caller's scope, unless deleted (row-locked when `lock`)."""
    statement = scoped(principal).where(Customer.id == customer_id, Customer.deleted_at.is_(None))
    return session.scalar(statement.with_for_update() if lock else statement)


# Built once with parameters and run on the driver: the create path runs it on every request
# (docs/decisions.md, Performance). Keyed by how the row is locked.
_LIVE_ID_QUERY = select(Customer.id).where(
    Customer.id == bindparam("customer_id"),
    Customer.platform_id == bindparam("platform_id"),
    Customer.mode == bindparam("mode"),
    Customer.deleted_at.is_(None),
)
RowLock = Literal["share", "update"]
_LIVE_ID: dict[RowLock | None, DriverStatement] = {
    None: DriverStatement(_LIVE_ID_QUERY),
    "share": DriverStatement(_LIVE_ID_QUERY.with_for_update(read=True)),
    "update": DriverStatement(_LIVE_ID_QUERY.with_for_update()),
}


def is_live(connection: Connection, principal: Principal, customer_id: str, *, lock: RowLock | None = None) -> bool:
    """Whether the customer exists in the caller's scope and is not deleted (row-locked FOR SHARE/UPDATE)."""
    parameters = {**principal.scope_parameters(), "customer_id": customer_id}
    return _LIVE_ID[lock].scalar(connection, parameters) is not None


def live_with(session: Session, principal: Principal, *, platform_customer_id: str | None = None,
              uma_address: str | None = None) -> Customer | None:  # fmt: skip
    """A live customer already holding this platformCustomerId or umaAddress."""
    statement = scoped(principal).where(Customer.deleted_at.is_(None))
    if platform_customer_id is not None:
        statement = statement.where(Customer.platform_customer_id == platform_customer_id)
    if uma_address is not None:
        statement = statement.where(Customer.uma_address == uma_address)
    return session.scalar(statement.limit(1))


@dataclass(frozen=True)
class CustomerFilters:
    """The list filters of `GET /customers`."""

    platform_customer_id: str | None = None
    customer_type: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    region: str | None = None
    currency: str | None = None
    uma_address: str | None = None
    is_including_deleted: bool = False


def filtered(principal: Principal, filters: CustomerFilters) -> Select[Customer]:
    """The list query for these filters (AND-combined, bounds inclusive)."""
    statement = scoped(principal)
    if not filters.is_including_deleted:
        statement = statement.where(Customer.deleted_at.is_(None))
    if filters.platform_customer_id is not None:
        statement = statement.where(Customer.platform_customer_id == filters.platform_customer_id)
    if filters.customer_type is not None:
        statement = statement.where(Customer.customer_type == filters.customer_type)
    if filters.created_after is not None:
        statement = statement.where(Customer.created_at >= filters.created_after)
    if filters.created_before is not None:
        statement = statement.where(Customer.created_at <= filters.created_before)
    if filters.updated_after is not None:
        statement = statement.where(Customer.updated_at >= filters.updated_after)
    if filters.updated_before is not None:
        statement = statement.where(Customer.updated_at <= filters.updated_before)
    if filters.region is not None:
        statement = statement.where(Customer.region == filters.region)
    if filters.currency is not None:
        statement = statement.where(Customer.currencies.contains(f",{filters.currency},", autoescape=True))
    if filters.uma_address is not None:
        statement = statement.where(Customer.uma_address == filters.uma_address)
    return statement
