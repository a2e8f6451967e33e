"""Deleting a customer deletes its external accounts with it: unlisted, 404, Plaid Items removed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.plaid.models import PlaidItem
from railbook.providers.plaid.client import PlaidClient
from railbook.providers.plaid.simulator import create_simulator
from railbook.webhooks.models import WebhookEvent
from tests.conftest import Token
from tests.support import loopback
from tests.support.clients import api_client
from tests.support.servers import serving
from tests.support.spec import assert_error, conform
from tests.support.workers import wait_until

CLIENT_ID, SECRET = "railbook-sandbox", "railbook-sandbox-secret"


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    """A Plaid simulator on its own server (a real HTTP peer)."""
    with serving(create_simulator(CLIENT_ID, SECRET)) as url:
        yield url


@pytest.fixture
def live(settings: Settings, database: Database, token: Token, simulator_url: str) -> Iterator[TestClient]:
    """The app with its embedded worker, talking to the Plaid simulator."""
    loopback.post(f"{simulator_url}/_control/reset", timeout=5)
    configured = settings.model_copy(
        update={"plaid_simulator_url": simulator_url, "embedded_worker": True, "job_poll_seconds": 0.05,
                "plaid_retry_base_seconds": 0.05}
    )  # fmt: skip
    with api_client(configured, database, token) as client:
        yield client


def customer(api: TestClient, name: str = "John Doe") -> str:
    response = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": name})
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["id"]
    return customer_id


def account(api: TestClient, account_number: str, **extra: Any) -> str:
    info = {"accountType": "USD_ACCOUNT", "accountNumber": account_number, "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}  # fmt: skip
    response = api.post("/customers/external-accounts", json={"currency": "USD", "accountInfo": info, **extra})
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


def listed(api: TestClient, **params: str) -> list[str]:
    body = conform(api.get("/customers/external-accounts", params=params))
    assert body["totalCount"] == len(body["data"])
    return [item["id"] for item in body["data"]]


def test_a_deleted_customers_accounts_are_no_longer_listed_or_usable(api: TestClient, database: Database) -> None:
    leaving, staying = customer(api), customer(api)
    gone = [account(api, "12345678901", customerId=leaving, defaultUmaDepositAccount=True),
            account(api, "12345678902", customerId=leaving)]  # fmt: skip
    kept = account(api, "12345678901", customerId=staying)
    platform_owned = account(api, "12345678903")
    assert api.delete(f"/customers/{leaving}").status_code == 200
    assert listed(api) == [kept]
    assert listed(api, customerId=leaving) == []
    assert listed(api, customerId=staying) == [kept]
    for account_id in gone:
        assert_error(api.get(f"/customers/external-accounts/{account_id}"), 404, "REFERENCE_NOT_FOUND")
        assert_error(api.delete(f"/customers/external-accounts/{account_id}"), 404, "REFERENCE_NOT_FOUND")
    assert conform(api.get(f"/platform/external-accounts/{platform_owned}"))["status"] == "ACTIVE"
    # Deleted exactly as DELETE /customers/external-accounts/{id} deletes: one job each for the
    # packages that keep something of an account, and no status change (so no webhook).
    with database.reading() as session:
        jobs = session.scalars(select(Job.payload).where(Job.kind == "external_accounts.deleted")).all()
        events = session.scalars(select(WebhookEvent.type)).all()
    assert sorted(job["externalAccountId"] for job in jobs) == sorted(gone)
    assert "EXTERNAL_ACCOUNT.STATUS_UPDATED" not in events


def test_a_refused_customer_deletion_takes_no_account(api: TestClient) -> None:
    owner, other = customer(api), customer(api)
    kept = account(api, "12345678901", customerId=other)
    assert api.delete(f"/customers/{owner}").status_code == 200
    assert_error(api.delete(f"/customers/{owner}"), 410, "CUSTOMER_DELETED")
    assert_error(api.delete("/customers/Customer:nope"), 404, "USER_NOT_FOUND")
    assert listed(api) == [kept]
    # A deleted customer takes no new accounts either.
    info = {"accountType": "USD_ACCOUNT", "accountNumber": "12345678902", "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}  # fmt: skip
    refused = api.post(
        "/customers/external-accounts", json={"currency": "USD", "accountInfo": info, "customerId": owner}
    )
    assert refused.status_code in (400, 404)
    assert listed(api) == [kept]


def test_deleting_a_customer_removes_the_plaid_items_of_its_accounts(
    live: TestClient, simulator_url: str, database: Database
) -> None:
    owner = customer(live, "Alberta Bobbeth Charleson")
    linked = live.post("/plaid/link-tokens", json={"customerId": owner}).json()
    with PlaidClient("simulator", CLIENT_ID, SECRET, base_url=simulator_url) as plaid:
        public_token = plaid.create_sandbox_public_token("ins_109508")
    callback = live.post(linked["callbackUrl"], json={"publicToken": public_token})
    assert callback.status_code == 202, callback.text
    account_id = callback.json()["id"]
    assert live.delete(f"/customers/{owner}").status_code == 200
    assert_error(live.get(f"/customers/external-accounts/{account_id}"), 404, "REFERENCE_NOT_FOUND")

    def removed() -> bool:
        with database.reading() as session:
            return session.scalars(select(PlaidItem.removed_at)).one() is not None

    wait_until(removed, 15, lambda: "the Plaid Item of the deleted customer's account was not removed")
