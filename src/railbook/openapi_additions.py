"""Operations and schemas Railbook serves beyond Grid's contract (rules as data), each marked `x-railbook`."""

from __future__ import annotations

from typing import Any

_WHY_VALIDATE = (
    "Railbook's addition (rules as data): the create's checks, every failing field at once, with nothing "
    "stored and no webhook sent."
)


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
                "200": {
                    "description": "The verdict; nothing was stored",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ExternalAccountValidation"}}
                    },
                },
                "400": {
                    "description": "The body is not a JSON object",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error400"}}},
                },
                "500": {
                    "description": "Internal service error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error500"}}},
                },
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

RAILBOOK_PATHS: dict[str, dict[str, Any]] = {
    "/customers/external-accounts/validate": _validate("ExternalAccountCreateRequest", "customer"),
    "/platform/external-accounts/validate": _validate("PlatformExternalAccountCreateRequest", "platform"),
}

RAILBOOK_SCHEMAS: dict[str, Any] = {
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
