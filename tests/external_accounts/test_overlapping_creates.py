"""Creates that overlap: one commit group, a customer deletion, the default flag taken at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from railbook.db import Database
from tests.external_accounts.test_external_accounts import create, usd
from tests.support.spec import assert_error


@pytest.fixture
def customer(api: TestClient) -> str:
    response = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "John Doe"})
    customer_id: str = response.json()["id"]
    return customer_id


def test_a_create_waits_for_a_customer_deletion_and_then_refuses(
    api: TestClient, customer: str, database: Database
) -> None:
    """The create's insert locks the customer's row: a deletion holding it first decides the answer."""
    if database.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: a create cannot overlap a deletion")
    answers: list[Any] = []
    with database.engine.connect() as deletion:
        deletion.execute(text("SELECT id FROM customers WHERE id = :id FOR UPDATE"), {"id": customer})
        creating = threading.Thread(
            target=lambda: answers.append(api.post("/customers/external-accounts", json=usd(customerId=customer)))
        )
        creating.start()
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 10

        def waiting_now() -> int:
            # A fresh transaction each time: pg_stat_activity keeps one snapshot per transaction.
            with database.engine.connect() as observer:
                return int(observer.scalar(waiting) or 0)

        while not waiting_now() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert waiting_now() == 1, "the create did not wait for the customer's row"
        assert not answers
        deletion.execute(text("UPDATE customers SET deleted_at = now() WHERE id = :id"), {"id": customer})
        deletion.commit()
    creating.join(timeout=10)
    assert assert_error(answers[0], 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "customerId"
    with database.engine.connect() as connection:
        stored = text("SELECT count(*) FROM external_accounts WHERE customer_id = :id")
        assert connection.scalar(stored, {"id": customer}) == 0


def test_creates_committed_together_each_get_their_own_answer(
    api: TestClient, customer: str, database: Database
) -> None:
    taken = create(api, usd("30000000001", customerId=customer))
    requests = {
        "fresh": usd("30000000002", customerId=customer),
        "taken": usd("30000000001", customerId=customer),
        "no-customer": usd("30000000003", customerId="Customer:missing"),
        "also-fresh": usd("30000000004", customerId=customer),
        "same-as-fresh": usd("30000000002", customerId=customer),
    }
    release = threading.Event()
    holders: list[threading.Thread] = []
    # Hold every commit turn (PostgreSQL has several), one after the other so that each holder has
    # a turn of its own, and every create below queues up to commit in one group.
    for _ in range(database.grouped._turns):
        holding = threading.Event()

        def hold(_: Any, holding: threading.Event = holding) -> None:
            holding.set()
            assert release.wait(timeout=10)

        holders.append(threading.Thread(target=database.grouped.run, args=(hold,)))
        holders[-1].start()
        assert holding.wait(timeout=10)
    answers: dict[str, Any] = {}

    def post(name: str) -> None:
        answers[name] = api.post("/customers/external-accounts", json=requests[name])

    threads = [threading.Thread(target=post, args=(name,)) for name in requests]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(database.grouped._queue) < len(requests) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in [*holders, *threads]:
        thread.join(timeout=20)
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses["taken"] == 409 and statuses["no-customer"] == 400
    assert statuses["also-fresh"] == 201
    # Two creates of one destination in one group: exactly one wins.
    assert sorted([statuses["fresh"], statuses["same-as-fresh"]]) == [201, 409]
    assert assert_error(answers["taken"], 409, "CONFLICT")["details"]["existingId"] == taken["id"]
    stored = api.get("/customers/external-accounts", params={"customerId": customer}).json()["data"]
    numbers = sorted(item["accountInfo"]["accountNumber"] for item in stored)
    assert numbers == ["30000000001", "30000000002", "30000000004"]


def test_concurrent_defaults_leave_exactly_one(api: TestClient, customer: str) -> None:
    results: list[int] = []

    def make(n: int) -> None:
        response = api.post(
            "/customers/external-accounts",
            json=usd(f"2000000{n:02d}", customerId=customer, defaultUmaDepositAccount=True),
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=make, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 8
    defaults = [
        item
        for item in api.get("/customers/external-accounts", params={"limit": 100}).json()["data"]
        if item["defaultUmaDepositAccount"]
    ]
    assert len(defaults) == 1
