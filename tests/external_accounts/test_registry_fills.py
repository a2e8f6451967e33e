"""Optional bank fields the registries fill from the identifier when the client leaves them out, answered back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.spec import conform

PERSON = {"beneficiaryType": "INDIVIDUAL", "fullName": "Mette Hansen"}


def iban_account(account_type: str, currency: str, iban: str, **extra: Any) -> dict[str, Any]:
    info = {"accountType": account_type, "iban": iban, "beneficiary": PERSON, **extra}
    return {"currency": currency, "accountInfo": info}


@pytest.mark.parametrize(
    ("account_type", "currency", "iban", "bic"),
    [
        ("DKK_ACCOUNT", "DKK", "DK50 0040 0440 1162 43", "NDEADKKK"),
        ("AED_ACCOUNT", "AED", "AE07 0331 2345 6789 0123 456", "BOMLAEADXXX"),
    ],
)
def test_swift_code_comes_from_the_iban_when_left_out(
    api: TestClient, account_type: str, currency: str, iban: str, bic: str
) -> None:
    body = iban_account(account_type, currency, iban)
    if account_type == "AED_ACCOUNT":
        body["accountInfo"]["beneficiary"] = {
            **PERSON, "address": {"line1": "1 Sheikh Zayed Rd", "postalCode": "00000", "country": "AE"},
        }  # fmt: skip
    created = conform(api.post("/platform/external-accounts", json=body))
    assert created["accountInfo"]["swiftCode"] == bic
    assert api.get(f"/platform/external-accounts/{created['id']}").json()["accountInfo"]["swiftCode"] == bic


def test_a_sent_swift_code_is_kept_as_sent(api: TestClient) -> None:
    body = iban_account("DKK_ACCOUNT", "DKK", "DK50 0040 0440 1162 43", swiftCode="DABADKKK")
    created = conform(api.post("/platform/external-accounts", json=body))
    assert created["accountInfo"]["swiftCode"] == "DABADKKK"


def test_an_unknown_bank_fills_nothing(api: TestClient) -> None:
    # schwifty's registry has no Singapore banks: bankName stays absent rather than invented.
    body = {
        "currency": "SGD",
        "accountInfo": {
            "accountType": "SGD_ACCOUNT", "accountNumber": "0123456789", "swiftCode": "DBSSSGSGXXX",
            "beneficiary": PERSON,
        },
    }  # fmt: skip
    created = conform(api.post("/platform/external-accounts", json=body))
    assert "bankName" not in created["accountInfo"]
