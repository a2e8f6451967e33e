"""One normalisation per kind of value: an IBAN or a phone number written for people is the same destination."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.spec import assert_error, conform

PERSON = {"beneficiaryType": "INDIVIDUAL", "fullName": "Mette Jensen"}
# What the strictest business schemas ask (EUR: country, registration, tax id; AED: an address).
BUSINESS = {
    "beneficiaryType": "BUSINESS",
    "legalName": "Gulf Trading LLC",
    "countryOfResidence": "AE",
    "registrationNumber": "CN-1234567",
    "taxId": "100123456700003",
    "address": {"line1": "1 Sheikh Zayed Road", "city": "Dubai", "postalCode": "00000", "country": "AE"},
}

# (currency, accountInfo as people write it, field, the stored form)
WRITTEN_FOR_PEOPLE = [
    ("EUR", {"accountType": "EUR_ACCOUNT", "iban": "de89 3704 0044 0532 0130 00", "beneficiary": BUSINESS},
     "iban", "DE89370400440532013000"),
    ("DKK", {"accountType": "DKK_ACCOUNT", "iban": "dk50 0040 0440 1162 43", "beneficiary": PERSON},
     "iban", "DK5000400440116243"),
    ("AED", {"accountType": "AED_ACCOUNT", "iban": "AE90 0261 0123 4567 8901 234", "beneficiary": BUSINESS},
     "iban", "AE900261012345678901234"),
    ("KES", {"accountType": "KES_ACCOUNT", "phoneNumber": "+254 712-345 678", "provider": "M-PESA",
             "beneficiary": PERSON}, "phoneNumber", "+254712345678"),
    ("GBP", {"accountType": "GBP_ACCOUNT", "sortCode": "601613", "accountNumber": "31926819",
             "beneficiary": {**PERSON, "phoneNumber": "+44 (20) 7946.0958"}}, "beneficiary", None),
]  # fmt: skip


@pytest.mark.parametrize(("currency", "info", "field", "stored"), WRITTEN_FOR_PEOPLE)
def test_the_same_value_written_two_ways_is_one_destination(
    api: TestClient, currency: str, info: dict[str, Any], field: str, stored: str | None
) -> None:
    created = api.post("/platform/external-accounts", json={"currency": currency, "accountInfo": info})
    assert created.status_code == 201, created.text
    answered = conform(created)["accountInfo"]
    if stored is None:
        # A beneficiary's phone number is kept in E.164 too.
        assert answered["beneficiary"]["phoneNumber"] == "+442079460958"
        return
    assert answered[field] == stored
    compact = api.post(
        "/platform/external-accounts", json={"currency": currency, "accountInfo": {**info, field: stored}}
    )
    assert assert_error(compact, 409, "CONFLICT")["details"]["existingId"] == created.json()["id"]
