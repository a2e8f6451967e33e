"""GET /discoveries and GET /vasps over HTTP, and the bankName / vaspName rules that read the same lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode, Settings
from railbook.db import Database
from tests.conftest import make_token
from tests.support.clients import api_client
from tests.support.spec import conform

ISRAELI_BANKS = [
    {"bankName": "Bank Leumi Le-Israel B.M", "displayName": "Bank Leumi", "country": "IL", "currency": "ILS"},
    {"bankName": "Bank Hapoalim B.M", "country": "IL", "currency": "ILS"},
]
VASPS = [
    {"vaspName": "Kraken", "url": "https://www.kraken.com"},
    {"vaspName": "Bitstamp"},
    {"vaspName": "Coinbase", "url": "https://www.coinbase.com"},
]
# As the registry spells it (dotless i included).
ZIRAAT = "T\u00fcrkiye Cumhuriyeti Ziraat Bankas\u0131 A.\u015e."
LEUMI_IBAN = "IL620108000000099999999"
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def ils_account(bank_name: str) -> dict[str, Any]:
    return {
        "currency": "ILS",
        "accountInfo": {
            "accountType": "ILS_ACCOUNT",
            "iban": LEUMI_IBAN,
            "bankName": bank_name,
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Noa Levi"},
        },
    }


def wallet(vasp_name: str) -> dict[str, Any]:
    info = {"accountType": "BASE_WALLET", "address": EVM_ADDRESS, "vaspName": vasp_name}
    return {"currency": "USDC", "accountInfo": info}


def account_count(api: TestClient) -> int:
    listed: int = api.get("/platform/external-accounts").json()["totalCount"]
    return listed


@pytest.fixture
def directory_app(settings: Settings, database: Database, tmp_path: Path) -> Any:
    """The app with an operator's discoveries file (IL banks) and VASP directory."""
    discoveries = tmp_path / "discoveries.json"
    discoveries.write_text(json.dumps(ISRAELI_BANKS))
    vasps = tmp_path / "vasps.json"
    vasps.write_text(json.dumps(VASPS))
    configured = settings.model_copy(update={"discoveries_file": discoveries, "vasps_file": vasps})
    token = make_token(database, "acme", Mode.PRODUCTION)
    with api_client(configured, database, token) as client:
        yield client


def test_discoveries_lists_every_corridor_without_filters(api: TestClient) -> None:
    body = conform(api.get("/discoveries"))
    corridors = {(item["country"], item["currency"]) for item in body["data"]}
    # schwifty's registry (TR), clabe (MX) and the contract's named operators (CN wallets, GH mobile money).
    assert {("TR", "TRY"), ("MX", "MXN"), ("CN", "CNY"), ("GH", "GHS")} <= corridors
    names = {item["bankName"] for item in body["data"]}
    assert {"AliPay", "WechatPay", "MTN", "Vodafone", ZIRAAT} <= names


def test_discoveries_filters_by_country_and_currency(api: TestClient) -> None:
    body = conform(api.get("/discoveries", params={"country": "TR", "currency": "TRY"}))
    assert body["data"], "the registry knows Turkish banks"
    assert {(item["country"], item["currency"]) for item in body["data"]} == {("TR", "TRY")}
    assert conform(api.get("/discoveries", params={"country": "MX"}))["data"][0]["currency"] == "MXN"


def test_a_corridor_with_no_institutions_is_an_empty_list(api: TestClient) -> None:
    assert conform(api.get("/discoveries", params={"country": "FR", "currency": "JPY"})) == {"data": []}


def test_unknown_country_and_currency_are_named(api: TestClient) -> None:
    response = api.get("/discoveries", params={"country": "ZZ", "currency": "XYZ"})
    body = conform(response)
    assert response.status_code == 400
    assert {error["field"] for error in body["details"]["errors"]} == {"country", "currency"}


def test_discoveries_and_vasps_need_credentials(client: TestClient) -> None:
    assert client.get("/discoveries").status_code == 401
    assert client.get("/vasps").status_code == 401


def test_the_operator_file_is_served_and_binds_bank_name(directory_app: TestClient) -> None:
    listed = conform(directory_app.get("/discoveries", params={"country": "IL", "currency": "ILS"}))["data"]
    assert {
        "bankName": "Bank Leumi Le-Israel B.M",
        "displayName": "Bank Leumi",
        "country": "IL",
        "currency": "ILS",
    } in listed
    before = account_count(directory_app)
    refused = directory_app.post("/platform/external-accounts", json=ils_account("Bank of Nowhere"))
    body = conform(refused)
    assert refused.status_code == 400
    assert [error["field"] for error in body["details"]["errors"]] == ["accountInfo.bankName"]
    assert "GET /discoveries?country=IL&currency=ILS" in body["details"]["errors"][0]["message"]
    assert account_count(directory_app) == before
    # Written without case or punctuation care, it is still the listed bank, and is stored as sent.
    created = directory_app.post("/platform/external-accounts", json=ils_account("bank leumi le israel bm"))
    assert created.status_code == 201, created.text
    assert conform(created)["accountInfo"]["bankName"] == "bank leumi le israel bm"


def test_without_an_operator_file_the_registry_bank_of_the_iban_decides(api: TestClient) -> None:
    # The registry does not know Leumi (code 010): any name is taken; it knows Mizrahi Tefahot (020).
    assert api.post("/platform/external-accounts", json=ils_account("Bank of Somewhere")).status_code == 201
    mizrahi = ils_account("Bank Leumi")
    mizrahi["accountInfo"]["iban"] = "IL910201230000000123456"
    body = api.post("/platform/external-accounts", json=mizrahi).json()
    assert body["details"]["errors"] == [
        {
            "field": "accountInfo.bankName",
            "message": "the IBAN is an account at Mizrahi Tefahot Bank Ltd; bankName names another bank",
        }
    ]


def test_vasps_page_through_the_directory(directory_app: TestClient) -> None:
    first = conform(directory_app.get("/vasps", params={"limit": 2}))
    assert [vasp["vaspName"] for vasp in first["data"]] == ["Bitstamp", "Coinbase"]
    assert first["hasMore"] is True
    second = conform(directory_app.get("/vasps", params={"limit": 2, "cursor": first["nextCursor"]}))
    assert second == {"data": [{"vaspName": "Kraken", "url": "https://www.kraken.com"}], "hasMore": False}
    cursor = first["nextCursor"]
    tampered = directory_app.get("/vasps", params={"cursor": ("B" if cursor[0] == "A" else "A") + cursor[1:]})
    assert tampered.status_code == 400
    assert tampered.json()["details"]["errors"][0]["field"] == "cursor"


def test_vasp_name_must_be_in_the_directory(directory_app: TestClient) -> None:
    refused = directory_app.post("/platform/external-accounts", json=wallet("Mt. Gox"))
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["details"]["errors"]] == ["accountInfo.vaspName"]
    created = directory_app.post("/platform/external-accounts", json=wallet("kraken"))
    assert created.status_code == 201, created.text


def test_without_a_directory_vasps_is_empty_and_any_name_is_taken(api: TestClient) -> None:
    assert conform(api.get("/vasps")) == {"data": [], "hasMore": False}
    assert api.post("/platform/external-accounts", json=wallet("Some Exchange")).status_code == 201


def test_a_malformed_directory_file_stops_the_app_with_the_setting_named(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    broken = tmp_path / "vasps.json"
    broken.write_text(json.dumps([{"vaspName": ""}]))
    with pytest.raises(ValueError, match="RAILBOOK_VASPS_FILE"):
        api_client(settings.model_copy(update={"vasps_file": broken}), database)
