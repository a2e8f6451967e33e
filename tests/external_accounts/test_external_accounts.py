"""External accounts: the endpoints, ownership, duplicates, the default flag, review and legacy answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode
from railbook.db import Database
from tests.conftest import Token, make_token
from tests.support.spec import LEGACY, assert_error, assert_schema, conform

BENEFICIARY = {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"}


def usd(account_number: str = "12345678901", **extra: Any) -> dict[str, Any]:
    info = {
        "accountType": "USD_ACCOUNT",
        "accountNumber": account_number,
        "routingNumber": "011401533",
        "beneficiary": BENEFICIARY,
    }
    return {"currency": "USD", "accountInfo": info, **extra}


@pytest.fixture
def customer(api: TestClient) -> str:
    response = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "John Doe"})
    customer_id: str = response.json()["id"]
    return customer_id


def create(api: TestClient, payload: dict[str, Any], path: str = "/customers/external-accounts") -> dict[str, Any]:
    response = api.post(path, json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = conform(response)
    return body


def test_create_get_list_delete_customer_account(api: TestClient, customer: str) -> None:
    created = create(api, usd(customerId=customer, platformAccountId="acc-1"))
    assert created["id"].startswith("ExternalAccount:")
    assert (created["customerId"], created["status"], created["platformAccountId"]) == (customer, "ACTIVE", "acc-1")
    assert created["accountInfo"]["paymentRails"] == ["ACH", "WIRE", "RTP", "FEDNOW"]
    assert created["accountInfo"]["accountNumber"] == "12345678901"
    assert created["defaultUmaDepositAccount"] is False
    assert conform(api.get(f"/customers/external-accounts/{created['id']}")) == created
    listed = conform(api.get("/customers/external-accounts", params={"customerId": customer}))
    assert [item["id"] for item in listed["data"]] == [created["id"]]
    response = api.delete(f"/customers/external-accounts/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_error(api.get(f"/customers/external-accounts/{created['id']}"), 404, "REFERENCE_NOT_FOUND")
    assert_error(api.delete(f"/customers/external-accounts/{created['id']}"), 404, "REFERENCE_NOT_FOUND")
    assert api.get("/customers/external-accounts").json()["totalCount"] == 0


def test_platform_accounts_live_apart(api: TestClient, customer: str) -> None:
    mine = create(api, usd("555000111"), path="/platform/external-accounts")
    via_customer_path = create(api, usd("555000222"))  # no customerId: a platform account
    assert "customerId" not in mine and "customerId" not in via_customer_path
    assert "defaultUmaDepositAccount" not in mine
    theirs = create(api, usd("555000333", customerId=customer))
    platform_ids = {item["id"] for item in conform(api.get("/platform/external-accounts"))["data"]}
    customer_ids = {item["id"] for item in conform(api.get("/customers/external-accounts"))["data"]}
    assert platform_ids == {mine["id"], via_customer_path["id"]}
    assert customer_ids == {theirs["id"]}
    assert_error(api.get(f"/customers/external-accounts/{mine['id']}"), 404, "REFERENCE_NOT_FOUND")
    assert_error(api.get(f"/platform/external-accounts/{theirs['id']}"), 404, "REFERENCE_NOT_FOUND")
    assert api.delete(f"/platform/external-accounts/{mine['id']}").status_code == 204


def test_unknown_or_deleted_customer_in_the_body_is_invalid_input(api: TestClient, customer: str) -> None:
    response = api.post("/customers/external-accounts", json=usd(customerId="Customer:nope"))
    assert assert_error(response, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "customerId"
    api.delete(f"/customers/{customer}")
    response = api.post("/customers/external-accounts", json=usd(customerId=customer))
    assert assert_error(response, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "customerId"


def test_other_tenants_cannot_see_or_delete(api: TestClient, database: Database, customer: str) -> None:
    created = create(api, usd(customerId=customer))
    for stranger in (make_token(database, "globex", Mode.SANDBOX), make_token(database, "acme", Mode.PRODUCTION)):
        for method in ("GET", "DELETE"):
            response = api.request(method, f"/customers/external-accounts/{created['id']}", headers=stranger.headers)
            assert_error(response, 404, "REFERENCE_NOT_FOUND")
        assert api.get("/customers/external-accounts", headers=stranger.headers).json()["totalCount"] == 0
        response = api.post("/customers/external-accounts", json=usd(customerId=customer), headers=stranger.headers)
        assert_error(response, 400, "INVALID_INPUT")


def test_duplicate_destination_conflicts_per_owner(api: TestClient, customer: str) -> None:
    first = create(api, usd(customerId=customer))
    response = api.post("/customers/external-accounts", json=usd(customerId=customer))
    assert assert_error(response, 409, "CONFLICT")["details"]["existingId"] == first["id"]
    create(api, usd())  # the platform may hold the same destination
    api.delete(f"/customers/external-accounts/{first['id']}")
    create(api, usd(customerId=customer))  # free again once deleted


def test_iban_duplicates_ignore_spaces_and_case(api: TestClient, customer: str) -> None:
    wallet = {
        "currency": "USDC",
        "customerId": customer,
        "accountInfo": {"accountType": "BASE_WALLET", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
    }
    create(api, wallet)
    lower = {**wallet, "accountInfo": {**wallet["accountInfo"], "address": wallet["accountInfo"]["address"].lower()}}
    assert_error(api.post("/customers/external-accounts", json=lower), 409, "CONFLICT")
    # The same address on another network is another destination.
    create(api, {**lower, "accountInfo": {**lower["accountInfo"], "accountType": "POLYGON_WALLET"}})
    create(api, {**lower, "accountInfo": {**lower["accountInfo"], "accountType": "ARBITRUM_WALLET"}})


def test_default_deposit_account_moves(api: TestClient, customer: str) -> None:
    first = create(api, usd("100000001", customerId=customer, defaultUmaDepositAccount=True))
    second = create(api, usd("100000002", customerId=customer, defaultUmaDepositAccount=True))
    assert first["defaultUmaDepositAccount"] is True
    current = {
        item["id"]: item["defaultUmaDepositAccount"] for item in api.get("/customers/external-accounts").json()["data"]
    }
    assert current == {first["id"]: False, second["id"]: True}
    api.delete(f"/customers/external-accounts/{second['id']}")
    assert api.get(f"/customers/external-accounts/{first['id']}").json()["defaultUmaDepositAccount"] is False


@pytest.mark.parametrize(
    ("suffix", "verification", "status"),
    [
        ("101", "MATCHED", "ACTIVE"),
        ("102", "NOT_MATCHED", "UNDER_REVIEW"),
        ("103", "PARTIAL_MATCH", "UNDER_REVIEW"),
        ("104", "PENDING", "PENDING"),
        ("106", "UNSUPPORTED", "ACTIVE"),
        ("107", "CHECKED_BY_RECEIVING_FI", "ACTIVE"),
    ],
)
def test_sandbox_suffix_decides_name_check(api: TestClient, suffix: str, verification: str, status: str) -> None:
    body = create(api, usd(f"987654{suffix}"))
    assert (body["beneficiaryVerificationStatus"], body["status"]) == (verification, status)


def test_sandbox_suffix_105_is_an_invalid_bank_account(api: TestClient) -> None:
    assert_error(api.post("/customers/external-accounts", json=usd("987654105")), 400, "INVALID_BANK_ACCOUNT")
    assert api.get("/platform/external-accounts").json()["totalCount"] == 0


def test_production_us_accounts_are_checked_by_the_receiving_bank(api: TestClient, database: Database) -> None:
    production = make_token(database, "acme", Mode.PRODUCTION)
    response = api.post("/customers/external-accounts", json=usd("987654102"), headers=production.headers)
    body = conform(response)
    assert (body["beneficiaryVerificationStatus"], body["status"]) == ("CHECKED_BY_RECEIVING_FI", "ACTIVE")


def test_check_digits_bind_in_production_only(api: TestClient, database: Database) -> None:
    placeholder = usd()
    placeholder["accountInfo"]["routingNumber"] = "123456789"
    assert api.post("/customers/external-accounts", json=placeholder).status_code == 201
    production = make_token(database, "acme", Mode.PRODUCTION)
    response = api.post("/customers/external-accounts", json=placeholder, headers=production.headers)
    errors = assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]
    assert errors == [
        {"field": "accountInfo.routingNumber", "message": "routing number check digit does not match (ABA checksum)"}
    ]


def test_every_failing_field_is_named_and_nothing_stored(api: TestClient) -> None:
    payload = {
        "currency": "EUR",
        "platformAccountId": "",
        "accountInfo": {
            "accountType": "USD_ACCOUNT",
            "accountNumber": "",
            "routingNumber": "12345678x",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "address": {"line1": "x"}},
        },
    }
    response = api.post("/customers/external-accounts", json=payload)
    fields = {error["field"] for error in assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]}
    assert fields == {
        "platformAccountId",
        "currency",
        "accountInfo.accountNumber",
        "accountInfo.routingNumber",
        "accountInfo.beneficiary.fullName",
        "accountInfo.beneficiary.address.postalCode",
        "accountInfo.beneficiary.address.country",
    }
    assert api.get("/platform/external-accounts").json()["totalCount"] == 0


def test_unknown_account_type_names_the_field(api: TestClient) -> None:
    response = api.post("/customers/external-accounts", json={"currency": "USD", "accountInfo": {"accountType": "X"}})
    errors = assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]
    assert errors[0]["field"] == "accountInfo.accountType"


def test_currency_alone_wrong_is_invalid_currency(api: TestClient) -> None:
    response = api.post("/customers/external-accounts", json={**usd(), "currency": "EUR"})
    assert_error(response, 400, "INVALID_CURRENCY")


def test_legacy_us_account_is_answered_in_its_own_generation(api: TestClient, customer: str) -> None:
    seed = {
        "customerId": customer,
        "currency": "USD",
        "accountInfo": {
            "accountType": "US_ACCOUNT",
            "accountNumber": "12345678901",
            "routingNumber": "123456789",
            "accountCategory": "SAVINGS",
            "bankName": "Chase Bank",
            "platformAccountId": "ext_acc_123456",
            "beneficiary": {
                "beneficiaryType": "INDIVIDUAL",
                "fullName": "John Doe",
                "birthDate": "1990-01-15",
                "nationality": "US",
            },
        },
    }
    response = api.post("/customers/external-accounts", json=seed)
    assert response.status_code == 201, response.text
    body = response.json()
    assert_schema(body, "ExternalAccount", LEGACY)
    info = body["accountInfo"]
    assert (info["accountType"], info["accountCategory"], body["platformAccountId"]) == (
        "US_ACCOUNT",
        "SAVINGS",
        "ext_acc_123456",
    )
    assert "bankAccountType" not in info and "paymentRails" not in info
    # The same destination in the current generation is a duplicate: both are stored alike.
    current = usd(customerId=customer)
    current["accountInfo"]["routingNumber"] = "123456789"
    assert_error(api.post("/customers/external-accounts", json=current), 409, "CONFLICT")


def test_list_filters_by_currency_and_pages(api: TestClient, customer: str, token: Token) -> None:
    for n in range(5):
        create(api, usd(f"30000000{n}", customerId=customer))
    create(
        api,
        {
            "currency": "USDC",
            "customerId": customer,
            "accountInfo": {"accountType": "SOLANA_WALLET", "address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"},
        },
    )
    assert api.get("/customers/external-accounts", params={"currency": "USDC"}).json()["totalCount"] == 1
    first = conform(api.get("/customers/external-accounts", params={"currency": "USD", "limit": 3}))
    second = conform(
        api.get("/customers/external-accounts", params={"currency": "USD", "limit": 3, "cursor": first["nextCursor"]})
    )
    assert len(first["data"]) == 3 and len(second["data"]) == 2 and not second["hasMore"]
    response = api.get("/customers/external-accounts", params={"currency": "EUR", "cursor": first["nextCursor"]})
    assert_error(response, 400, "INVALID_INPUT")


@pytest.mark.parametrize(
    ("account_info", "currency", "rails"),
    [
        ({"accountType": "INR_ACCOUNT", "vpa": "priya@okhdfc"}, "INR", ["UPI"]),
        ({"accountType": "INR_ACCOUNT", "accountNumber": "123456789012", "ifsc": "HDFC0001234", "rail": "RTGS"},
         "INR", ["RTGS"]),
        ({"accountType": "KES_ACCOUNT", "phoneNumber": "+254712345678", "provider": "M-PESA"}, "KES", ["MOBILE_MONEY"]),
        ({"accountType": "GHS_ACCOUNT", "bankName": "GCB Bank", "accountNumber": "1234567890"}, "GHS",
         ["BANK_TRANSFER"]),
        ({"accountType": "GHS_ACCOUNT", "bankName": "MTN", "phoneNumber": "+233241234567"}, "GHS", ["MOBILE_MONEY"]),
    ],
)  # fmt: skip
def test_payment_rails_are_the_ones_the_account_uses(
    api: TestClient, account_info: dict[str, Any], currency: str, rails: list[str]
) -> None:
    payload = {"currency": currency, "accountInfo": {**account_info, "beneficiary": BENEFICIARY}}
    assert create(api, payload, path="/platform/external-accounts")["accountInfo"]["paymentRails"] == rails


def test_a_eur_accounts_swift_code_is_derived_from_its_iban_when_left_out(api: TestClient) -> None:
    def eur(iban: str, **extra: str) -> dict[str, Any]:
        owner = {**BENEFICIARY, "countryOfResidence": "DE"}
        return {"currency": "EUR", "accountInfo": {"accountType": "EUR_ACCOUNT", "iban": iban, "beneficiary": owner,
                                                   **extra}}  # fmt: skip

    # Commerzbank's bank code 37040044, as the bank registry has it (Grid documents the derivation, PR #916).
    derived = create(api, eur("DE89370400440532013000"), "/platform/external-accounts")
    assert derived["accountInfo"]["swiftCode"] == "COBADEFFXXX"
    again = api.get(f"/platform/external-accounts/{derived['id']}").json()
    assert again["accountInfo"]["swiftCode"] == "COBADEFFXXX"
    # A code the client sends is kept as sent; a bank the registry does not know gets none.
    sent = create(api, eur("NL91ABNA0417164300", swiftCode="ABNANL2AXXX"), "/platform/external-accounts")
    assert sent["accountInfo"]["swiftCode"] == "ABNANL2AXXX"
    unknown = create(api, eur("LT121000011101001000"), "/platform/external-accounts")
    assert "swiftCode" not in unknown["accountInfo"]
