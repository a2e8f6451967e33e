"""Bitcoin destinations through the API with freshly built identifiers: BOLT11 invoices (they expire) and Spark."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode
from railbook.db import Database
from tests.conftest import Token, make_token
from tests.kit.test_identifiers import NODE_KEY, OTHER_KEY, make_invoice, make_spark_address
from tests.support.spec import conform


@pytest.fixture
def production(database: Database) -> Token:
    return make_token(database, "acme", Mode.PRODUCTION)


@pytest.fixture
def sandbox(database: Database) -> Token:
    return make_token(database, "acme", Mode.SANDBOX)


def post(client: TestClient, token: Token, info: dict[str, Any], currency: str = "BTC") -> Any:
    payload = {"currency": currency, "accountInfo": info}
    return client.post("/platform/external-accounts", json=payload, headers=token.headers)


def fields(response: Any) -> set[str]:
    assert response.status_code == 400, response.text
    return {error["field"] for error in response.json()["details"]["errors"]}


def lightning(invoice: str, **extra: Any) -> dict[str, Any]:
    return {"accountType": "LIGHTNING", "invoice": invoice, **extra}


def test_fresh_mainnet_invoice_is_created_active_and_deduplicated(client: TestClient, production: Token) -> None:
    invoice = make_invoice("bc")
    response = post(client, production, lightning(invoice.upper()))
    assert response.status_code == 201, response.text
    body = conform(response)
    assert body["status"] == "ACTIVE" and body["currency"] == "BTC"
    assert body["accountInfo"] == {"accountType": "LIGHTNING", "invoice": invoice}
    assert "beneficiaryVerificationStatus" not in body
    assert post(client, production, lightning(invoice)).status_code == 409


def test_invoice_longer_than_the_identifier_column_is_stored(client: TestClient, production: Token) -> None:
    invoice = make_invoice("bc", description="x" * 600)
    assert len(invoice) > 512
    response = post(client, production, lightning(invoice))
    assert response.status_code == 201, response.text
    assert post(client, production, lightning(invoice)).status_code == 409


def test_test_network_invoices_only_in_sandbox(client: TestClient, production: Token, sandbox: Token) -> None:
    for currency in ("tb", "bcrt"):
        invoice = make_invoice(currency)
        assert fields(post(client, production, lightning(invoice))) == {"accountInfo.invoice"}
        assert post(client, sandbox, lightning(invoice)).status_code == 201


def test_expired_invoice_is_refused_everywhere(client: TestClient, production: Token, sandbox: Token) -> None:
    invoice = make_invoice("bc", issued=int(time.time()) - 7200, expiry=600)
    for token in (production, sandbox):
        response = post(client, token, lightning(invoice))
        assert fields(response) == {"accountInfo.invoice"}
        assert "expired" in response.text


def test_bad_signature_is_a_check_digit_failure(client: TestClient, production: Token, sandbox: Token) -> None:
    invoice = make_invoice("bc", key=NODE_KEY, payee=OTHER_KEY)
    assert fields(post(client, production, lightning(invoice))) == {"accountInfo.invoice"}
    assert post(client, sandbox, lightning(invoice)).status_code == 201


def test_garbage_invoice_is_refused_even_in_sandbox(client: TestClient, sandbox: Token) -> None:
    assert fields(post(client, sandbox, lightning("lnbc-not an invoice"))) == {"accountInfo.invoice"}


def test_invoice_with_a_beneficiary_is_refused(client: TestClient, production: Token) -> None:
    owner = {"beneficiaryType": "INDIVIDUAL", "fullName": "Carol", "countryOfResidence": "US"}
    response = post(client, production, lightning(make_invoice("bc"), beneficiary=owner))
    assert fields(response) == {"accountInfo.beneficiary"}


def test_spark_test_networks_only_in_sandbox(client: TestClient, production: Token, sandbox: Token) -> None:
    for prefix in ("sparkt", "sparkrt", "sparks"):
        info = {"accountType": "SPARK_WALLET", "address": make_spark_address(prefix)}
        assert fields(post(client, production, info)) == {"accountInfo.address"}
        response = post(client, sandbox, info)
        assert response.status_code == 201, response.text
    mainnet = {"accountType": "SPARK_WALLET", "address": make_spark_address("spark").upper()}
    body = conform(post(client, production, mainnet))
    assert body["accountInfo"]["address"] == make_spark_address("spark")
    assert post(client, production, {**mainnet, "address": make_spark_address("spark")}).status_code == 409
