"""The legacy generation (US_ACCOUNT, CLABE, PIX, IBAN, UPI): its own case table, answered in the legacy shape.

The rows live in tests/legacy_rail_cases.json (same format as tests/rail_cases, plus `stored_as`), not in
tests/rail_cases: the shared runner checks responses against the current contract, and legacy answers follow
the legacy one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import ValidationError
from pydantic import ValidationError as PydanticValidationError

from railbook.config import Mode
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.external_accounts.rails import legacy
from railbook.external_accounts.rails.checks import RuleContext
from railbook.external_accounts.rails.registry import MODELS
from tests.conftest import Token, make_token
from tests.support.spec import LEGACY, conform, validator

CASES: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).parents[1] / "rail_cases" / "legacy" / "cases.json").read_text()
)
LEGACY_TYPES = {"US_ACCOUNT", "CLABE", "PIX", "IBAN", "UPI"}


def post(client: TestClient, token: Token, case: dict[str, Any]) -> Any:
    payload = {"currency": case["currency"], "accountInfo": case["accountInfo"], **case.get("extra", {})}
    return client.post("/platform/external-accounts", json=payload, headers=token.headers)


def violations(body: Any, schema_name: str, spec_name: str | None = None) -> set[str]:
    """The messages of every violation of components.schemas[schema_name], inside the branch a oneOf picks."""
    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    checker = validator(schema, spec_name) if spec_name else validator(schema)
    return leaf_messages(checker.iter_errors(body))


def leaf_messages(errors: Iterable[ValidationError]) -> set[str]:
    """Error messages, descending into a failed oneOf through the one branch its discriminator selects."""
    messages: set[str] = set()
    for error in errors:
        if error.validator == "oneOf" and error.context:
            branches: dict[Any, list[ValidationError]] = defaultdict(list)
            for sub in error.context:
                branches[sub.relative_schema_path[0]].append(sub)
            selected = [subs for subs in branches.values() if not any(is_tag_mismatch(sub) for sub in subs)]
            if len(selected) == 1:
                messages |= leaf_messages(selected[0])
                continue
        messages.add(error.message)
    return messages


def is_tag_mismatch(error: ValidationError) -> bool:
    return error.validator == "enum" and list(error.relative_path) in (["accountType"], ["beneficiaryType"])


def create_schema_of(account_type: str) -> str:
    """`EUR_ACCOUNT` -> `EurExternalAccountCreateInfo` (the current generation's create schema)."""
    return account_type.split("_")[0].capitalize() + "ExternalAccountCreateInfo"


def stored_row(database: Database, account_id: str) -> tuple[str, str | None, dict[str, Any]]:
    with database.reading() as session:
        account = session.get(ExternalAccount, account_id)
        assert account is not None
        return account.account_type, account.legacy_type, dict(account.account_info)


def test_every_legacy_type_has_valid_sandbox_and_invalid_rows() -> None:
    for kind in ("valid", "invalid"):
        assert {case["accountInfo"]["accountType"] for case in CASES[kind]} == LEGACY_TYPES, kind
    # A VPA has no check digit: nothing for sandbox to let through.
    assert {case["accountInfo"]["accountType"] for case in CASES["sandbox_only"]} == LEGACY_TYPES - {"UPI"}


def test_legacy_cases(client: TestClient, database: Database) -> None:
    production = make_token(database, "acme", Mode.PRODUCTION)
    sandbox = make_token(database, "acme", Mode.SANDBOX)
    failures: list[str] = []
    for case in CASES["valid"]:
        response = post(client, production, case)
        if response.status_code != 201:
            failures.append(f"valid {case['name']!r}: {response.status_code} {response.text}")
            continue
        failures += check_valid(client, production, database, case, response.json())
    for case in CASES["sandbox_only"]:
        refused, accepted = post(client, production, case), post(client, sandbox, case)
        if refused.status_code != 400 or accepted.status_code != 201:
            failures.append(f"sandbox_only {case['name']!r}: production {refused.status_code}, "
                            f"sandbox {accepted.status_code} {accepted.text}")  # fmt: skip
    for case in CASES["invalid"]:
        response = post(client, production, case)
        body = response.json()
        fields = {error["field"] for error in body.get("details", {}).get("errors", [])}
        code = case.get("code", "INVALID_INPUT")
        if response.status_code != 400 or body.get("code") != code or fields != set(case["fields"]):
            failures.append(f"invalid {case['name']!r}: {response.status_code} {body.get('code')} {sorted(fields)}, "
                            f"expected {sorted(case['fields'])}")  # fmt: skip
    assert not failures, "\n".join(failures)


def check_valid(
    client: TestClient, token: Token, database: Database, case: dict[str, Any], body: dict[str, Any]
) -> list[str]:
    """A created legacy row: legacy answer (create and GET), stored as the current type it became."""
    name = case["name"]
    failures = []
    unexpected = violations(body, "ExternalAccount", LEGACY) - set(case.get("legacy_violations", []))
    if unexpected:
        failures.append(f"valid {name!r}: legacy ExternalAccount violations {sorted(unexpected)}")
    info = body["accountInfo"]
    model = MODELS[case["accountInfo"]["accountType"]]
    allowed = {"accountType", *model.legacy_fields}  # type: ignore[attr-defined]
    if info["accountType"] != case["accountInfo"]["accountType"] or not set(info) <= allowed:
        failures.append(f"valid {name!r}: answered {sorted(info)}, legacy fields are {sorted(allowed)}")
    again = client.get(f"/platform/external-accounts/{body['id']}", headers=token.headers)
    if again.status_code != 200 or again.json() != body:
        failures.append(f"valid {name!r}: GET answered {again.status_code} {again.text}")
    account_type, legacy_type, stored = stored_row(database, body["id"])
    if (account_type, legacy_type, stored["accountType"]) != (case["stored_as"], info["accountType"], account_type):
        failures.append(f"valid {name!r}: stored as {account_type}/{legacy_type}, expected {case['stored_as']}")
    unexpected = violations(stored, create_schema_of(account_type)) - set(case.get("stored_violations", []))
    if unexpected:
        failures.append(f"valid {name!r}: stored {account_type} violates the current contract: {sorted(unexpected)}")
    if not case.get("stored_violations"):
        # A field the legacy request carried beyond the current type's schema is kept, not checked by it.
        current_fields = {key: value for key, value in stored.items() if key not in case.get("kept_from_legacy", [])}
        failures += current_model_refusals(name, account_type, current_fields)
    return failures


def current_model_refusals(name: str, account_type: str, stored: dict[str, Any]) -> list[str]:
    """What the current generation's own model says about the stored form (nothing, when the mapping is right)."""
    current = MODELS[account_type]
    problems = [str(error) for error in current.cross_rules(stored)]
    try:
        current.model_validate(stored, context=RuleContext())
    except PydanticValidationError as exc:
        problems.append(str(exc))
    return [f"valid {name!r}: the stored {account_type} is refused by its model: {problems}"] if problems else []


def test_a_legacy_answer_is_not_a_current_one(client: TestClient, database: Database) -> None:
    # Why these rows are not in tests/rail_cases: the current contract has no CLABE.
    clabe = next(case for case in CASES["valid"] if case["accountInfo"]["accountType"] == "CLABE")
    response = post(client, make_token(database, "acme", Mode.PRODUCTION), clabe)
    assert response.status_code == 201
    with pytest.raises(AssertionError):
        conform(response)


@pytest.mark.parametrize("model", legacy.MODELS, ids=lambda model: model.__name__)
def test_legacy_rail_is_the_current_types_rail(model: type[legacy.LegacyAccount]) -> None:
    current = MODELS.get(model.current_type)
    if current is None:
        pytest.skip(f"{model.current_type} is not registered yet")
    assert model.rail.payment_rails == current.rail.payment_rails
    assert model.rail.name_check == current.rail.name_check
    assert model.rail.is_wallet is current.rail.is_wallet
    if model is not legacy.LegacyIbanAccount:
        assert model.rail.currencies == current.rail.currencies


def test_iban_maps_by_country() -> None:
    expected = {
        "DE89370400440532013000": "EUR_ACCOUNT",
        "GB51NWBK60161331926811": "EUR_ACCOUNT",
        "DK0700400440116241": "DKK_ACCOUNT",
        "AE450331234567890123451": "AED_ACCOUNT",
        "EG650019000500000000263180001": "EGP_ACCOUNT",
        "PK63SCBL0000001123456701": "PKR_ACCOUNT",
        "SA2580000000608010167511": "SWIFT_ACCOUNT",
        "TR330006100519786457841326": "SWIFT_ACCOUNT",
    }
    for iban, account_type in expected.items():
        target = legacy.iban_target(iban)
        assert target is not None and target[0] == account_type, iban
        current = MODELS.get(account_type)
        if current is not None and target[1] is not None:
            assert current.rail.currencies == frozenset({target[1]})
    assert legacy.iban_target("XX00") is None and legacy.iban_target(None) is None


def test_iban_stored_fields_per_target() -> None:
    beneficiary = {"beneficiaryType": "BUSINESS", "legalName": "Acme"}

    def stored(iban: str, bic: str, **extra: str) -> dict[str, Any]:
        info = {"accountType": "IBAN", "iban": iban, "swiftBic": bic, "beneficiary": beneficiary, **extra}
        return legacy.LegacyIbanAccount.model_validate(info).stored()

    # A bankName the client sent is kept (issue 16: nothing is dropped in silence).
    assert stored("de89 3704 0044 0532 0130 00", "DEUTDEFF", bankName="Deutsche Bank") == {
        "accountType": "EUR_ACCOUNT", "iban": "DE89370400440532013000", "swiftCode": "DEUTDEFF",
        "bankName": "Deutsche Bank", "beneficiary": beneficiary,
    }  # fmt: skip
    assert "bankName" not in stored("DE89370400440532013000", "DEUTDEFF")
    assert stored("PK63SCBL0000001123456701", "SCBLPKKX", bankName="SCB Pakistan") == {
        "accountType": "PKR_ACCOUNT", "iban": "PK63SCBL0000001123456701", "swiftCode": "SCBLPKKX",
        "bankName": "SCB Pakistan", "accountNumber": "0000001123456701", "beneficiary": beneficiary,
    }  # fmt: skip
    assert stored("SA2580000000608010167511", "RJHISARI") == {
        "accountType": "SWIFT_ACCOUNT", "iban": "SA2580000000608010167511", "swiftCode": "RJHISARI",
        "bankName": "AL RAJHI BANK", "country": "SA", "beneficiary": beneficiary,
    }  # fmt: skip


def test_render_legacy_gives_back_what_was_sent() -> None:
    for case in CASES["valid"]:
        sent = case["accountInfo"]
        model = MODELS[sent["accountType"]]
        parsed = model.model_validate(sent)
        rendered = model.render_legacy(parsed.stored())  # type: ignore[attr-defined]
        expected = {key: value for key, value in parsed.wire().items() if key in {"accountType", *model.legacy_fields}}  # type: ignore[attr-defined]
        if "bankName" not in sent:
            # A SWIFT, EGP or PKR account needs a bank name: the one the BIC registry gives is answered too.
            rendered.pop("bankName", None)
        assert rendered == expected, case["name"]
        assert "paymentRails" not in rendered


def test_legacy_and_current_generations_share_destinations(client: TestClient, database: Database) -> None:
    token = make_token(database, "acme", Mode.PRODUCTION)
    beneficiary = {"beneficiaryType": "BUSINESS", "legalName": "Acme", "countryOfResidence": "DE",
                   "registrationNumber": "HRB 1", "taxId": "DE123456789"}  # fmt: skip
    legacy_iban = {"accountType": "IBAN", "iban": "DE07100100100123456788", "swiftBic": "PBNKDEFF",
                   "beneficiary": beneficiary}  # fmt: skip
    current = {"accountType": "EUR_ACCOUNT", "iban": "DE07100100100123456788", "beneficiary": beneficiary}
    assert post(client, token, {"currency": "EUR", "accountInfo": legacy_iban}).status_code == 201
    assert post(client, token, {"currency": "EUR", "accountInfo": current}).status_code == 409
    upi = {"accountType": "UPI", "vpa": "shared@okaxis", "beneficiary": beneficiary}
    inr = {"accountType": "INR_ACCOUNT", "vpa": "shared@okaxis", "beneficiary": beneficiary}
    assert post(client, token, {"currency": "INR", "accountInfo": inr}).status_code == 201
    assert post(client, token, {"currency": "INR", "accountInfo": upi}).status_code == 409
