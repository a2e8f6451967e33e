"""Operations and schemas Railbook serves beyond Grid's contract (rules as data), each marked `x-railbook`."""

from __future__ import annotations

from typing import Any

_WHY_VALIDATE = (
    "Railbook's addition (rules as data): the create's checks, every failing field at once, with nothing "
    "stored and no webhook sent."
)


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _validate(create_request: str, path_kind: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"Validate a {path_kind} external account without creating it",
            "description": (
                "Takes exactly the create body and answers what the create would decide: `errors` as the create "
                "would list them, `warnings` for what passes but deserves attention (a sandbox check-digit "
                "failure production refuses, an EVM address in lower case, a Lightning invoice expiring within "
                "the hour, a duplicate of an existing account with its id), `normalized` the accountInfo as the "
                "create would answer it, and `derived` the facts the identifiers give (bank and BIC of an IBAN, "
                "the bank of a CLABE, a BOLT11 invoice's network, amount and expiry, the EIP-55 form of an address). "
                "A body that is not JSON, or not an object, is a 400 as for the create."
            ),
            "operationId": f"validate{path_kind.title()}ExternalAccount",
            "tags": ["External Accounts"],
            "security": [{"BasicAuth": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{create_request}"}}},
            },
            "responses": {
                "200": _json("The verdict; nothing was stored", "ExternalAccountValidation"),
                "400": _json("The body is not a JSON object", "Error400"),
                "500": _json("Internal service error", "Error500"),
            },
            "x-railbook": _WHY_VALIDATE,
        }
    }


_NOTE = {
    "type": "object",
    "required": ["field", "code", "message"],
    "properties": {
        "field": {"type": "string", "description": "Dot-notation path to the field the warning is about."},
        "code": {
            "type": "string",
            "enum": ["CHECK_DIGITS_SANDBOX_ONLY", "ADDRESS_NOT_CHECKSUMMED", "INVOICE_EXPIRES_SOON", "DUPLICATE"],
        },
        "message": {"type": "string"},
        "existingId": {"type": "string", "description": "DUPLICATE: the existing account a create would name."},
    },
}

_WHY_REQUIREMENTS = (
    "Railbook's addition (rules as data): the rules the create applies, as JSON Schema generated from the same "
    "rail models, so a client can ask before it sends."
)


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_REQUIREMENTS = {
    "get": {
        "summary": "What a corridor's external accounts need",
        "description": (
            "The accountTypes that pay `currency` into `country` (every filter optional), each with a JSON Schema "
            "(draft 2020-12) of the whole create body: required and optional fields, patterns, enums, lengths, "
            "the beneficiary variant, a label (`title`) and contract examples per field. Checks only the server "
            "can make are marked `x-railbook-check` (check digits, registries, directory names), cross-field "
            "rules `x-railbook-checks` on accountInfo, and normalisations applied before the patterns "
            "`x-railbook-normalize`. A corridor no accountType serves is an empty list."
        ),
        "operationId": "getExternalAccountRequirements",
        "tags": ["External Accounts"],
        "security": [{"BasicAuth": []}],
        "parameters": [
            _query(
                "currency", "ISO 4217 code, or a currency an accountType takes (BTC, USDC, USDT)", {"type": "string"}
            ),
            _query("country", "ISO 3166-1 alpha-2 code of the country paid into", {"type": "string"}),
            _query(
                "beneficiaryType",
                "Only this beneficiary variant",
                {"type": "string", "enum": ["INDIVIDUAL", "BUSINESS"]},
            ),
            _query("accountType", "Only this accountType", {"type": "string"}),
            _query(
                "path",
                "The create the schema describes: POST /customers/external-accounts or /platform/external-accounts",
                {"type": "string", "enum": ["customer", "platform"], "default": "customer"},
            ),
        ],
        "responses": {
            "200": _json("The accountTypes serving the corridor", "ExternalAccountRequirements"),
            "400": _json("An unknown currency, country or accountType, named", "Error400"),
            "500": _json("Internal service error", "Error500"),
        },
        "x-railbook": _WHY_REQUIREMENTS,
    }
}

RAILBOOK_PATHS: dict[str, dict[str, Any]] = {
    "/external-accounts/requirements": _REQUIREMENTS,
    "/customers/external-accounts/validate": _validate("ExternalAccountCreateRequest", "customer"),
    "/platform/external-accounts/validate": _validate("PlatformExternalAccountCreateRequest", "platform"),
}

_NULLABLE_CODES = {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}

RAILBOOK_SCHEMAS: dict[str, Any] = {
    "ExternalAccountRequirements": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "accountType",
                        "currencies",
                        "countries",
                        "paymentRails",
                        "beneficiaryTypes",
                        "schema",
                    ],
                    "properties": {
                        "accountType": {"type": "string"},
                        "currencies": {**_NULLABLE_CODES, "description": "null: any ISO 4217 currency"},
                        "countries": {**_NULLABLE_CODES, "description": "null: any country"},
                        "paymentRails": {"type": "array", "items": {"type": "string"}},
                        "beneficiaryTypes": {"type": "array", "items": {"type": "string"}},
                        "schema": {
                            "type": "object",
                            "additionalProperties": True,
                            "description": "JSON Schema (draft 2020-12) of the create body",
                        },
                    },
                },
            }
        },
        "x-railbook": _WHY_REQUIREMENTS,
    },
    "ExternalAccountValidation": {
        "type": "object",
        "required": ["valid", "errors", "warnings", "derived"],
        "properties": {
            "valid": {"type": "boolean", "description": "Whether the create would succeed (warnings aside)."},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "warnings": {"type": "array", "items": _NOTE},
            "normalized": {
                "type": "object",
                "additionalProperties": True,
                "description": "Present when valid: the accountInfo as the create would store and answer it.",
            },
            "derived": {
                "type": "object",
                "additionalProperties": True,
                "description": "Facts from the identifiers, by group (iban, bic, clabe, bank, lightning, evm), "
                "each naming its `source`.",
            },
        },
        "x-railbook": _WHY_VALIDATE,
    },
}
