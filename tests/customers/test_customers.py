"""Customers: create, read, list filters, update, delete, sandbox KYC, write-only fields."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.customers.models import Customer
from railbook.db import Database
from tests.conftest import TEST_KEYS
from tests.support.spec import assert_error, conform

JANE: dict[str, Any] = {
    "customerType": "INDIVIDUAL",
    "platformCustomerId": "ind-9f84e0c2",
    "region": "US",
    "currencies": ["USD", "USDC"],
    "fullName": "Jane Smith",
    "birthDate": "1990-01-15",
    "nationality": "US",
    "email": "jane.smith@example.com",
    "phoneNumber": "+14155551234",
    "idType": "SSN",
    "identifier": "123-45-6789",
    "address": {"line1": "123 Market Street", "city": "Seattle", "postalCode": "98101", "country": "US"},
}

ACME: dict[str, Any] = {
    "customerType": "BUSINESS",
    "platformCustomerId": "biz-acme-001",
    "region": "US",
    "currencies": ["USD"],
    "email": "finance@acme.com",
    "businessInfo": {
        "legalName": "Acme Corporation",
        "doingBusinessAs": "Acme",
        "country": "US",
        "registrationNumber": "5523041",
        "incorporatedOn": "2018-03-14",
        "entityType": "LLC",
        "taxId": "47-1234567",
    },
    "address": {"line1": "123 Market Street", "postalCode": "98101", "country": "US"},
}


def create(api: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/customers", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = conform(response)
    return body


def test_create_individual_echoes_fields_and_hides_identifier(api: TestClient) -> None:
    body = create(api, JANE)
    assert body["id"].startswith("Customer:")
    assert body["platformCustomerId"] == "ind-9f84e0c2"
    assert body["fullName"] == "Jane Smith"
    assert body["address"]["postalCode"] == "98101"
    assert body["kycStatus"] == "APPROVED"
    assert body["isDeleted"] is False
    assert body["createdAt"].endswith("Z")
    assert "identifier" not in body
    assert "123-45-6789" not in api.get(f"/customers/{body['id']}").text
    assert all(value is not None for value in body.values())


def test_identifier_is_stored_encrypted(api: TestClient, database: Database) -> None:
    body = create(api, JANE)
    with database.reading() as session:
        stored = session.get(Customer, body["id"])
    assert stored is not None and stored.identifier is not None
    assert "123-45-6789" not in stored.identifier and "123456789" not in stored.identifier
    assert TEST_KEYS.decrypt(stored.identifier, body["id"].encode()) == b"123-45-6789"


def test_create_business_starts_unverified(api: TestClient) -> None:
    body = create(api, ACME)
    assert body["customerType"] == "BUSINESS"
    assert body["kybStatus"] == "UNVERIFIED"
    assert body["businessInfo"]["legalName"] == "Acme Corporation"
    assert "kycStatus" not in body


def test_generated_platform_customer_id_and_uma_address(api: TestClient) -> None:
    body = create(api, {"customerType": "INDIVIDUAL", "fullName": "Ana Oliveira"})
    assert body["platformCustomerId"]
    assert body["umaAddress"].startswith("$")
    other = create(api, {"customerType": "INDIVIDUAL", "fullName": "Ana Oliveira"})
    assert other["platformCustomerId"] != body["platformCustomerId"]


@pytest.mark.parametrize(
    ("full_name", "status"),
    [
        ("Test User 001", "PENDING"),
        ("Test User 002", "REJECTED"),
        ("Test User 003", "UNVERIFIED"),
        ("Bo", "APPROVED"),
    ],
)
def test_sandbox_kyc_follows_full_name_suffix(api: TestClient, full_name: str, status: str) -> None:
    assert create(api, {"customerType": "INDIVIDUAL", "fullName": full_name})["kycStatus"] == status


def test_duplicate_platform_customer_id_conflicts(api: TestClient) -> None:
    first = create(api, JANE)
    response = api.post("/customers", json=JANE)
    body = assert_error(response, 409, "CONFLICT")
    conform(response)
    assert body["details"]["existingId"] == first["id"]


def test_taken_uma_address_conflicts(api: TestClient) -> None:
    create(api, {"customerType": "INDIVIDUAL", "umaAddress": "$jane@uma.example.com"})
    response = api.post("/customers", json={"customerType": "INDIVIDUAL", "umaAddress": "$jane@uma.example.com"})
    assert_error(response, 409, "UMA_ADDRESS_EXISTS")


def test_invalid_create_names_every_failing_field_and_stores_nothing(api: TestClient) -> None:
    payload = {
        "customerType": "INDIVIDUAL",
        "fullName": "",
        "birthDate": "1990-13-01",
        "nationality": "XX",
        "email": "not-an-email",
        "phoneNumber": "4155551234",
        "address": {"line1": "1 Main St", "country": "US"},
    }
    response = api.post("/customers", json=payload)
    body = assert_error(response, 400, "INVALID_INPUT")
    conform(response)
    fields = {error["field"] for error in body["details"]["errors"]}
    assert fields == {"fullName", "birthDate", "nationality", "email", "phoneNumber", "address.postalCode"}
    phone = next(e for e in body["details"]["errors"] if e["field"] == "phoneNumber")
    assert phone["constraint"]["pattern"] == r"^\+[1-9]\d{1,14}$"
    assert api.get("/customers").json()["totalCount"] == 0


def test_business_requires_business_info(api: TestClient) -> None:
    response = api.post("/customers", json={"customerType": "BUSINESS", "businessInfo": {"legalName": "X"}})
    body = assert_error(response, 400, "INVALID_INPUT")
    fields = {error["field"] for error in body["details"]["errors"]}
    assert fields == {"businessInfo.country", "businessInfo.taxId", "businessInfo.incorporatedOn"}


def test_unknown_customer_type_is_rejected(api: TestClient) -> None:
    response = api.post("/customers", json={"customerType": "ROBOT"})
    body = assert_error(response, 400, "INVALID_INPUT")
    assert body["details"]["errors"][0]["field"] == "customerType"


def test_identifier_must_be_a_valid_ssn(api: TestClient) -> None:
    response = api.post("/customers", json={**JANE, "identifier": "000-12-3456"})
    body = assert_error(response, 400, "INVALID_INPUT")
    assert body["details"]["errors"][0]["field"] == "identifier"


def test_get_unknown_customer_is_user_not_found(api: TestClient) -> None:
    response = api.get("/customers/Customer:019542f5-b3e7-1d02-0000-000000000001")
    assert_error(response, 404, "USER_NOT_FOUND")
    conform(response)


def test_patch_updates_only_sent_fields(api: TestClient) -> None:
    created = create(api, JANE)
    response = api.patch(
        f"/customers/{created['id']}",
        json={"customerType": "INDIVIDUAL", "fullName": "Jane Q. Smith", "currencies": ["EUR"]},
    )
    assert response.status_code == 200, response.text
    body = conform(response)
    assert body["fullName"] == "Jane Q. Smith"
    assert body["currencies"] == ["EUR"]
    assert body["email"] == JANE["email"]
    assert body["updatedAt"] >= created["updatedAt"]
    assert api.get("/customers", params={"currency": "EUR"}).json()["totalCount"] == 1
    assert api.get("/customers", params={"currency": "USD"}).json()["totalCount"] == 0


def test_patch_business_info_merges(api: TestClient) -> None:
    created = create(api, ACME)
    response = api.patch(
        f"/customers/{created['id']}",
        json={"customerType": "BUSINESS", "businessInfo": {"taxId": "47-7654321"}},
    )
    body = conform(response)
    assert body["businessInfo"]["taxId"] == "47-7654321"
    assert body["businessInfo"]["legalName"] == "Acme Corporation"


def test_patch_rejects_other_customer_type_and_email_with_phone(api: TestClient) -> None:
    created = create(api, JANE)
    response = api.patch(f"/customers/{created['id']}", json={"customerType": "BUSINESS"})
    assert assert_error(response, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "customerType"
    response = api.patch(
        f"/customers/{created['id']}",
        json={"customerType": "INDIVIDUAL", "email": "a@example.com", "phoneNumber": "+14155550000"},
    )
    fields = {e["field"] for e in assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]}
    assert fields == {"email", "phoneNumber"}


def test_delete_is_soft_and_second_delete_is_gone(api: TestClient) -> None:
    created = create(api, JANE)
    response = api.delete(f"/customers/{created['id']}")
    body = conform(response)
    assert response.status_code == 200
    assert body["isDeleted"] is True
    assert_error(api.delete(f"/customers/{created['id']}"), 410, "CUSTOMER_DELETED")
    assert api.get("/customers").json()["totalCount"] == 0
    listed = api.get("/customers", params={"isIncludingDeleted": "true"}).json()
    assert [item["id"] for item in listed["data"]] == [created["id"]]
    # The platformCustomerId is free again once its holder is deleted.
    create(api, JANE)


def test_list_filters_combine(api: TestClient) -> None:
    jane = create(api, JANE)
    create(api, ACME)
    create(api, {"customerType": "INDIVIDUAL", "region": "MX", "currencies": ["MXN"]})
    assert api.get("/customers", params={"customerType": "BUSINESS"}).json()["totalCount"] == 1
    assert api.get("/customers", params={"region": "US"}).json()["totalCount"] == 2
    assert api.get("/customers", params={"region": "US", "customerType": "INDIVIDUAL"}).json()["totalCount"] == 1
    only = api.get("/customers", params={"platformCustomerId": "ind-9f84e0c2"})
    assert [item["id"] for item in conform(only)["data"]] == [jane["id"]]
    assert api.get("/customers", params={"currency": "USDC"}).json()["totalCount"] == 1
    # A currency is matched as written: LIKE's wildcards in it match nothing else.
    for pattern in ("US_C", "US%", "%", "MX/N"):
        assert api.get("/customers", params={"currency": pattern}).json()["totalCount"] == 0, pattern
    assert api.get("/customers", params={"umaAddress": jane["umaAddress"]}).json()["totalCount"] == 1
    after = api.get("/customers", params={"createdAfter": jane["createdAt"]}).json()["totalCount"]
    before = api.get("/customers", params={"createdBefore": jane["createdAt"]}).json()["totalCount"]
    assert (after, before) == (3, 1)
    future = api.get("/customers", params={"updatedAfter": "2999-01-01T00:00:00Z"}).json()
    assert future == {"data": [], "hasMore": False, "totalCount": 0}


def test_list_rejects_bad_filters(api: TestClient) -> None:
    response = api.get("/customers", params={"customerType": "ROBOT", "createdAfter": "yesterday"})
    fields = {e["field"] for e in assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]}
    assert fields == {"customerType", "createdAfter"}
