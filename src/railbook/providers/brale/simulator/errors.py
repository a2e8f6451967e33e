"""Brale's error answers: RFC 6749 bodies on the token endpoint, the JSON:API envelope on the API."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Hydra's (RFC 6749) error answers on the token endpoint.
TOKEN_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_request": (
        400,
        "The request is missing a required parameter, includes an invalid parameter value, includes a parameter "
        "more than once, or is otherwise malformed. {}",
    ),
    "invalid_client": (
        401,
        "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported "
        "authentication method).",
    ),
    "unsupported_grant_type": (400, "The authorization grant type is not supported by the authorization server."),
    "too_many_requests": (429, "Rate limit exceeded, please try again later."),
    "server_error": (500, "The authorization server encountered an unexpected condition."),
    "temporarily_unavailable": (503, "The authorization server is currently unable to handle the request."),
}
TOKEN_FAULTS = {429: "too_many_requests", 500: "server_error", 503: "temporarily_unavailable"}
# Brale's JSON:API error codes and titles on the API host.
API_ERRORS: dict[int, tuple[str, str]] = {
    401: ("Unauthorized", "Invalid or missing credentials."),
    404: ("NotFound", "The requested resource was not found."),
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "Internal server error."),
    503: ("ServiceUnavailable", "Service unavailable."),
}


def token_error(error: str, hint: str = "") -> JSONResponse:
    """An RFC 6749 error answer from the token endpoint; `hint` fills the invalid_request description."""
    status, description = TOKEN_ERRORS[error]
    body = {"error": error, "error_description": description.format(hint).strip()}
    return JSONResponse(body, status_code=status, headers=TOKEN_HEADERS)


def api_error(status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """A Brale API error in its JSON:API `errors[]` envelope, with an `x-request-id` header."""
    code, title = API_ERRORS[status]
    error: dict[str, Any] = {"code": code, "status": str(status), "title": title, "id": None}
    error |= {"links": {}, "meta": {}, "source": None, "detail": None}
    body = {"links": None, "meta": None, "errors": [error]}
    return JSONResponse(body, status_code=status, headers={"x-request-id": str(uuid.uuid4()), **(headers or {})})
