"""Idempotency-Key on the creates that accept it (optional there): replay, conflict, expiry and purge."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.idempotency.models import IdempotencyRecord
from railbook.keys import load_master_keys
from railbook.providers.http import build_sender
from railbook.tasks import build_worker
from tests.conftest import Token
from tests.support.clients import api_client
from tests.support.spec import assert_error, conform

ALICE = {"customerType": "INDIVIDUAL", "fullName": "Alice Example", "platformCustomerId": "alice-1"}
USD_ACCOUNT = {
    "currency": "USD",
    "accountInfo": {
        "accountType": "USD_ACCOUNT",
        "accountNumber": "123456789",
        "routingNumber": "021000021",
        "bankAccountType": "CHECKING",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Alice Example"},
    },
}


def count(database: Database, model: type) -> int:
    with database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def short_lived(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app with keys that live one second."""
    configured = settings.model_copy(update={"idempotency_ttl_seconds": 1.0, "embedded_worker": False})
    with api_client(configured, database, token) as client:
        yield client


def test_customer_create_replays_with_the_same_key(api: TestClient, database: Database) -> None:
    first = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "customer-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "customer-1"})
    assert (again.status_code, again.content, again.headers["Idempotent-Replayed"]) == (201, first.content, "true")
    assert count(database, Customer) == 1

    changed = api.post(
        "/customers", json={**ALICE, "fullName": "Alice Other"}, headers={"Idempotency-Key": "customer-1"}
    )
    assert_error(changed, 409, "CONFLICT")
    assert count(database, Customer) == 1


def test_the_key_is_optional_where_the_contract_does_not_declare_it(api: TestClient, database: Database) -> None:
    assert api.post("/customers", json=ALICE).status_code == 201
    assert_error(api.post("/customers", json=ALICE), 409, "CONFLICT")  # platformCustomerId is unique anyway
    other = {**ALICE, "platformCustomerId": "alice-2"}
    assert api.post("/customers", json=other).status_code == 201
    assert count(database, Customer) == 2
    assert_error(api.post("/customers", json=ALICE, headers={"Idempotency-Key": "x" * 256}), 400, "INVALID_INPUT")


def test_client_errors_are_stored_and_replayed_too(api: TestClient, database: Database) -> None:
    bad = {"customerType": "INDIVIDUAL", "birthDate": "not a date"}
    first = api.post("/customers", json=bad, headers={"Idempotency-Key": "bad-1"})
    assert_error(first, 400, "INVALID_INPUT")
    again = api.post("/customers", json=bad, headers={"Idempotency-Key": "bad-1"})
    assert (again.status_code, again.content, again.headers["Idempotent-Replayed"]) == (400, first.content, "true")
    assert count(database, Customer) == 0


def test_the_fingerprint_ignores_key_order_and_whitespace(api: TestClient) -> None:
    first = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "order-1"})
    reordered = "{\n" + ", ".join(f'"{key}": "{value}"' for key, value in reversed(ALICE.items())) + "}"
    again = api.post(
        "/customers",
        content=reordered,
        headers={"Idempotency-Key": "order-1", "Content-Type": "application/json"},
    )
    assert (again.status_code, again.content) == (201, first.content)


def test_external_account_create_replays(api: TestClient, database: Database) -> None:
    customer = conform(api.post("/customers", json=ALICE))
    body = {**USD_ACCOUNT, "customerId": customer["id"]}
    first = api.post("/customers/external-accounts", json=body, headers={"Idempotency-Key": "account-1"})
    assert first.status_code == 201, first.text
    again = api.post("/customers/external-accounts", json=body, headers={"Idempotency-Key": "account-1"})
    assert (again.content, again.headers["Idempotent-Replayed"]) == (first.content, "true")
    assert count(database, ExternalAccount) == 1
    platform = api.post("/platform/external-accounts", json=USD_ACCOUNT, headers={"Idempotency-Key": "account-1"})
    assert_error(platform, 409, "CONFLICT")  # same key, another request (path differs)


def test_an_expired_key_is_free_again_and_purged(
    short_lived: TestClient, settings: Settings, database: Database
) -> None:
    first = short_lived.post("/customers", json=ALICE, headers={"Idempotency-Key": "expiring"})
    assert first.status_code == 201
    time.sleep(1.1)
    other = {**ALICE, "platformCustomerId": "alice-2"}
    fresh = short_lived.post("/customers", json=other, headers={"Idempotency-Key": "expiring"})
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert count(database, IdempotencyRecord) == 1

    time.sleep(1.1)
    configured = settings.model_copy(update={"idempotency_ttl_seconds": 1.0})
    with build_sender() as sender:
        worker = build_worker(configured, database, load_master_keys(configured), sender)
        worker.schedule_periodic()
        assert worker.run_once() >= 1
    assert count(database, IdempotencyRecord) == 0


def test_concurrent_twins_with_one_key_create_once_and_all_get_its_answer(api: TestClient, database: Database) -> None:
    customer = conform(api.post("/customers", json=ALICE))
    body = {**USD_ACCOUNT, "customerId": customer["id"]}

    def send(_: int) -> Response:
        return api.post("/customers/external-accounts", json=body, headers={"Idempotency-Key": "twins"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(8)))
    # The key is written in the commit of the create itself: a twin meets either nothing (and runs,
    # to be rolled back when the key turns up) or the answer, never a key "still being processed".
    refused = [answer.text for answer in answers if answer.status_code != 201]
    assert refused == []
    assert len({answer.content for answer in answers}) == 1
    assert sum("Idempotent-Replayed" not in answer.headers for answer in answers) == 1
    assert count(database, ExternalAccount) == 1
    assert count(database, IdempotencyRecord) == 1


def test_work_done_under_a_key_first_used_for_another_request_is_rolled_back(
    api: TestClient, database: Database
) -> None:
    customer = conform(api.post("/customers", json=ALICE))
    first = {**USD_ACCOUNT, "customerId": customer["id"]}
    created = api.post("/customers/external-accounts", json=first, headers={"Idempotency-Key": "reused"})
    assert created.status_code == 201
    # A valid create of another account: it runs, meets the key in its commit, and is undone.
    other_info = {**USD_ACCOUNT["accountInfo"], "accountNumber": "987654321"}
    other = {**first, "accountInfo": other_info}
    assert_error(
        api.post("/customers/external-accounts", json=other, headers={"Idempotency-Key": "reused"}), 409, "CONFLICT"
    )
    assert count(database, ExternalAccount) == 1
    listed = api.get("/customers/external-accounts", params={"customerId": customer["id"]}).json()
    assert (listed["totalCount"], [item["id"] for item in listed["data"]]) == (1, [created.json()["id"]])
    # The whole side's total comes from the kept counts: the rolled-back create changed none.
    assert api.get("/customers/external-accounts").json()["totalCount"] == 1
    # Without the key the same body creates its account: the refusal was the key's, not the body's.
    assert api.post("/customers/external-accounts", json=other).status_code == 201
    assert api.get("/customers/external-accounts").json()["totalCount"] == 2
