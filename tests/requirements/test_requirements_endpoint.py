"""GET /external-accounts/requirements over HTTP: the corridor's accountTypes and schemas the API itself agrees with."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from railbook.config import Mode
from railbook.db import Database
from railbook.external_accounts.rails.legacy import LegacyAccount
from railbook.external_accounts.rails.registry import MODELS
from railbook.requirements import create_body_schema, normalize
from tests.conftest import make_token
from tests.support.spec import conform

CASES = Path(__file__).parents[1] / "rail_cases"
REQUIREMENTS = "/external-accounts/requirements"


def test_eur_to_germany_for_a_person(api: TestClient) -> None:
    params = {"currency": "EUR", "country": "DE", "beneficiaryType": "INDIVIDUAL"}
    data = conform(api.get(REQUIREMENTS, params=params))["data"]
    assert [entry["accountType"] for entry in data] == ["EUR_ACCOUNT", "SWIFT_ACCOUNT"]
    eur = data[0]
    assert eur["paymentRails"] == ["SEPA", "SEPA_INSTANT"] and "DE" in eur["countries"]
    schema = eur["schema"]
    Draft202012Validator.check_schema(schema)
    info = schema["properties"]["accountInfo"]
    iban = info["properties"]["iban"]
    assert (iban["title"], iban["x-railbook-check"], iban["x-railbook-normalize"]) == (
        "IBAN", "iban-sepa", "compact-uppercase",
    )  # fmt: skip
    body = {
        "currency": "EUR",
        "accountInfo": {
            "accountType": "EUR_ACCOUNT",
            "iban": "DE89 3704 0044 0532 0130 00",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Anna Schmidt", "countryOfResidence": "DE"},
        },
    }
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    assert not list(validator.iter_errors(normalize(schema, body)))
    business = json.loads(json.dumps(body))
    business["accountInfo"]["beneficiary"] = {"beneficiaryType": "BUSINESS", "legalName": "Schmidt GmbH"}
    assert list(validator.iter_errors(normalize(schema, business))), "only the INDIVIDUAL variant was asked for"


def test_without_filters_every_current_account_type_is_offered(api: TestClient) -> None:
    offered = [entry["accountType"] for entry in conform(api.get(REQUIREMENTS))["data"]]
    current = [name for name, model in MODELS.items() if not issubclass(model, LegacyAccount)]
    assert offered == current


def test_every_valid_row_passes_the_served_schema(api: TestClient) -> None:
    schemas = {entry["accountType"]: entry["schema"] for entry in api.get(REQUIREMENTS).json()["data"]}
    refused = []
    for table in sorted(CASES.glob("*.json")):
        for case in json.loads(table.read_text())["valid"]:
            schema = schemas[case["accountInfo"]["accountType"]]
            body = {"currency": case["currency"], "accountInfo": case["accountInfo"], **case.get("extra", {})}
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
            if list(validator.iter_errors(normalize(schema, body))):
                refused.append(case["name"])
    assert not refused


def test_test_networks_are_offered_in_sandbox_only(client: TestClient, database: Database) -> None:
    def networks(mode: Mode) -> list[str]:
        token = make_token(database, "acme", mode)
        entry = client.get(REQUIREMENTS, params={"accountType": "ARBITRUM_WALLET"}, headers=token.headers).json()
        network = entry["data"][0]["schema"]["properties"]["cryptoNetwork"]
        [choice] = [option for option in network["anyOf"] if "enum" in option]
        return list(choice["enum"])

    assert networks(Mode.SANDBOX) == ["ARBITRUM_MAINNET", "ARBITRUM_SEPOLIA"]
    assert networks(Mode.PRODUCTION) == ["ARBITRUM_MAINNET"]


def test_a_corridor_no_type_serves_is_an_empty_list(api: TestClient) -> None:
    params = {"currency": "EUR", "accountType": "MXN_ACCOUNT"}
    assert conform(api.get(REQUIREMENTS, params=params)) == {"data": []}


def test_unknown_filters_are_named(api: TestClient) -> None:
    response = api.get(REQUIREMENTS, params={"currency": "EURO", "country": "XX", "accountType": "GOLD_BARS"})
    body = conform(response)
    assert response.status_code == 400
    assert {error["field"] for error in body["details"]["errors"]} == {"currency", "country", "accountType"}
    assert api.get(REQUIREMENTS, params={"beneficiaryType": "ROBOT"}).status_code == 400


def test_the_served_schemas_are_the_generated_ones_the_agreement_test_checks(api: TestClient) -> None:
    # tests/external_accounts/test_requirements_schema.py holds create_body_schema to the API's verdicts;
    # this ties what clients are served to it, for every accountType (sandbox, customer path).
    for entry in conform(api.get(REQUIREMENTS, params={"path": "customer"}))["data"]:
        generated = create_body_schema(entry["accountType"], beneficiary_type=None, sandbox=True, customer_path=True)
        assert entry["schema"] == generated, entry["accountType"]


def test_either_or_groups_are_stated_in_the_served_schema(api: TestClient) -> None:
    entry = conform(api.get(REQUIREMENTS, params={"accountType": "GHS_ACCOUNT"}))["data"][0]
    schema = entry["schema"]
    info = schema["properties"]["accountInfo"]
    assert info["x-railbook-either-or"] == {"groups": [["accountNumber"], ["phoneNumber"]], "exclusive": True}
    person = {"beneficiaryType": "INDIVIDUAL", "fullName": "Ama Owusu"}
    mobile = {"accountType": "GHS_ACCOUNT", "phoneNumber": "+233241234567", "bankName": "MTN", "beneficiary": person}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())

    def refused_by(account_info: dict[str, object]) -> set[str]:
        body = {"currency": "GHS", "accountInfo": account_info}
        return {str(error.validator) for error in validator.iter_errors(normalize(schema, body))}

    assert refused_by(mobile) == set()
    assert refused_by({**mobile, "accountNumber": "1441001234567"}) == {"oneOf"}  # both shapes
    assert refused_by({key: value for key, value in mobile.items() if key != "phoneNumber"}) == {"oneOf"}  # neither
