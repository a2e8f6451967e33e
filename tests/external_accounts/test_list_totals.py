"""totalCount of the account lists is exact: kept counts for a whole side, index counts for one customer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook.db import Database
from railbook.external_accounts import repository
from railbook.external_accounts.models import AccountCount, ExternalAccount
from railbook.migrate import alembic_config, upgrade


def usd(number: str) -> dict[str, Any]:
    return {"accountType": "USD_ACCOUNT", "accountNumber": number, "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Jane Doe"}}  # fmt: skip


def eur(iban: str) -> dict[str, Any]:
    beneficiary = {"beneficiaryType": "INDIVIDUAL", "fullName": "Jane Doe", "countryOfResidence": "DE"}
    return {"accountType": "EUR_ACCOUNT", "iban": iban, "beneficiary": beneficiary}


def create(api: TestClient, currency: str, info: dict[str, Any], customer: str | None = None) -> str:
    body = {"currency": currency, "accountInfo": info, **({"customerId": customer} if customer else {})}
    path = "/customers/external-accounts" if customer else "/platform/external-accounts"
    answer = api.post(path, json=body)
    assert answer.status_code == 201, answer.text
    account_id: str = answer.json()["id"]
    return account_id


def customer(api: TestClient) -> str:
    customer_id: str = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Jane Doe"}).json()["id"]
    return customer_id


def walked(api: TestClient, path: str, **query: str) -> tuple[int, int]:
    """(totalCount of the first page, accounts seen walking every page two at a time)."""
    seen, cursor, total = 0, None, None
    while True:
        params = {**query, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get(path, params=params).json()
        total = page["totalCount"] if total is None else total
        assert page["totalCount"] == total, "the count moved between pages"
        seen += len(page["data"])
        cursor = page.get("nextCursor")
        if not page["hasMore"]:
            return total, seen


def live_rows(database: Database, **where: Any) -> int:
    with database.reading() as session:
        statement = select(func.count()).select_from(ExternalAccount).where(ExternalAccount.deleted_at.is_(None))
        for name, value in where.items():
            statement = statement.where(getattr(ExternalAccount, name) == value)
        return int(session.scalar(statement) or 0)


def test_totals_follow_creates_deletes_and_customer_deletions(api: TestClient, database: Database) -> None:
    alice, bob = customer(api), customer(api)
    doomed = create(api, "USD", usd("100000001"), alice)
    create(api, "USD", usd("100000002"), alice)
    create(api, "EUR", eur("DE89370400440532013000"), alice)
    create(api, "USD", usd("100000003"), bob)
    create(api, "USD", usd("100000004"), bob)
    create(api, "USD", usd("100000005"))
    create(api, "EUR", eur("FR1420041010050500013M02606"))
    assert api.delete(f"/customers/external-accounts/{doomed}").status_code == 204
    assert api.delete(f"/customers/{bob}").status_code == 200
    customers_side = "/customers/external-accounts"
    assert walked(api, customers_side) == (2, 2)
    assert walked(api, customers_side, currency="USD") == (1, 1)
    assert walked(api, customers_side, currency="EUR") == (1, 1)
    assert walked(api, customers_side, customerId=alice) == (2, 2)
    assert walked(api, "/platform/external-accounts") == (2, 2)
    assert walked(api, "/platform/external-accounts", currency="EUR") == (1, 1)
    assert live_rows(database) == 4


def test_concurrent_creates_are_all_counted(api: TestClient, database: Database) -> None:
    alice = customer(api)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: create(api, "USD", usd(f"2000{n:05d}"), alice), range(40)))
    assert walked(api, "/customers/external-accounts")[0] == 40 == live_rows(database)


def test_the_migration_counts_what_is_already_stored(api: TestClient, database: Database) -> None:
    alice = customer(api)
    for n in range(3):
        create(api, "USD", usd(f"3000{n:05d}"), alice)
    create(api, "USD", usd("300009999"))
    url = str(database.url)
    command.downgrade(alembic_config(url), "0013")
    upgrade(url)
    assert walked(api, "/customers/external-accounts")[0] == 3
    assert walked(api, "/platform/external-accounts")[0] == 1


def test_transactions_changing_the_same_counts_in_opposite_orders_do_not_deadlock(database: Database) -> None:
    """Count changes are written at commit, in key order: concurrent writers queue on a row, never cross."""
    if database.is_sqlite:
        pytest.skip("SQLite has one writer at a time: its transactions never interleave")
    both_changed = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def change(currencies: tuple[str, str]) -> None:
        repository._shards.shard = 0  # the same count rows for both transactions
        try:
            with database.writing() as connection:
                repository.count_changes(connection, "platform-deadlock", "SANDBOX", "customer", currencies[0], 1)
                both_changed.wait()  # each has changed one count before the other changes its second
                repository.count_changes(connection, "platform-deadlock", "SANDBOX", "customer", currencies[1], 1)
        except BaseException as exc:  # the outcome under test
            failures.append(exc)

    threads = [threading.Thread(target=change, args=(order,)) for order in (("USD", "EUR"), ("EUR", "USD"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []
    with database.reading() as session:
        counts = session.execute(
            select(AccountCount.currency, func.sum(AccountCount.live))
            .where(AccountCount.platform_id == "platform-deadlock")
            .group_by(AccountCount.currency)
        ).all()
    assert sorted(counts) == [("EUR", 2), ("USD", 2)]


def test_a_rolled_back_transaction_leaves_no_count_change_behind(database: Database) -> None:
    with pytest.raises(RuntimeError), database.writing() as connection:
        repository.count_changes(connection, "platform-rollback", "SANDBOX", "customer", "USD", 5)
        raise RuntimeError("the work failed")
    # The next transactions, on whichever pooled connection, commit only their own changes.
    for _ in range(3):
        with database.writing() as connection:
            repository.count_changes(connection, "platform-rollback", "SANDBOX", "customer", "USD", 1)
    with database.reading() as session:
        total = session.scalar(
            select(func.sum(AccountCount.live)).where(AccountCount.platform_id == "platform-rollback")
        )
    assert total == 3
