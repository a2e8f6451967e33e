"""Validate-only: the create's verdict over HTTP, every failing field at once, and nothing stored or emitted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode
from railbook.db import Database
from tests.app.test_hostile_table import counts
from tests.conftest import Token, make_token
from tests.kit.test_identifiers import make_invoice
from tests.support.spec import conform

CASES = Path(__file__).parents[1] / "rail_cases"
COMMERZBANK_IBAN = "DE89 3704 0044 0532 0130 00"
EUR_BODY = {
    "currency": "EUR",
    "accountInfo": {
        "accountType": "EUR_ACCOUNT",
        "iban": COMMERZBANK_IBAN,
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Anna Schmidt", "countryOfResidence": "DE"},
    },
}
VALIDATE = "/platform/external-accounts/validate"


def invalid_rows() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(CASES.glob("*.json")):
        rows += json.loads(path.read_text())["invalid"]
    return rows


def body_of(case: dict[str, Any]) -> dict[str, Any]:
    return {"currency": case["currency"], "accountInfo": case["accountInfo"], **case.get("extra", {})}


def test_a_valid_body_is_normalized_and_its_bank_derived(client: TestClient, database: Database) -> None:
    token = make_token(database, "acme", Mode.PRODUCTION)
    before = counts(database)
    verdict = conform(client.post(VALIDATE, json=EUR_BODY, headers=token.headers))
    assert verdict["valid"] is True and verdict["errors"] == [] and verdict["warnings"] == []
    # Stored compact, with the BIC the registry gives (as the create answers it).
    assert verdict["normalized"]["iban"] == "DE89370400440532013000"
    assert verdict["normalized"]["swiftCode"] == "COBADEFFXXX"
    assert verdict["normalized"]["paymentRails"] == ["SEPA", "SEPA_INSTANT"]
    assert verdict["derived"]["bank"]["name"] == "Commerzbank"
    assert verdict["derived"]["iban"]["sepaReachable"] is True
    assert counts(database) == before
    created = client.post("/platform/external-accounts", json=EUR_BODY, headers=token.headers)
    assert created.json()["accountInfo"] == verdict["normalized"]


def test_every_held_out_bad_input_gets_the_create_errors_and_stores_nothing(
    client: TestClient, database: Database
) -> None:
    token = make_token(database, "acme", Mode.PRODUCTION)
    rows = invalid_rows()
    assert len(rows) > 300
    before = counts(database)
    mismatches = []
    for case in rows:
        verdict = client.post(VALIDATE, json=body_of(case), headers=token.headers).json()
        validated = {(error["field"], error.get("message")) for error in verdict["errors"]}
        if verdict["valid"] or {field for field, _ in validated} != set(case["fields"]):
            mismatches.append(f"{case['name']}: {sorted(validated)}")
    assert counts(database) == before, "validate stored something"
    for case in rows[::10]:  # the create, on a sample: its errors are the validate's, message for message
        created = client.post("/platform/external-accounts", json=body_of(case), headers=token.headers).json()
        verdict = client.post(VALIDATE, json=body_of(case), headers=token.headers).json()
        assert created["details"]["errors"] == verdict["errors"], case["name"]
    assert not mismatches, "\n".join(mismatches)


def test_sandbox_check_digit_failure_is_a_warning_there_and_an_error_in_production(
    client: TestClient, database: Database, token: Token
) -> None:
    body = json.loads(json.dumps(EUR_BODY))
    body["accountInfo"]["iban"] = "DE88370400440532013000"
    sandbox = client.post(VALIDATE, json=body, headers=token.headers).json()
    assert sandbox["valid"] is True
    assert [(note["field"], note["code"]) for note in sandbox["warnings"]] == [
        ("accountInfo.iban", "CHECK_DIGITS_SANDBOX_ONLY")
    ]
    production = make_token(database, "acme", Mode.PRODUCTION)
    refused = client.post(VALIDATE, json=body, headers=production.headers).json()
    assert refused["valid"] is False and "normalized" not in refused
    assert [error["field"] for error in refused["errors"]] == ["accountInfo.iban"]


def test_lower_case_evm_address_and_soon_expiring_invoice_are_warned(api: TestClient) -> None:
    address = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
    wallet = {"currency": "USDC", "accountInfo": {"accountType": "BASE_WALLET", "address": address}}
    verdict = conform(api.post(VALIDATE, json=wallet))
    assert verdict["valid"] is True
    assert [note["code"] for note in verdict["warnings"]] == ["ADDRESS_NOT_CHECKSUMMED"]
    assert verdict["derived"]["evm"]["checksummedAddress"] == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
    invoice = {"currency": "BTC", "accountInfo": {"accountType": "LIGHTNING", "invoice": make_invoice(expiry=1800)}}
    verdict = conform(api.post(VALIDATE, json=invoice))
    assert [note["code"] for note in verdict["warnings"]] == ["INVOICE_EXPIRES_SOON"]
    assert verdict["derived"]["lightning"]["amountMsat"] == 1_500_000
    far = {"currency": "BTC", "accountInfo": {"accountType": "LIGHTNING", "invoice": make_invoice(expiry=86400)}}
    assert conform(api.post(VALIDATE, json=far))["warnings"] == []


def test_a_duplicate_is_a_warning_naming_the_existing_account(api: TestClient) -> None:
    existing = api.post("/platform/external-accounts", json=EUR_BODY).json()["id"]
    verdict = conform(api.post(VALIDATE, json=EUR_BODY))
    assert verdict["valid"] is True
    assert verdict["warnings"] == [
        {
            "field": "accountInfo",
            "code": "DUPLICATE",
            "message": "this destination already exists: a create would answer 409",
            "existingId": existing,
        }
    ]


def test_customer_path_names_an_unknown_customer(api: TestClient) -> None:
    body = {**EUR_BODY, "customerId": "Customer:01890000-0000-7000-8000-000000000000"}
    verdict = conform(api.post("/customers/external-accounts/validate", json=body))
    assert verdict["valid"] is False
    assert [error["field"] for error in verdict["errors"]] == ["customerId"]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(api: TestClient, content: str) -> None:
    response = api.post(VALIDATE, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert conform(response)["code"] == "INVALID_INPUT"


HELD_OUT = [
    {"currency": "EUR"},  # no accountInfo
    {"currency": "EUR", "accountInfo": "DE89370400440532013000"},  # accountInfo not an object
    {"currency": "EUR", "accountInfo": {"accountType": "GOLD_BARS"}},
    {"currency": 978, "accountInfo": EUR_BODY["accountInfo"]},  # a number is not a currency code
    {**EUR_BODY, "defaultUmaDepositAccount": "yes"},  # "yes" is not true
    {**EUR_BODY, "nickname": "savings"},  # a field no generation defines
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "iban": "DE89 3704 0044 0532 0130 00 00"}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "iban": "TR330006100519786457841326"}},  # outside SEPA
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "iban": "US00 1234"}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "beneficiary": {"beneficiaryType": "ROBOT"}}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "beneficiary": None}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "swiftCode": "NOTABIC"}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "iban": "D" * 5000}},
    {**EUR_BODY, "accountInfo": {**EUR_BODY["accountInfo"], "iban": ["DE89370400440532013000"]}},
    {"currency": "USDC", "accountInfo": {"accountType": "BASE_WALLET", "address": "0x123"}, "cryptoNetwork": "MARS"},
    {"currency": "USD", "accountInfo": {  # full-width digits are not an account number
        "accountType": "USD_ACCOUNT", "accountNumber": "\uff11\uff12\uff13\uff14\uff15", "routingNumber": "011401533",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "A"}}},
]  # fmt: skip


def test_held_out_bad_bodies_get_the_create_errors_and_store_nothing(client: TestClient, database: Database) -> None:
    token = make_token(database, "acme", Mode.PRODUCTION)
    before = counts(database)
    for body in HELD_OUT:
        created = client.post("/platform/external-accounts", json=body, headers=token.headers)
        verdict = client.post(VALIDATE, json=body, headers=token.headers)
        assert created.status_code == 400, (body, created.text)
        assert verdict.status_code == 200, (body, verdict.text)
        assert verdict.json()["valid"] is False
        assert verdict.json()["errors"] == created.json()["details"]["errors"], body
    assert counts(database) == before
