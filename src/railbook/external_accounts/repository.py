"""External account queries, always scoped to the caller's (platform, mode); deleted rows are invisible."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from dataclasses import fields
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Select, bindparam, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from railbook.customers import repository as customers
from railbook.db import before_commit, table_of
from railbook.external_accounts.models import AccountCount, ExternalAccount, NewAccount
from railbook.kit.driver_sql import DriverStatement
from railbook.kit.pagination import KeysetQuery, Page, PageWindow, Position, keyset_query, run_keyset
from railbook.principal import Principal

PLATFORM_OWNER = "platform"
_TABLE = table_of(ExternalAccount)


def _visible(platform_id: Any, mode: Any) -> tuple[ColumnElement[bool], ...]:
    """What a caller may see: live accounts of its platform and mode (values, or bound parameters)."""
    return (
        ExternalAccount.platform_id == platform_id,
        ExternalAccount.mode == mode,
        ExternalAccount.deleted_at.is_(None),
    )


# The caller's scope as parameters, for statements built once (`Principal.scope_parameters()`).
_VISIBLE = _visible(bindparam("platform_id"), bindparam("mode"))


def live(principal: Principal) -> Select[ExternalAccount]:
    """Live accounts the principal may see."""
    return select(ExternalAccount).where(*_visible(principal.platform_id, principal.mode.value))


def _live_by_id(*, platform_owned: bool) -> Select[ExternalAccount]:
    owner = ExternalAccount.owner_key == PLATFORM_OWNER
    return select(ExternalAccount).where(
        *_VISIBLE, ExternalAccount.id == bindparam("account_id"), owner if platform_owned else ~owner
    )


# Built once with parameters (GET by id runs one per request; docs/decisions.md, Performance).
_LIVE_BY_ID = {platform_owned: _live_by_id(platform_owned=platform_owned) for platform_owned in (False, True)}


def get_live(
    session: Session, principal: Principal, account_id: str, *, platform_owned: bool
) -> ExternalAccount | None:
    """A live account by id on the customer side or the platform side."""
    parameters = {**principal.scope_parameters(), "account_id": account_id}
    return session.scalar(_LIVE_BY_ID[platform_owned], parameters)


# The columns in NewAccount's field order: a row of them becomes a NewAccount by position.
_ROW_COLUMNS = [table_of(ExternalAccount).c[field.name] for field in fields(NewAccount)]
_CREATED_AT, _ID = (_ROW_COLUMNS.index(table_of(ExternalAccount).c[name]) for name in ("created_at", "id"))

# A live account by id on the driver's cursor: a GET by id needs the row's values, not an ORM object
# and a Session's bookkeeping, nor SQLAlchemy's execution and result around one statement (docs/performance.md).
_LIVE_ROW_BY_ID = {
    platform_owned: DriverStatement(
        select(*_ROW_COLUMNS).where(
            *_VISIBLE,
            ExternalAccount.id == bindparam("account_id"),
            (ExternalAccount.owner_key == PLATFORM_OWNER)
            if platform_owned
            else (ExternalAccount.owner_key != PLATFORM_OWNER),
        )
    )
    for platform_owned in (False, True)
}


def get_live_row(
    connection: Connection, principal: Principal, account_id: str, *, platform_owned: bool
) -> NewAccount | None:
    """A live account's row by id on the customer side or the platform side, as plain values."""
    parameters = {**principal.scope_parameters(), "account_id": account_id}
    rows = _LIVE_ROW_BY_ID[platform_owned].rows(connection, parameters)
    return NewAccount(*rows[0]) if rows else None


# Built once with parameters and run on the driver: every create runs it (docs/decisions.md, Performance).
_DESTINATION_ID = DriverStatement(
    select(ExternalAccount.id).where(
        *_VISIBLE,
        ExternalAccount.owner_key == bindparam("owner_key"),
        ExternalAccount.account_type == bindparam("account_type"),
        ExternalAccount.primary_identifier == bindparam("identifier"),
    )
)


def find_destination_id(connection: Connection, account: NewAccount) -> str | None:
    """The id of a live account of the same owner already pointing at `account`'s destination."""
    parameters = {
        "platform_id": account.platform_id,
        "mode": account.mode,
        "owner_key": account.owner_key,
        "account_type": account.account_type,
        "identifier": account.primary_identifier,
    }
    found: str | None = _DESTINATION_ID.scalar(connection, parameters)
    return found


_COLUMNS = tuple(column.key for column in table_of(ExternalAccount).columns)
_LIVE_DESTINATION = next(index for index in _TABLE.indexes if index.name == "uq_external_accounts_live_destination")


def _insert_new(customer_lock: customers.RowLock | None) -> DriverStatement:
    """The INSERT of a new account's row, which inserts nothing when its destination is live already.

    With a `customer_lock`, also nothing unless the account's customer is live, and that customer's
    row is locked as a separate SELECT would have: one statement instead of three (the customer
    check, the duplicate check and the insert) on every create; the rare refusal is diagnosed after.
    """
    if customer_lock is None:
        statement = pg_insert(_TABLE)
    else:
        # The customer query's parameters (customer_id, platform_id, mode) are the row's own values.
        row = select(*(bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS))
        statement = pg_insert(_TABLE).from_select(_COLUMNS, row.where(exists(customers.live_id(customer_lock))))
    # PostgreSQL's construct: SQLAlchemy renders it for SQLite too, whose ON CONFLICT reads the same.
    conflict = statement.on_conflict_do_nothing(
        index_elements=list(_LIVE_DESTINATION.columns),
        index_where=_LIVE_DESTINATION.dialect_options["postgresql"]["where"],
    )
    # Values as parameters, compiled once: `.values(...)` made SQLAlchemy build a cache key over
    # every value on every create (docs/decisions.md, Performance).
    return DriverStatement(conflict, column_keys=_COLUMNS if customer_lock is None else None)


_INSERT_NEW: dict[customers.RowLock | None, DriverStatement] = {
    None: _insert_new(None),
    "share": _insert_new("share"),
    "update": _insert_new("update"),
}


def insert_account(connection: Connection, account: NewAccount, *, customer_lock: customers.RowLock | None) -> bool:
    """INSERT the row and count it; False (nothing inserted) for a live destination or, locking, a customer gone."""
    inserted = _INSERT_NEW[customer_lock].rowcount(connection, {name: getattr(account, name) for name in _COLUMNS})
    if inserted:
        count_change(connection, account, 1)
    return inserted == 1


# Concurrent creates of one platform add to one of these rows each, not all to the same one.
COUNT_SHARDS = 8
# The same text on SQLite and PostgreSQL (both take ON CONFLICT ... DO UPDATE).
_COUNT_CHANGE = DriverStatement(
    text(
        "INSERT INTO external_account_counts (platform_id, mode, side, currency, shard, live) "
        "VALUES (:platform_id, :mode, :side, :currency, :shard, :delta) "
        "ON CONFLICT (platform_id, mode, side, currency, shard) "
        "DO UPDATE SET live = external_account_counts.live + excluded.live"
    )
)


def side(*, platform_owned: bool) -> str:
    """The name of a list's side in the kept counts: "platform" or "customer"."""
    return "platform" if platform_owned else "customer"


def side_of(owner_key: str) -> str:
    """Which list an account is on."""
    return side(platform_owned=owner_key == PLATFORM_OWNER)


def count_change(connection: Connection, account: NewAccount | ExternalAccount, delta: int) -> None:
    """Add `delta` live accounts to the account's count, in the caller's transaction (exact with the rows)."""
    count_changes(connection, account.platform_id, account.mode, side_of(account.owner_key), account.currency, delta)


def count_changes(connection: Connection, platform_id: str, mode: str, side: str, currency: str, delta: int) -> None:
    """Add `delta` to one count (bulk inserts add a batch at once), written when the transaction commits."""
    before_commit(connection, "external_account_counts", _CountChanges)[(platform_id, mode, side, currency)] += delta


class _CountChanges(Counter[tuple[str, str, str, str]]):
    """A transaction's count changes, written just before it commits."""

    def __call__(self, connection: Connection) -> None:
        """One UPSERT per changed count, in key order, on this thread's shard.

        Deferred to the commit and sorted, so two transactions that change the same counts lock their
        rows in the same order and one waits for the other instead of deadlocking; one shard per
        thread, so this process's concurrent write transactions (PostgreSQL) add to different rows.
        """
        shard = getattr(_shards, "shard", None)
        if shard is None:
            shard = _shards.shard = next(_next_shard) % COUNT_SHARDS
        for (platform_id, mode, side, currency), delta in sorted(self.items()):
            if delta:
                parameters = {"platform_id": platform_id, "mode": mode, "side": side, "currency": currency,
                              "delta": delta, "shard": shard}  # fmt: skip
                _COUNT_CHANGE.execute(connection, parameters)


_shards = threading.local()
_next_shard = itertools.count(random.randrange(COUNT_SHARDS))


_COUNTS = table_of(AccountCount)
_LIVE_COUNT = {
    of_currency: select(func.coalesce(func.sum(_COUNTS.c.live), 0)).where(
        _COUNTS.c.platform_id == bindparam("platform_id"),
        _COUNTS.c.mode == bindparam("mode"),
        _COUNTS.c.side == bindparam("side"),
        *([_COUNTS.c.currency == bindparam("currency")] if of_currency else []),
    )
    for of_currency in (False, True)
}


_CLEAR_DEFAULT = (
    update(table_of(ExternalAccount))
    .where(ExternalAccount.customer_id == bindparam("of_customer"), ExternalAccount.is_default.is_(True))
    .values(is_default=None)
)


def clear_default(connection: Connection, customer_id: str) -> None:
    """Take the default-deposit flag away from the customer's current default."""
    connection.execute(_CLEAR_DEFAULT, {"of_customer": customer_id})


def of_customer(principal: Principal, customer_id: str) -> Select[ExternalAccount]:
    """A customer's live accounts, as ORM rows (a customer's deletion soft-deletes each)."""
    return live(principal).where(ExternalAccount.owner_key == customer_id)


def _list_query(*, platform_owned: bool, of_customer: bool, of_currency: bool) -> KeysetQuery:
    statement = select(*_ROW_COLUMNS).where(*_VISIBLE)
    if platform_owned:
        statement = statement.where(ExternalAccount.owner_key == PLATFORM_OWNER)
    elif of_customer:
        statement = statement.where(ExternalAccount.owner_key == bindparam("customer_id"))
    else:
        statement = statement.where(ExternalAccount.owner_key != PLATFORM_OWNER)
    if of_currency:
        statement = statement.where(ExternalAccount.currency == bindparam("currency"))
    # One customer's accounts are counted from its index entries (a few); a whole side from the kept counts.
    count = None if of_customer else _LIVE_COUNT[of_currency]
    return keyset_query(statement, ExternalAccount.created_at, ExternalAccount.id, count=count)


# Every shape of the list, built once: (platform side, one customer, one currency).
_LISTS = {
    (platform_owned, of_customer, of_currency): _list_query(
        platform_owned=platform_owned, of_customer=of_customer, of_currency=of_currency
    )
    for platform_owned in (False, True)
    for of_customer in (False, True)
    for of_currency in (False, True)
    if not (platform_owned and of_customer)
}


def list_page(
    connection: Connection,
    principal: Principal,
    *,
    platform_owned: bool,
    customer_id: str | None,
    currency: str | None,
    window: PageWindow,
) -> Page[NewAccount]:
    """One page of the caller's live accounts, newest first, with the count of all that match."""
    of_customer = customer_id is not None and not platform_owned
    query = _LISTS[(platform_owned, of_customer, currency is not None)]
    parameters: dict[str, Any] = {**principal.scope_parameters(), "customer_id": customer_id, "currency": currency,
                                  "side": side(platform_owned=platform_owned)}  # fmt: skip
    page = run_keyset(
        connection, query, parameters, window,
        position_of=lambda row: Position(row[_CREATED_AT], row[_ID]),
    )  # fmt: skip
    return Page(
        items=[NewAccount(*cast(Any, row[:-1])) for row in page.items],  # the last column is the total
        has_more=page.has_more, next_cursor=page.next_cursor, total_count=page.total_count,
    )  # fmt: skip
