"""Operator review: decisions change status, are audited, and emit EXTERNAL_ACCOUNT.STATUS_UPDATED."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook.db import Database
from railbook.external_accounts.review import compare_names, normalise_name
from railbook.webhooks.models import WebhookEvent
from tests.conftest import TEST_SECRET_KEYS
from tests.support.cli_runner import railbook
from tests.support.spec import assert_schema, conform


def run(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAILBOOK_DATABASE_URL": database_url, "RAILBOOK_SECRET_KEYS": TEST_SECRET_KEYS,
           "RAILBOOK_DATA_DIR": str(tmp_path)}  # fmt: skip
    return railbook(env, *args)


def under_review(api: TestClient) -> str:
    payload = {"currency": "USD", "accountInfo": {
        "accountType": "USD_ACCOUNT", "accountNumber": "555000102", "routingNumber": "011401533",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}}  # fmt: skip
    body = conform(api.post("/customers/external-accounts", json=payload))
    assert body["status"] == "UNDER_REVIEW"
    account_id: str = body["id"]
    return account_id


def status_events(database: Database) -> list[dict[str, object]]:
    with database.reading() as session:
        bodies = session.scalars(
            select(WebhookEvent.body)
            .where(WebhookEvent.type == "EXTERNAL_ACCOUNT.STATUS_UPDATED")
            .order_by(WebhookEvent.created_at)
        ).all()
    return [orjson.loads(body) for body in bodies]


@pytest.mark.subprocess
def test_decisions_change_status_audit_and_notify(
    api: TestClient, database: Database, database_url: str, tmp_path: Path
) -> None:
    account_id = under_review(api)
    assert status_events(database) == []  # creation itself is not a status change
    approved = run(database_url, tmp_path, "accounts", "review", account_id, "--approve", "--reason", "documents ok")
    assert approved.returncode == 0, approved.stderr
    assert api.get(f"/platform/external-accounts/{account_id}").json()["status"] == "ACTIVE"
    deactivated = run(database_url, tmp_path, "accounts", "review", account_id, "--deactivate", "--reason", "fraud")
    assert deactivated.returncode == 0, deactivated.stderr
    reactivated = run(database_url, tmp_path, "accounts", "review", account_id, "--reactivate", "--reason", "cleared")
    assert reactivated.returncode == 0, reactivated.stderr
    events = status_events(database)
    assert [event["data"]["status"] for event in events] == ["ACTIVE", "INACTIVE", "ACTIVE"]  # type: ignore[index]
    for event in events:
        assert_schema(event, "ExternalAccountStatusWebhook")
        assert event["data"]["id"] == account_id  # type: ignore[index]
    audit = run(database_url, tmp_path, "accounts", "audit", account_id)
    lines = [line.split("\t") for line in audit.stdout.strip().splitlines()]
    assert [(line[1], line[2], line[4]) for line in lines] == [
        ("-", "UNDER_REVIEW", "created"),
        ("UNDER_REVIEW", "ACTIVE", "documents ok"),
        ("ACTIVE", "INACTIVE", "fraud"),
        ("INACTIVE", "ACTIVE", "cleared"),
    ]
    assert all(line[3].startswith("operator:") for line in lines[1:])


@pytest.mark.subprocess
def test_decisions_that_do_not_apply_are_refused(
    api: TestClient, database: Database, database_url: str, tmp_path: Path
) -> None:
    account_id = under_review(api)
    refused = run(database_url, tmp_path, "accounts", "review", account_id, "--reactivate", "--reason", "x")
    assert refused.returncode != 0 and "UNDER_REVIEW" in refused.stderr
    both = run(database_url, tmp_path, "accounts", "review", account_id, "--approve", "--reject", "--reason", "x")
    assert both.returncode != 0
    unknown = run(database_url, tmp_path, "accounts", "review", "ExternalAccount:nope", "--approve", "--reason", "x")
    assert unknown.returncode != 0
    assert api.get(f"/platform/external-accounts/{account_id}").json()["status"] == "UNDER_REVIEW"
    assert status_events(database) == []


@pytest.mark.parametrize(
    ("expected", "actual", "outcome"),
    [
        ("Alberta Bobbeth Charleson", "alberta bobbeth charleson", "MATCHED"),
        ("José Álvarez", "Jose Alvarez", "MATCHED"),
        ("Doe, John", "John Doe", "MATCHED"),
        ("Alberta Charleson", "Alberta Bobbeth Charleson", "PARTIAL_MATCH"),
        ("John Doe", "Jane Roe", "NOT_MATCHED"),
        ("", "John Doe", "NOT_MATCHED"),
    ],
)
def test_name_comparison(expected: str, actual: str, outcome: str) -> None:
    assert compare_names(expected, actual) == outcome


def test_name_normalisation() -> None:
    assert normalise_name("  O'Brien-Smith, Ángela ") == "angela brien o smith"
