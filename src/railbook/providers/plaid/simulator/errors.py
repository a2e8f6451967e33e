"""Plaid's error bodies (PlaidError) with the codes, HTTP statuses and messages Plaid documents."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

_REQUEST_ID_ALPHABET = string.ascii_letters + string.digits
_DOCS = "https://plaid.com/docs/errors/"


def request_id() -> str:
    """A Plaid-like request id (15 case-sensitive alphanumerics)."""
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(15))


@dataclass(frozen=True)
class ErrorKind:
    """A documented Plaid error: its type, HTTP status and developer message."""

    error_type: str
    status: int
    message: str
    display_message: str | None = None

    @property
    def documentation_path(self) -> str:
        """The docs page Plaid links for this error type."""
        return self.error_type.lower().replace("_", "-")


_TRY_AGAIN = "Oops! Something went wrong. Please try again later."
_RATE_LIMITED = "rate limit exceeded for attempts to access this item. please try again later"

KINDS: dict[str, ErrorKind] = {
    "INVALID_PUBLIC_TOKEN": ErrorKind("INVALID_INPUT", 400, "could not find matching public token"),
    "INVALID_ACCESS_TOKEN": ErrorKind("INVALID_INPUT", 400, "could not find matching access token"),
    "INVALID_LINK_TOKEN": ErrorKind("INVALID_INPUT", 400, "could not find matching link token"),
    "INVALID_API_KEYS": ErrorKind("INVALID_INPUT", 400, "invalid client_id or secret provided"),
    "INVALID_PRODUCT": ErrorKind("INVALID_INPUT", 400, "client is not authorized to access the following products"),
    "INVALID_ACCOUNT_ID": ErrorKind("INVALID_INPUT", 400, "one or more of the account IDs is invalid"),
    "INVALID_INSTITUTION": ErrorKind("INVALID_INPUT", 400, "invalid institution_id provided"),
    "MISSING_FIELDS": ErrorKind("INVALID_REQUEST", 400, "the following required fields are missing: {}"),
    "INVALID_FIELD": ErrorKind("INVALID_REQUEST", 400, "{}"),
    "UNKNOWN_FIELDS": ErrorKind("INVALID_REQUEST", 400, "the following fields are not recognized by this endpoint: {}"),
    "INVALID_BODY": ErrorKind("INVALID_REQUEST", 400, "body could not be parsed as JSON"),
    "NOT_FOUND": ErrorKind("INVALID_REQUEST", 404, "not found"),
    "ITEM_LOGIN_REQUIRED": ErrorKind(
        "ITEM_ERROR",
        400,
        "the login details of this item have changed (credentials, MFA, or required user action) and a user login "
        "is required to update this information. use Link's update mode to restore the item to a good state",
        "The login details of this item have changed (credentials, MFA, or required user action) and a user login "
        "is required to update this information.",
    ),
    "PRODUCT_NOT_READY": ErrorKind(
        "ITEM_ERROR",
        400,
        "the requested product is not yet ready. please provide a webhook or try the request again later",
    ),
    "NO_AUTH_ACCOUNTS": ErrorKind(
        "ITEM_ERROR",
        400,
        "There are no valid checking or savings account(s) associated with this Item. See "
        "https://plaid.com/docs/api/items/#no_auth_accounts for more information.",
    ),
    "INSTITUTION_DOWN": ErrorKind(
        "INSTITUTION_ERROR",
        400,
        "this institution is not currently responding to this request. please try again soon",
        "This financial institution is not currently responding to requests. We apologize for the inconvenience.",
    ),
    "INSTITUTION_NOT_RESPONDING": ErrorKind(
        "INSTITUTION_ERROR",
        400,
        "this institution is not currently responding to this request. please try again soon",
        "This financial institution is not currently responding to requests. We apologize for the inconvenience.",
    ),
    "RATE_LIMIT": ErrorKind("RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded. please try again later"),
    "AUTH_LIMIT": ErrorKind("RATE_LIMIT_EXCEEDED", 429, _RATE_LIMITED),
    "IDENTITY_LIMIT": ErrorKind("RATE_LIMIT_EXCEEDED", 429, _RATE_LIMITED),
    "ACCOUNTS_LIMIT": ErrorKind("RATE_LIMIT_EXCEEDED", 429, _RATE_LIMITED),
    "INTERNAL_SERVER_ERROR": ErrorKind("API_ERROR", 500, "an unexpected error occurred", _TRY_AGAIN),
    "PLANNED_MAINTENANCE": ErrorKind(
        "API_ERROR",
        503,
        "the Plaid API is temporarily unavailable due to planned maintenance. visit "
        "https://status.plaid.com/ for more information",
        "The Plaid API is under maintenance. Please try again later.",
    ),
}

# The rate-limit error_code Plaid names for each endpoint (RATE_LIMIT_EXCEEDED is the error_type).
RATE_LIMIT_CODES: dict[str, str] = {
    "/auth/get": "AUTH_LIMIT",
    "/identity/get": "IDENTITY_LIMIT",
    "/accounts/get": "ACCOUNTS_LIMIT",
}


class PlaidFault(Exception):
    """Raised inside a handler to answer with a Plaid error body."""

    def __init__(self, error_code: str, detail: str | None = None) -> None:
        super().__init__(error_code)
        self.error_code = error_code
        self.detail = detail


def error_body(error_code: str, detail: str | None = None, rid: str | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and PlaidError body for a documented error code."""
    kind = KINDS[error_code]
    message = kind.message.format(detail) if "{}" in kind.message else kind.message
    body: dict[str, Any] = {
        "error_type": kind.error_type,
        "error_code": error_code,
        "error_code_reason": None,
        "error_message": message,
        "display_message": kind.display_message,
        "request_id": rid or request_id(),
        "causes": [],
        "documentation_url": f"{_DOCS}{kind.documentation_path}/#{error_code.lower().replace('_', '-')}",
        "suggested_action": None,
    }
    return kind.status, body


def error_response(error_code: str, detail: str | None = None) -> JSONResponse:
    """A Plaid error answer."""
    status, body = error_body(error_code, detail)
    return JSONResponse(body, status_code=status)
