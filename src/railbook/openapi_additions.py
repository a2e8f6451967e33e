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

_WHY_EVENTS = (
    "Railbook's addition (events you can query and recover): every webhook Railbook sent or would send, "
    "kept for RAILBOOK_EVENT_RETENTION_DAYS (30 by default), with its delivery state."
)
_TIME = {"type": "string", "format": "date-time"}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
_EVENT_ID = {"name": "eventId", "in": "path", "required": True, "schema": {"type": "string"}}
_ERRORS = {
    "400": _json("Invalid parameters, each named", "Error400"),
    "404": _json("No such event for this platform and mode", "Error404"),
    "500": _json("Internal service error", "Error500"),
}


def _events_operation(operation_id: str, summary: str, description: str, ok: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": description,
        "operationId": operation_id,
        "tags": ["Events"],
        "security": [{"BasicAuth": []}],
        "responses": {**ok, **_ERRORS},
        "x-railbook": _WHY_EVENTS,
    }


_EVENTS_PATHS: dict[str, dict[str, Any]] = {
    "/events": {
        "get": {
            **_events_operation(
                "listEvents",
                "List events",
                "The platform's events in the caller's mode, newest first, keyset-paginated like every list. Each is "
                "the envelope as sent (or to be sent) plus `delivery`. `deliveryStatus`: `delivered` (the receiver "
                "has it), `failed` (the last attempt failed; `willRetry` while the 7-day retry window lasts), "
                "`pending` (not attempted yet), `skipped` (no endpoint was configured).",
                {"200": _json("A page of events", "EventList")},
            ),
            "parameters": [
                _query("type", "Only events of this type, e.g. EXTERNAL_ACCOUNT.STATUS_UPDATED", {"type": "string"}),
                _query("resourceId", "Only events about this resource (an external account id)", {"type": "string"}),
                _query(
                    "deliveryStatus",
                    "Only events in this delivery state",
                    {"type": "string", "enum": ["delivered", "failed", "pending", "skipped"]},
                ),
                _query(
                    "createdAfter", "Only events created after this time", {"type": "string", "format": "date-time"}
                ),
                _query(
                    "createdBefore", "Only events created before this time", {"type": "string", "format": "date-time"}
                ),
                _query(
                    "limit", "Page size (default 20, at most 100)", {"type": "integer", "minimum": 1, "maximum": 100}
                ),
                _query("cursor", "nextCursor of the previous page", {"type": "string"}),
            ],
        }
    },
    "/events/{eventId}": {
        "get": {
            **_events_operation(
                "getEvent",
                "Get an event",
                "The event with every delivery attempt (time, URL, status, duration, error).",
                {"200": _json("The event and its attempts", "EventWithAttempts")},
            ),
            "parameters": [_EVENT_ID],
        }
    },
    "/events/{eventId}/redeliver": {
        "post": {
            **_events_operation(
                "redeliverEvent",
                "Redeliver an event",
                "Queues one more delivery of the same envelope: the same id and bytes, a fresh signature over "
                "them. Sent even when the receiver already has it.",
                {"202": _json("Queued", "EventsQueued")},
            ),
            "parameters": [_EVENT_ID],
        }
    },
    "/events/recover": {
        "post": {
            **_events_operation(
                "recoverEvents",
                "Recover failed events",
                "Delivers now every failed or skipped event created in `[since, until)`, once each, with its "
                "original id and body (an event still being retried runs its own retry now, so it is not sent twice).",
                {"202": _json("Queued, oldest first", "EventsQueued")},
            ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventRecoverRequest"}}},
            },
        }
    },
}

RAILBOOK_PATHS: dict[str, dict[str, Any]] = {
    **_EVENTS_PATHS,
    "/external-accounts/requirements": _REQUIREMENTS,
    "/customers/external-accounts/validate": _validate("ExternalAccountCreateRequest", "customer"),
    "/platform/external-accounts/validate": _validate("PlatformExternalAccountCreateRequest", "platform"),
}

_NULLABLE_CODES = {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}

_DELIVERY = {
    "type": "object",
    "required": ["status", "attempts", "willRetry"],
    "properties": {
        "status": {"type": "string", "enum": ["delivered", "failed", "pending", "skipped"]},
        "attempts": {"type": "integer", "minimum": 0},
        "lastAttemptAt": {"type": "string", "format": "date-time"},
        "willRetry": {"type": "boolean"},
    },
}
_EVENT = {
    "type": "object",
    "required": ["id", "type", "timestamp", "data", "delivery"],
    "description": "The webhook envelope as sent; `EXTERNAL_ACCOUNT.STATUS_UPDATED` data also carries "
    "`previousStatus` (Railbook's addition), the status the account left.",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "data": {"type": "object", "additionalProperties": True},
        "delivery": _DELIVERY,
    },
    "x-railbook": _WHY_EVENTS,
}
_ATTEMPT = {
    "type": "object",
    "required": ["attemptedAt", "outcome", "durationMs"],
    "properties": {
        "attemptedAt": {"type": "string", "format": "date-time"},
        "outcome": {"type": "string", "enum": ["delivered", "duplicate", "failed", "skipped"]},
        "url": {"type": "string"},
        "statusCode": {"type": "integer"},
        "durationMs": {"type": "number"},
        "error": {"type": "string"},
    },
}
_ATTEMPTS = {"type": "array", "items": _ATTEMPT}

RAILBOOK_SCHEMAS: dict[str, Any] = {
    "Event": _EVENT,
    "EventWithAttempts": {
        "allOf": [
            {"$ref": "#/components/schemas/Event"},
            {
                "type": "object",
                "required": ["attempts"],
                "properties": {"attempts": {"type": "array", "items": _ATTEMPT}},
            },
        ],
        "x-railbook": _WHY_EVENTS,
    },
    "EventList": {
        "type": "object",
        "required": ["data", "hasMore", "totalCount"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            "hasMore": {"type": "boolean"},
            "nextCursor": {"type": "string"},
            "totalCount": {"type": "integer"},
        },
        "x-railbook": _WHY_EVENTS,
    },
    "EventsQueued": {
        "type": "object",
        "required": ["queued"],
        "properties": {"queued": {"type": "array", "items": {"type": "string"}, "description": "The event ids queued"}},
        "x-railbook": _WHY_EVENTS,
    },
    "EventRecoverRequest": {
        "type": "object",
        "required": ["since"],
        "additionalProperties": False,
        "properties": {
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"},
        },
        "x-railbook": _WHY_EVENTS,
    },
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


_WHY_OWNERSHIP = (
    "Railbook's addition: Grid decides per platform whether FIRST_PARTY self-custody wallets must prove their "
    "ownership (Travel Rule); Railbook lets the platform say so, per mode. Off by default."
)
_OWNERSHIP_FLAG = {
    "type": "boolean",
    "description": (
        "When true, external accounts created as self-custody crypto wallets (no `vaspName`) with "
        "`ownershipType: FIRST_PARTY` start in `PENDING_OWNERSHIP_VERIFICATION` and become `ACTIVE` through "
        "`POST .../{externalAccountId}/challenge` and `.../verify`. Accounts created before it was set keep "
        "their status."
    ),
    "default": False,
    "x-railbook": _WHY_OWNERSHIP,
}
# Properties Railbook adds to schemas of the contract (additive: those schemas allow more properties).
RAILBOOK_PROPERTIES: dict[str, dict[str, Any]] = {
    "PlatformConfig": {"ownershipVerificationRequired": _OWNERSHIP_FLAG},
    "PlatformConfigUpdateRequest": {"ownershipVerificationRequired": _OWNERSHIP_FLAG},
}


def with_railbook_properties(schemas: dict[str, Any]) -> dict[str, Any]:
    """The schemas with Railbook's added properties (the schemas given are not changed)."""
    extended = dict(schemas)
    for name, properties in RAILBOOK_PROPERTIES.items():
        schema = extended[name]
        extended[name] = {**schema, "properties": {**schema["properties"], **properties}}
    return extended
