"""Grid's contract as Railbook serves it: the cut of 2025-10-13 plus the pieces Grid published later.

The later pieces (`contract/grid-accounts-later.openapi.json`, from `contract/later/` at the
repository's root) name their source commits in `x-grid-source`. Merging adds their paths and
schemas, drops the paths Grid moved (`x-replaces-paths`), and extends schemas of the cut with
more oneOf members, discriminator mappings and enum values (`x-extends`), and gives the beneficiary
schemas Grid's limits and each currency its own business schema (`x-beneficiaries`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merged(cut: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """A new document: `cut` with the `later` pieces merged in (neither argument is changed)."""
    document = copy.deepcopy(dict(cut))
    paths: dict[str, Any] = document["paths"]
    for moved in later.get("x-replaces-paths", {}):
        paths.pop(moved, None)
    for path, item in later.get("paths", {}).items():
        paths[path] = copy.deepcopy(item)
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name, schema in later.get("components", {}).get("schemas", {}).items():
        if name in schemas:
            raise ValueError(f"{name} is in the cut already: extend it instead")
        schemas[name] = copy.deepcopy(schema)
    for name, extension in later.get("x-extends", {}).items():
        _extend(schemas[name], extension)
    if "x-beneficiaries" in later:
        _per_currency_beneficiaries(schemas, later["x-beneficiaries"])
    return document


def _extend(schema: dict[str, Any], extension: Mapping[str, Any]) -> None:
    for member in extension.get("oneOf", ()):
        if member not in schema["oneOf"]:
            schema["oneOf"].append(copy.deepcopy(member))
    if "mapping" in extension:
        schema["discriminator"]["mapping"].update(extension["mapping"])
    for value in extension.get("enum", ()):
        if value not in schema["enum"]:
            schema["enum"].append(value)


BENEFICIARY_TITLES = ("Individual Beneficiary", "Business Beneficiary")


def _per_currency_beneficiaries(schemas: dict[str, Any], table: Mapping[str, Any]) -> None:
    for schema in schemas.values():
        if schema.get("title") in BENEFICIARY_TITLES:
            for name, limit in table["limits"].items():
                if name in schema.get("properties", {}):
                    schema["properties"][name]["maxLength"] = limit
    for prefix, required in table["business"].items():
        business = f"{prefix}BusinessBeneficiary"
        schemas[business] = {**copy.deepcopy(schemas["BusinessBeneficiary"]), "required": list(required)}
        for suffix in ("ExternalAccountInfo", "ExternalAccountCreateInfo"):
            _business_branch(schemas[f"{prefix}{suffix}"], f"#/components/schemas/{business}")


def _business_branch(account_info: dict[str, Any], reference: str) -> None:
    """Point the BUSINESS branch of an account info's beneficiary oneOf at `reference`."""
    for part in account_info["allOf"]:
        beneficiary = part.get("properties", {}).get("beneficiary")
        if beneficiary is not None:
            for member in beneficiary["oneOf"]:
                if member.get("title") == "Business Beneficiary":
                    member["$ref"] = reference
            beneficiary["discriminator"]["mapping"]["BUSINESS"] = reference
            return
    raise LookupError(f"{account_info.get('title')} has no beneficiary oneOf")
