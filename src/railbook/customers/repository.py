"""Customer queries, always scoped to the caller's (platform, mode)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from railbook.customers.models import Customer
from railbook.kit.driver_sql import DriverStatement
from railbook.kit.pagination import FilteredList, Page, PageWindow, like_containing
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


def live_id(lock: RowLock | None) -> Select[str]:
    """The live customer's id, row-locked FOR SHARE/UPDATE; parameters customer_id, platform_id, mode."""
    if lock is None:
        return _LIVE_ID_QUERY
    return _LIVE_ID_QUERY.with_for_update(read=lock == "share")


_LIVE_ID: dict[RowLock | None, DriverStatement] = {
    None: DriverStatement(live_id(None)),
    "share": DriverStatement(live_id("share")),
    "update": DriverStatement(live_id("update")),
}


def is_live(connection: Connection, scope: Mapping[str, str], customer_id: str, *, lock: RowLock | None = None) -> bool:
    """Whether the customer exists in the scope (`Principal.scope_parameters()`) and is not deleted (row-locked)."""
    return _LIVE_ID[lock].scalar(connection, {**scope, "customer_id": customer_id}) is not None


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


# Each filter of `GET /customers` as one condition with its value bound by name (AND-combined, bounds
# inclusive); `live` leaves deleted customers out unless `isIncludingDeleted`.
_LIST = FilteredList(
    select(Customer).where(Customer.platform_id == bindparam("platform_id"), Customer.mode == bindparam("mode")),
    Customer.created_at,
    Customer.id,
    {
        "live": Customer.deleted_at.is_(None),
        "platform_customer_id": Customer.platform_customer_id == bindparam("platform_customer_id"),
        "customer_type": Customer.customer_type == bindparam("customer_type"),
        "created_after": Customer.created_at >= bindparam("created_after"),
        "created_before": Customer.created_at <= bindparam("created_before"),
        "updated_after": Customer.updated_at >= bindparam("updated_after"),
        "updated_before": Customer.updated_at <= bindparam("updated_before"),
        "region": Customer.region == bindparam("region"),
        # `currencies` is stored as ",USD,EUR," so one currency is a delimited part of it.
        "currency": Customer.currencies.like(bindparam("currency"), escape="/"),
        "uma_address": Customer.uma_address == bindparam("uma_address"),
    },
)


def list_page(
    session: Session,
    principal: Principal,
    filters: CustomerFilters,
    window: PageWindow,
) -> Page[Customer]:
    """One newest-first page of the caller's customers matching the filters, with the count of all that match."""
    values = {name: value for name, value in vars(filters).items() if value is not None}
    del values["is_including_deleted"]  # a choice of rows, not a value to compare
    if filters.currency is not None:
        values["currency"] = like_containing(f",{filters.currency},")
    also = () if filters.is_including_deleted else ("live",)
    return _LIST.page(session, window, principal.scope_parameters(), values, also=also)
