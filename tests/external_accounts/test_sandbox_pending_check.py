"""Sandbox: a name check that starts PENDING (suffix 104) settles MATCHED after the configured delay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook.config import Settings
from railbook.db import Database
from railbook.external_accounts.models import StatusChange
from railbook.external_accounts.operator import Decision, decide
from railbook.jobs.models import Job, JobStatus
from railbook.webhooks.models import WebhookEvent
from tests.conftest import Token
from tests.support.clients import api_client
from tests.support.receiver import Receiver, running_receiver
from tests.support.spec import assert_error, assert_schema, conform
from tests.support.workers import wait_until

SETTLE_KIND = "external_accounts.settle_sandbox_check"


def app_with_delay(settings: Settings, database: Database, token: Token, seconds: float) -> TestClient:
    configured = settings.model_copy(
        update={"embedded_worker": True, "job_poll_seconds": 0.05, "webhook_retry_base_seconds": 0.05,
                "sandbox_pending_seconds": seconds}
    )  # fmt: skip
    client = api_client(configured, database)
    client.headers.update(token.headers)
    return client


@pytest.fixture
def quick(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app with its embedded worker; PENDING checks settle after 0.3 s."""
    with app_with_delay(settings, database, token, 0.3) as client:
        yield client


@pytest.fixture
def slow(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app with its embedded worker; PENDING checks settle after 3 s: time for a decision first, even when busy."""
    with app_with_delay(settings, database, token, 3.0) as client:
        yield client


def pending_account(api: TestClient) -> dict[str, Any]:
    info = {"accountType": "USD_ACCOUNT", "accountNumber": "555000104", "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}  # fmt: skip
    response = api.post("/customers/external-accounts", json={"currency": "USD", "accountInfo": info})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = conform(response)
    assert (body["status"], body["beneficiaryVerificationStatus"]) == ("PENDING", "PENDING")
    assert "beneficiaryVerifiedData" not in body
    return body


def settle_job(database: Database) -> Job:
    with database.reading() as session:
        job: Job = session.scalars(select(Job).where(Job.kind == SETTLE_KIND)).one()
    return job


def status_events(database: Database) -> list[str]:
    with database.reading() as session:
        query = select(WebhookEvent.body).where(WebhookEvent.type == "EXTERNAL_ACCOUNT.STATUS_UPDATED")
        return list(session.scalars(query))


def test_a_pending_check_settles_matched_and_active_with_a_webhook(
    quick: TestClient, database: Database, receiver: Receiver
) -> None:
    assert quick.patch("/config", json={"webhookEndpoint": receiver.url}).status_code == 200
    receiver.wait_for(1)  # the TEST webhook
    created = pending_account(quick)
    job = settle_job(database)
    assert abs((job.run_at - job.created_at).total_seconds() - 0.3) < 0.05

    def settled() -> bool:
        return conform(quick.get(f"/platform/external-accounts/{created['id']}"))["status"] != "PENDING"

    wait_until(settled, 15, lambda: "timed out waiting for the PENDING check to settle")
    account = conform(quick.get(f"/platform/external-accounts/{created['id']}"))
    assert (account["status"], account["beneficiaryVerificationStatus"]) == ("ACTIVE", "MATCHED")
    assert account["beneficiaryVerifiedData"] == {"fullName": "John Doe"}
    delivery = receiver.wait_for(2)[1]
    assert_schema(delivery.json, "ExternalAccountStatusWebhook")
    assert delivery.json["type"] == "EXTERNAL_ACCOUNT.STATUS_UPDATED"
    # The account as the API shows it, plus the status it left (Railbook's addition).
    assert delivery.json["data"] == {**account, "previousStatus": "PENDING"}
    with database.reading() as session:
        changes = session.scalars(select(StatusChange).order_by(StatusChange.seq)).all()
        audit = [(change.from_status, change.to_status, change.reason, change.actor) for change in changes]
    assert audit[1:] == [("PENDING", "ACTIVE", "sandbox name check settled: MATCHED", "sandbox")]


def test_an_operator_decision_made_meanwhile_stands(slow: TestClient, database: Database) -> None:
    created = pending_account(slow)
    with database.transaction() as session:
        decide(session, created["id"], Decision.REJECT, reason="looks wrong", actor="operator:test")
    wait_until(
        lambda: settle_job(database).status == JobStatus.DONE, 15, lambda: "timed out waiting for the settle job to run"
    )
    account = conform(slow.get(f"/platform/external-accounts/{created['id']}"))
    assert (account["status"], account["beneficiaryVerificationStatus"]) == ("INACTIVE", "PENDING")
    assert len(status_events(database)) == 1  # the operator's decision, nothing from the job


def test_a_deleted_account_is_left_alone(slow: TestClient, database: Database) -> None:
    created = pending_account(slow)
    assert slow.delete(f"/platform/external-accounts/{created['id']}").status_code == 204
    wait_until(
        lambda: settle_job(database).status == JobStatus.DONE, 15, lambda: "timed out waiting for the settle job to run"
    )
    assert_error(slow.get(f"/platform/external-accounts/{created['id']}"), 404, "REFERENCE_NOT_FOUND")
    assert status_events(database) == []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running
