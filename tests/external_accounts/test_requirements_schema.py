"""The generated requirements schemas agree with the API on every row of the rail case tables.

Each row is built as test_rail_cases posts it, normalised as its schema says, and validated with
jsonschema against `create_body_schema(accountType, beneficiary_type=<the row's>, sandbox=False,
customer_path=False)`. The schema may be laxer than the API only where it says a server-side check
decides (`x-railbook-check` on the field, or an `x-railbook-checks` cross rule on an object around it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from jsonschema import Draft202012Validator, ValidationError

from railbook.config import Mode
from railbook.errors import GridError
from railbook.external_accounts.discovered import build_directory
from railbook.external_accounts.parsing import parse_create
from railbook.external_accounts.rails.registry import MODELS
from railbook.principal import Principal
from railbook.requirements import (
    account_types,
    all_schemas,
    create_body_schema,
    normalize,
    server_checks,
)
from railbook.requirements.markers import CHECK, EITHER_OR, NORMALIZERS
from railbook.requirements.paths import field_schemas
from railbook.requirements.shape import names_of

CASES = Path(__file__).parents[1] / "rail_cases"
TABLES = [*sorted(CASES.glob("*.json")), CASES / "legacy" / "cases.json"]
PRODUCTION = Principal("token", "platform", Mode.PRODUCTION)
# The directory a default deployment has (no operator files).
DIRECTORY = build_directory(None, None)
Case = dict[str, Any]


def rows(kind: str) -> Iterator[tuple[str, Case]]:
    for table in TABLES:
        for case in json.loads(table.read_text()).get(kind, []):
            yield f"{table.relative_to(CASES)}: {case['name']!r}", case


def body_of(case: Case) -> dict[str, Any]:
    """The request test_rail_cases posts for a row."""
    body = {"currency": case["currency"], "accountInfo": case["accountInfo"]}
    body.update(case.get("extra", {}))
    return copy.deepcopy(body)


def schema_for(case: Case, *, sandbox: bool = False) -> dict[str, Any]:
    beneficiary = case["accountInfo"].get("beneficiary")
    beneficiary_type = beneficiary.get("beneficiaryType") if isinstance(beneficiary, dict) else None
    return create_body_schema(
        case["accountInfo"]["accountType"],
        beneficiary_type=beneficiary_type if isinstance(beneficiary_type, str) else None,
        sandbox=sandbox,
        customer_path=False,
    )


def dotted(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def failing_fields(schema: dict[str, Any], body: Any) -> set[str]:
    """The fields the schema refuses, named as the API names them (`accountInfo.beneficiary.fullName`)."""
    fields: set[str] = set()
    # Formats asserted (date, email): an annotation by default in 2020-12, but the API checks them too.
    for error in Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body):
        fields |= fields_of(error)
    return fields


def fields_of(error: ValidationError) -> set[str]:
    """Where an error lies, in the API's terms.

    - `required` and `additionalProperties` name the object; the API names the missing or unknown key.
    - A discriminated oneOf is judged as Pydantic does: a missing or unknown tag is an error on the tag,
      otherwise only the member the tag selects is looked into.
    - An `anyOf [X, null]` (an optional field) is an error of X.
    """
    path = dotted(error.absolute_path)
    prefix = f"{path}." if path else ""
    instance = error.instance
    if error.validator == "required":
        return {f"{prefix}{name}" for name in error.validator_value if name not in instance}
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return {f"{prefix}{name}" for name in instance if name not in known}
    choice = error.schema.get(EITHER_OR) if error.validator in ("oneOf", "anyOf") else None
    if choice is not None and isinstance(instance, dict):
        return {f"{prefix}{name}" for name in choice_fields(choice, instance)}
    if error.validator in ("oneOf", "anyOf") and error.context:
        members = error.schema[error.validator]
        discriminator = error.schema.get("discriminator")
        if discriminator and isinstance(instance, dict):
            tag = instance.get(discriminator["propertyName"])
            reference = discriminator["mapping"].get(tag) if isinstance(tag, str) else None
            if reference is None:
                return {f"{prefix}{discriminator['propertyName']}"}
            chosen = {index for index, member in enumerate(members) if member.get("$ref") == reference}
        else:
            chosen = {index for index, member in enumerate(members) if member != {"type": "null"}}
        if len(chosen) == 1:
            inner = [sub for sub in error.context if sub.relative_schema_path[0] in chosen]
            if inner:
                return set().union(*(fields_of(sub) for sub in inner))
    return {path or "body"}


def choice_fields(choice: dict[str, Any], instance: dict[str, Any]) -> set[str]:
    """The fields the API names when an either-or choice fails (null and "" count as absent, as there)."""
    groups = [tuple(group) for group in choice["groups"]]
    given = {name for group in groups for name in group if instance.get(name) not in (None, "")}
    started = [group for group in groups if given & set(group)]
    if not given:
        return {name for group in groups for name in group}  # none: every field of the choice
    if choice["exclusive"] and len(started) > 1:
        return given  # several shapes: the ones given
    # One shape begun but not finished: what it still lacks.
    return {name for group in started for name in group if name not in given}


def field_checks(schema: dict[str, Any], field: str) -> list[str]:
    """The `x-railbook-check` names on the field itself (not the cross rules around it)."""
    return [name for node in field_schemas(schema, field) for name in names_of(node.get(CHECK))]


def judge_invalid(schema: dict[str, Any], case: Case) -> str | None:
    """None when the schema agrees with the API about an invalid row, else why not.

    Rule: every field the schema refuses must be one the API reports (never stricter, never elsewhere);
    every field the API reports that the schema does not refuse must be decided by a named server-side
    check (its own marker or a cross rule around it). So a schema refusing a subset is fine exactly when
    the rest are cross-field or check-digit failures, and accepting the row is fine when all of them are.
    """
    expected = set(case["fields"])
    named = failing_fields(schema, normalize(schema, body_of(case)))
    stricter = named - expected
    unmarked = sorted(field for field in expected - named if not server_checks(schema, field))
    # A marker excuses only what a server check decides: a failure of a constraint the schema states
    # itself (Pydantic's own messages: a missing field, a length, a pattern, an enum) must be refused there.
    stated = sorted(
        field for field, messages in api_errors(case).items()
        if field not in named and any(message.startswith(SCHEMA_STATED) for message in messages)
    )  # fmt: skip
    if stricter:
        return f"schema refuses {sorted(stricter)} where the API reports {sorted(expected)}"
    if stated:
        return f"schema lets {stated} through, though their failure is a constraint it states"
    if unmarked:
        verdict = "accepts the row" if not named else f"refuses only {sorted(named)}"
        return f"schema {verdict}, and {unmarked} carry no server-side check"
    return None


# How Pydantic words the failure of a constraint JSON Schema also states (required, lengths, patterns, enums).
SCHEMA_STATED = ("Field required", "String should have at", "String should match pattern", "Input should be")


def api_errors(case: Case) -> dict[str, list[str]]:
    """The messages parse_create (production) gives for a row, by field."""
    try:
        parse_create(body_of(case), PRODUCTION, DIRECTORY, customer_path=False)
    except GridError as exc:
        found: dict[str, list[str]] = {}
        for error in (exc.details or {}).get("errors", []):
            found.setdefault(error["field"], []).append(str(error.get("message", "")))
        return found
    return {}


def api_fields(case: Case) -> set[str]:
    """The fields parse_create (production) reports for a row."""
    return set(api_errors(case))


def judge_sandbox_only(label: str, case: Case) -> list[str]:
    """A sandbox_only row is valid for the sandbox schema; in production it fails only where the schema says so.

    Check-digit rows: the production schema accepts them and each field production refuses carries its own
    x-railbook-check. Test-network rows (cryptoNetwork): the production schema states the rule (mainnet only)
    and refuses exactly the fields the API refuses.
    """
    failures = []
    sandbox = schema_for(case, sandbox=True)
    refused_in_sandbox = failing_fields(sandbox, normalize(sandbox, body_of(case)))
    if refused_in_sandbox:
        failures.append(f"sandbox_only {label}: the sandbox schema refuses {sorted(refused_in_sandbox)}")
    production = schema_for(case)
    refused = failing_fields(production, normalize(production, body_of(case)))
    expected = api_fields(case)
    unmarked = sorted(field for field in expected if not field_checks(production, field))
    if refused and refused != expected:
        failures.append(f"sandbox_only {label}: schema refuses {sorted(refused)}, production {sorted(expected)}")
    if not refused and unmarked:
        failures.append(f"sandbox_only {label}: {unmarked} fail in production but carry no x-railbook-check")
    return failures


def test_the_schema_agrees_with_every_rail_case() -> None:
    failures: list[str] = []
    for label, case in rows("valid"):
        schema = schema_for(case)
        refused = failing_fields(schema, normalize(schema, body_of(case)))
        if refused:
            failures.append(f"valid {label}: schema refuses {sorted(refused)}")
    for label, case in rows("sandbox_only"):
        failures += judge_sandbox_only(label, case)
    for label, case in rows("invalid"):
        verdict = judge_invalid(schema_for(case), case)
        if verdict:
            failures.append(f"invalid {label}: {verdict}")
    assert not failures, f"{len(failures)} disagreements:\n" + "\n".join(failures)


def test_sandbox_rows_fail_in_production_on_a_field() -> None:
    # Guards the sandbox_only check above: it is vacuous if parse_create named no field.
    assert all(api_fields(case) for _, case in rows("sandbox_only"))


def test_a_schema_without_a_pattern_lets_an_invalid_row_through() -> None:
    (case,) = [case for label, case in rows("invalid") if label == "uk.json: 'sort code with a letter'"]
    schema = schema_for(case)
    assert judge_invalid(schema, case) is None
    del schema["properties"]["accountInfo"]["properties"]["sortCode"]["pattern"]
    verdict = judge_invalid(schema, case)
    assert verdict is not None and "accountInfo.sortCode" in verdict


def test_a_marked_field_without_its_pattern_and_lengths_is_caught() -> None:
    # The IBAN carries x-railbook-check, yet its length and shape are the schema's to state.
    cases = [case for label, case in rows("invalid") if label == "iban.json: 'ILS IBAN one digit short'"]
    (case,) = cases
    schema = schema_for(case)
    assert judge_invalid(schema, case) is None
    for constraint in ("pattern", "minLength", "maxLength"):
        schema["properties"]["accountInfo"]["properties"]["iban"].pop(constraint, None)
    verdict = judge_invalid(schema, case)
    assert verdict is not None and "accountInfo.iban" in verdict


def test_every_schema_is_valid_draft_2020_12_and_json() -> None:
    schemas = all_schemas()
    assert {variant.account_type for variant in schemas} == set(MODELS) == set(account_types())
    for variant, schema in schemas.items():
        jsonschema_rs.meta.validate(schema)  # raises, naming the place, on a schema that is not draft 2020-12
        assert orjson.loads(orjson.dumps(schema)) == schema, variant


@pytest.mark.parametrize("account_type", sorted(MODELS))
def test_the_beneficiary_union_narrows_to_one_member(account_type: str) -> None:
    full = create_body_schema(account_type, beneficiary_type=None, sandbox=False, customer_path=True)
    beneficiary = full["properties"]["accountInfo"]["properties"].get("beneficiary")
    if beneficiary is None:
        pytest.skip(f"{account_type} has no beneficiary")
    narrowed = create_body_schema(account_type, beneficiary_type="BUSINESS", sandbox=False, customer_path=True)
    assert "discriminator" not in orjson.dumps(narrowed["properties"]["accountInfo"]).decode()
    assert "customerId" in narrowed["properties"]


def test_test_networks_only_in_sandbox() -> None:
    production = create_body_schema("ETHEREUM_WALLET", beneficiary_type=None, sandbox=False, customer_path=False)
    sandbox = create_body_schema("ETHEREUM_WALLET", beneficiary_type=None, sandbox=True, customer_path=False)
    body = {"currency": "USDC", "cryptoNetwork": "ETHEREUM_SEPOLIA", "accountInfo": {
        "accountType": "ETHEREUM_WALLET", "address": "0x52908400098527886E0F7030069857D2E4169EE7"}}  # fmt: skip
    assert failing_fields(production, body) == {"cryptoNetwork"}
    assert failing_fields(sandbox, body) == set()


def test_normalizers_are_the_functions_the_api_applies() -> None:
    assert NORMALIZERS["compact-uppercase"]("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert NORMALIZERS["phone-compact"]("+44 (20) 7946-0958") == "+442079460958"
    assert NORMALIZERS["sort-code-hyphens"]("60-16-13") == "601613"
    assert NORMALIZERS["flatten-business-info"]({"businessInfo": {"legalName": "Acme"}}) == {"legalName": "Acme"}
    seed = {"currency": "USD", "accountInfo": {"accountType": "US_ACCOUNT", "platformAccountId": "ext-1"}}
    hoisted = {"currency": "USD", "accountInfo": {"accountType": "US_ACCOUNT"}, "platformAccountId": "ext-1"}
    assert NORMALIZERS["hoist-platform-account-id"](seed) == hoisted
    assert NORMALIZERS["hoist-platform-account-id"]("not a body") == "not a body"


def test_every_validator_of_a_field_is_marked_where_it_sits() -> None:
    schema = create_body_schema("BRL_ACCOUNT", beneficiary_type="INDIVIDUAL", sandbox=False, customer_path=False)
    assert server_checks(schema, "accountInfo.taxId") == ["cpf-cnpj-check-digits"]
    assert server_checks(schema, "accountInfo.pixKey") == ["pix-key"]
    assert server_checks(schema, "accountInfo.beneficiary.phoneNumber") == ["phone-number"]
    assert server_checks(schema, "accountInfo.pixKeyType") == []
    cop = create_body_schema("COP_ACCOUNT", beneficiary_type=None, sandbox=False, customer_path=False)
    assert server_checks(cop, "accountInfo.bankName") == ["cop-account-rules"]
    (phone,) = [node for node in field_schemas(cop, "accountInfo.phoneNumber") if CHECK in node]
    assert phone["x-railbook-check-args"] == {"country": "CO"}
    assert phone["x-railbook-normalize"] == "phone-compact"
