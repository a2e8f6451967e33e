"""Strict parsing: no value converted into another type, no field dropped in silence, every one named."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.spec import assert_error, conform

BENEFICIARY = {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}
USD_INFO = {"accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
            "beneficiary": BENEFICIARY}  # fmt: skip
EUR_INFO = {"accountType": "EUR_ACCOUNT", "iban": "DE89370400440532013000",
            "beneficiary": {"beneficiaryType": "BUSINESS", "legalName": "Acme GmbH"}}  # fmt: skip


@pytest.fixture
def customer(api: TestClient) -> str:
    customer_id: str = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "John Doe"}).json()["id"]
    return customer_id


def fields_of(response: Any, status: int = 400) -> dict[str, str]:
    """field -> message of a 400's details."""
    body = assert_error(response, status, "INVALID_INPUT")
    return {error["field"]: error["message"] for error in body["details"]["errors"]}


def account_count(api: TestClient) -> int:
    total: int = api.get("/customers/external-accounts").json()["totalCount"]
    return total


@pytest.mark.parametrize("value", ["yes", "true", "1", 1, 0, "false", None, [True]])
def test_a_boolean_takes_true_or_false_only(api: TestClient, customer: str, value: Any) -> None:
    body = {"customerId": customer, "currency": "USD", "accountInfo": USD_INFO, "defaultUmaDepositAccount": value}
    assert "defaultUmaDepositAccount" in fields_of(api.post("/customers/external-accounts", json=body))
    assert account_count(api) == 0


def test_true_makes_the_default_and_false_does_not(api: TestClient, customer: str) -> None:
    body = {"customerId": customer, "currency": "USD", "defaultUmaDepositAccount": False, "accountInfo": USD_INFO}
    assert conform(api.post("/customers/external-accounts", json=body)).get("defaultUmaDepositAccount") is not True
    other = {**USD_INFO, "accountNumber": "12345678902"}
    body = {**body, "defaultUmaDepositAccount": True, "accountInfo": other}
    assert conform(api.post("/customers/external-accounts", json=body))["defaultUmaDepositAccount"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("otpLength", "6"), ("otpLength", 6.5), ("otpLength", True), ("alphanumeric", "yes"), ("alphanumeric", 1),
     ("appName", 7)],
)  # fmt: skip
def test_configuration_numbers_and_flags_keep_their_types(api: TestClient, field: str, value: Any) -> None:
    before = api.get("/config").json()
    response = api.patch("/config", json={"embeddedWalletConfig": {field: value}})
    assert f"embeddedWalletConfig.{field}" in fields_of(response)
    assert api.get("/config").json() == before
    assert (
        api.patch("/config", json={"embeddedWalletConfig": {"otpLength": 6, "alphanumeric": False}}).status_code == 200
    )


def test_an_enum_takes_its_string_values_only(api: TestClient) -> None:
    for value in (1, ["PASSPORT"], "passport"):
        body = {"customerType": "INDIVIDUAL", "fullName": "John Doe", "idType": value, "identifier": "X1234567"}
        assert "idType" in fields_of(api.post("/customers", json=body)), value


def test_read_only_configuration_fields_are_refused_with_the_reason(api: TestClient) -> None:
    currency = {"currencyCode": "USD", "minAmount": 100, "maxAmount": 1000000, "requiredCounterpartyFields": [],
                "enabledTransactionTypes": ["OUTGOING"], "providerRequiredCustomerFields": ["FULL_NAME"]}  # fmt: skip
    errors = fields_of(api.patch("/config", json={"supportedCurrencies": [currency]}))
    assert "answered by Railbook" in errors["supportedCurrencies[0].providerRequiredCustomerFields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("fullName", 123), ("fullName", ["John"]), ("platformCustomerId", 42), ("email", {"a": 1}),
     ("birthDate", 19900115), ("birthDate", 631152000), ("birthDate", "15/01/1990"), ("nationality", 1)],
)  # fmt: skip
def test_customer_fields_keep_their_types(api: TestClient, field: str, value: Any) -> None:
    body = {"customerType": "INDIVIDUAL", "fullName": "John Doe", field: value}
    assert field in fields_of(api.post("/customers", json=body))
    assert api.get("/customers").json()["totalCount"] == 0


@pytest.mark.parametrize("days", [1, 366 * 131])
def test_a_birth_date_must_be_plausible(api: TestClient, customer: str, days: int) -> None:
    when = date.today() + timedelta(days=days) if days < 366 else date.today() - timedelta(days=days)
    person = {"customerType": "INDIVIDUAL", "fullName": "John Doe", "birthDate": when.isoformat()}
    assert "birthDate" in fields_of(api.post("/customers", json=person))
    beneficiary = {**BENEFICIARY, "birthDate": when.isoformat()}
    body = {"customerId": customer, "currency": "USD", "accountInfo": {**USD_INFO, "beneficiary": beneficiary}}
    assert "accountInfo.beneficiary.birthDate" in fields_of(api.post("/customers/external-accounts", json=body))
    fine = {**person, "birthDate": (date.today() - timedelta(days=365 * 40)).isoformat()}
    assert api.post("/customers", json=fine).status_code == 201


def test_an_unknown_field_is_named_with_the_name_it_likely_meant(api: TestClient, customer: str) -> None:
    info = {**EUR_INFO, "swiftBic": "DEUTDEFF", "bankNmae": "Deutsche Bank"}
    body = {"customerID": customer, "currency": "EUR", "accountInfo": info}
    errors = fields_of(api.post("/customers/external-accounts", json=body))
    assert errors["accountInfo.swiftBic"].endswith("did you mean swiftCode?")
    assert errors["accountInfo.bankNmae"].endswith("did you mean bankName?")
    assert errors["customerID"].endswith("did you mean customerId?")
    assert account_count(api) == 0
    refused = fields_of(api.post("/customers", json={"customerType": "INDIVIDUAL", "fullNmae": "Jo"}))
    assert refused["fullNmae"].endswith("did you mean fullName?")


def test_a_field_copied_from_an_answer_is_refused_with_the_reason(api: TestClient, customer: str) -> None:
    body = {"customerId": customer, "currency": "USD", "accountInfo": {**USD_INFO, "paymentRails": ["ACH"]}}
    assert (
        "answered by Railbook"
        in fields_of(api.post("/customers/external-accounts", json=body))["accountInfo.paymentRails"]
    )


def test_customer_id_on_a_platform_account_is_refused(api: TestClient, customer: str) -> None:
    body = {"customerId": customer, "currency": "USD", "accountInfo": USD_INFO}
    assert "customerId" in fields_of(api.post("/platform/external-accounts", json=body))
    assert api.get("/platform/external-accounts").json()["totalCount"] == 0


@pytest.mark.parametrize(
    ("info", "currency"),
    [({"accountType": "CLABE", "clabeNumber": "002180000118359710", "bankName": "BBVA Mexico"}, "MXN"),
     ({"accountType": "PIX", "pixKey": "user@email.com", "pixKeyType": "EMAIL", "bankName": "Nubank"}, "BRL"),
     ({"accountType": "IBAN", "iban": "DE89370400440532013000", "swiftBic": "DEUTDEFF", "bankName": "Deutsche Bank"},
      "EUR")],
)  # fmt: skip
def test_a_legacy_bank_name_is_stored_and_answered_back(
    api: TestClient, customer: str, info: dict[str, Any], currency: str
) -> None:
    beneficiary = {**BENEFICIARY, "birthDate": "1985-03-15", "nationality": "MX"}
    body = {"customerId": customer, "currency": currency, "accountInfo": {**info, "beneficiary": beneficiary}}
    created = api.post("/customers/external-accounts", json=body)
    assert created.status_code == 201, created.text
    fetched = api.get(f"/customers/external-accounts/{created.json()['id']}").json()
    assert created.json()["accountInfo"]["bankName"] == fetched["accountInfo"]["bankName"] == info["bankName"]
