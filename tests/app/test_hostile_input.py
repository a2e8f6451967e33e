"""Hostile input: control characters, lone surrogates and odd Idempotency-Keys are 4xx naming what failed, never 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.idempotency.models import IdempotencyRecord
from tests.support.brale import seed_request

NUL, SURROGATE = "\u0000", "\ud800"
USD = {"accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
       "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}}  # fmt: skip

# (path, body, the field the 400 must name)
BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/customers", {"customerType": "INDIVIDUAL", "fullName": f"Jo{NUL}hn"}, "fullName"),
    ("/customers", {"customerType": "INDIVIDUAL", "fullName": "John", "platformCustomerId": NUL}, "platformCustomerId"),
    ("/customers", {"customerType": "INDIVIDUAL", "fullName": f"Jo{SURROGATE}hn"}, "fullName"),
    ("/customers", {"customerType": "INDIVIDUAL", "fullName": "Tab\there"}, "fullName"),
    ("/customers", {"customerType": "INDIVIDUAL", f"full{NUL}Name": "John"}, "full\\x00Name"),
    ("/platform/external-accounts", {"currency": "USD", "accountInfo": {**USD, "accountNumber": f"1234{NUL}5678"}},
     "accountInfo.accountNumber"),
    ("/platform/external-accounts",
     {"currency": "USD", "accountInfo": {**USD, "beneficiary": {"beneficiaryType": "INDIVIDUAL",
                                                                "fullName": f"J{SURROGATE}"}}},
     "accountInfo.beneficiary.fullName"),
    ("/platform/external-accounts", {"currency": f"US{NUL}", "accountInfo": USD}, "currency"),
]  # fmt: skip


def stored(database: Database) -> tuple[int, int, int]:
    with database.reading() as session:
        counts = [session.scalar(select(func.count()).select_from(model)) for model in
                  (Customer, ExternalAccount, IdempotencyRecord)]  # fmt: skip
    return tuple(int(count or 0) for count in counts)  # type: ignore[return-value]


@pytest.mark.parametrize(("path", "body", "field"), BODIES, ids=[f"{path}:{field}" for path, _, field in BODIES])
def test_control_characters_and_lone_surrogates_in_a_body_are_named(
    api: TestClient, database: Database, path: str, body: dict[str, Any], field: str
) -> None:
    # json.dumps writes both as \u escapes, as a client would send them.
    response = api.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["details"]["errors"]] == [field]
    assert stored(database) == (0, 0, 0)


def test_a_lone_surrogate_in_a_provider_secret_is_named(api: TestClient, database: Database) -> None:
    body = {**seed_request(), "apiClientSecret": f"secret{SURROGATE}"}
    headers = {"Content-Type": "application/json", "Idempotency-Key": "surrogate"}
    response = api.post("/stablecoin-provider-accounts", content=json.dumps(body), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["details"]["errors"][0]["field"] == "apiClientSecret"
    assert SURROGATE not in response.text and "secret" not in response.json()["message"]


@pytest.mark.parametrize(
    ("url", "status"),
    [("/customers?platformCustomerId=%00", 400), ("/customers/external-accounts?currency=US%00", 400),
     ("/customers?cursor=%0A", 400), ("/customers/Customer:%00", 404),
     ("/customers/external-accounts/ExternalAccount:%01x", 404), ("/plaid/callback/link-sandbox-%00", 404)],
)  # fmt: skip
def test_control_characters_in_a_path_or_query_are_refused(api: TestClient, url: str, status: int) -> None:
    method = "POST" if "callback" in url else "GET"
    response = api.request(method, url, json={"publicToken": "public-sandbox-x"} if method == "POST" else None)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["details"]["errors"][0]["field"] in ("platformCustomerId", "currency", "cursor")


@pytest.mark.parametrize("key", [b"   ", b"caf\xc3\xa9", b"\xff\xfe", b"tab\tkey"])
def test_an_idempotency_key_must_be_printable_ascii(api: TestClient, database: Database, key: bytes) -> None:
    body = json.dumps({"customerType": "INDIVIDUAL", "fullName": "John"}).encode()
    request = api.build_request("POST", "/customers", content=body, headers={"Content-Type": "application/json"})
    request.headers["Idempotency-Key"] = key.decode("latin-1")
    response = api.send(request)
    assert response.status_code == 400, response.text
    assert response.json()["details"]["errors"][0]["field"] == "Idempotency-Key"
    assert stored(database) == (0, 0, 0)


BROKEN_URLS = [
    "http://[::1", "https://exa mple.com/hook", "https://example.com/a b", " https://example.com/hook",
    "https://example.com/hook\r\nX-Injected: 1", "https://example.com\t/hook", "https://example.com:70000/hook",
    "https://example.com:0/hook", "https://ex%00ample.com/hook", "https://ex%0aample.com/hook",
    "javascript://example.com/%0aalert(1)", "ftp://example.com/hook", "https://user:pw@example.com/hook", "https:///hook",
]  # fmt: skip


@pytest.mark.parametrize("url", BROKEN_URLS)
def test_a_broken_webhook_url_is_refused_and_not_stored(api: TestClient, url: str) -> None:
    before = api.get("/config").json().get("webhookEndpoint")
    response = api.patch("/config", json={"webhookEndpoint": url})
    assert response.status_code == 400, response.text
    assert response.json()["details"]["errors"][0]["field"] == "webhookEndpoint"
    assert api.get("/config").json().get("webhookEndpoint") == before


@pytest.mark.parametrize(
    "url", ["javascript://example.com/%0aalert(1)", "http://example.com/logo.png", *BROKEN_URLS[:4]]
)
def test_a_logo_url_is_https_only(api: TestClient, url: str) -> None:
    response = api.patch("/config", json={"embeddedWalletConfig": {"logoUrl": url}})
    assert response.status_code == 400, response.text
    assert response.json()["details"]["errors"][0]["field"] == "embeddedWalletConfig.logoUrl"
    fine = api.patch("/config", json={"embeddedWalletConfig": {"logoUrl": "https://cdn.example.com/logo.png"}})
    assert fine.status_code == 200, fine.text


COP = {"accountType": "COP_ACCOUNT", "accountNumber": "04512345678", "bankAccountType": "SAVINGS",
       "bankName": "Bancolombia", "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Carlos Andres Gomez",
                                                  "documentType": "CC", "documentNumber": "1020304050"}}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/customers", {"customerType": "INDIVIDUAL", "fullName": "Jo", "platformCustomerId": "   "},
      "platformCustomerId"),
     ("/customers", {"customerType": "INDIVIDUAL", "fullName": "Jo", "platformCustomerId": "\u200b\u200b"},
      "platformCustomerId"),
     ("/customers", {"customerType": "INDIVIDUAL", "fullName": "\u00a0\ufeff"}, "fullName"),
     ("/platform/external-accounts", {"currency": "COP", "accountInfo": {**COP, "accountNumber": "   "}},
      "accountInfo.accountNumber"),
     ("/platform/external-accounts", {"currency": "COP", "accountInfo": {**COP, "accountNumber": "١٢٣٤٥٦٧٨٩"}},
      "accountInfo.accountNumber"),
     ("/platform/external-accounts", {"currency": "COP", "accountInfo": {**COP, "accountNumber": "\u202e12345678"}},
      "accountInfo.accountNumber"),
     ("/platform/external-accounts", {"currency": "COP", "accountInfo": {**COP, "accountNumber": "<b>1234</b>"}},
      "accountInfo.accountNumber"),
     ("/platform/external-accounts", {"currency": "COP", "accountInfo": {**COP, "accountNumber": "1' OR '1'='1"}},
      "accountInfo.accountNumber"),
     ("/platform/external-accounts", {"currency": "USD", "accountInfo": {**USD, "accountNumber": "١٢٣٤٥٦٧٨٩"}},
      "accountInfo.accountNumber")],
)  # fmt: skip
def test_values_empty_or_foreign_in_disguise_are_refused(
    api: TestClient, database: Database, path: str, body: dict[str, Any], field: str
) -> None:
    response = api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert field in [error["field"] for error in response.json()["details"]["errors"]]
    assert stored(database) == (0, 0, 0)


def test_an_account_number_as_printed_is_compacted(api: TestClient) -> None:
    created = api.post("/platform/external-accounts", json={"currency": "COP", "accountInfo": {**COP,
                       "accountNumber": "045 1234-5678"}})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["accountInfo"]["accountNumber"] == "04512345678"
