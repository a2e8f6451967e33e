"""The rail models are the contract: every accountType of both spec files has exactly one model, whose
fields, required set and constraints equal the spec's (recorded exceptions aside)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from railbook.external_accounts.rails.registry import MODELS, account_info_adapter
from tests.support.spec import CURRENT, LEGACY, spec

# Where Railbook knowingly differs from a schema, and why (docs/decisions.md).
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("PIX", "taxId"): "optional: seed 004's PIX example omits it and the seed wins",
    ("NGN_ACCOUNT", "purposeOfPayment"): "legacy generation field, still accepted and echoed",
    ("IBAN", "bankName"): "seed 004 sends it; the EGP, PKR and SWIFT accounts a legacy IBAN can become need it",
    ("CLABE", "bankName"): "seed 004 sends it: stored and answered back, not dropped (issue 16)",
    ("PIX", "bankName"): "seed 004 sends it: stored and answered back, not dropped (issue 16)",
    ("USD_ACCOUNT", "accountNumber"): "4-17 digits, as the guide says, stricter than the schema's 1-34 characters",
    ("US_ACCOUNT", "accountNumber"): "4-17 digits, as the guide says, stricter than the schema's 1-34 characters",
}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def _flatten(document: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of a schema, through allOf and $ref."""
    node = _resolve(document, node)
    properties: dict[str, Any] = {}
    required: set[str] = set(node.get("required", []))
    for part in node.get("allOf", []):
        more, needed = _flatten(document, part)
        properties.update(more)
        required |= needed
    properties.update({name: _resolve(document, value) for name, value in node.get("properties", {}).items()})
    return properties, required


def spec_variants(name: str) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """accountType -> (properties, required) of each create-request variant in a spec file."""
    document = spec(name)
    schemas = document["components"]["schemas"]
    union = schemas.get("ExternalAccountCreateInfoOneOf") or schemas["ExternalAccountInfoOneOf"]
    variants: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for member in union["oneOf"]:
        properties, required = _flatten(document, member)
        for account_type in properties["accountType"].get("enum", []):
            variants[account_type] = (properties, required)
    return variants


def enum_types(name: str) -> set[str]:
    return set(spec(name)["components"]["schemas"]["ExternalAccountType"]["enum"])


def model_fields(model: type[BaseModel]) -> tuple[dict[str, Any], set[str]]:
    """Wire name -> JSON schema of each field, and the required wire names."""
    schema = TypeAdapter(model).json_schema(by_alias=True)
    return schema.get("properties", {}), set(schema.get("required", []))


def test_every_account_type_of_both_generations_has_exactly_one_model() -> None:
    expected = enum_types(CURRENT) | enum_types(LEGACY)
    assert set(MODELS) == expected
    account_info_adapter()  # the union builds


@pytest.mark.parametrize(
    ("generation", "account_type"),
    [(CURRENT, t) for t in sorted(spec_variants(CURRENT))] + [(LEGACY, t) for t in sorted(spec_variants(LEGACY))
                                                             if t not in spec_variants(CURRENT)],
)  # fmt: skip
def test_model_fields_equal_the_spec(generation: str, account_type: str) -> None:
    properties, required = spec_variants(generation)[account_type]
    fields, model_required = model_fields(MODELS[account_type])
    exceptions = {field for (kind, field) in EXCEPTIONS if kind == account_type}
    assert set(fields) - exceptions == set(properties) - exceptions, f"{account_type} fields differ"
    assert model_required - exceptions == required - exceptions, f"{account_type} required fields differ"
    for name, declared in properties.items():
        if name in exceptions:
            continue
        actual = _constraints_of(fields[name])
        for key in ("pattern", "minLength", "maxLength", "enum"):
            if key in declared:
                assert actual.get(key) == declared[key], (
                    f"{account_type}.{name} {key}: {actual.get(key)} != {declared[key]}"
                )


def _constraints_of(field_schema: dict[str, Any]) -> dict[str, Any]:
    """Constraints of a field, looking through Optional (anyOf with null)."""
    for option in field_schema.get("anyOf", [field_schema]):
        if option.get("type") != "null":
            merged = dict(option)
            if "const" in merged:
                merged["enum"] = [merged["const"]]
            return merged
    return field_schema
