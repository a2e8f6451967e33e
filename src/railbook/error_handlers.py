"""The app's exception handlers: every error leaves in Grid's format (kept apart from `errors`, which the CLI
imports and which should not load FastAPI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from railbook.errors import GridError, InvalidInput, error_response, field_errors_from_pydantic

# Codes for statuses that Starlette raises on its own (routing, methods).
_STATUS_CODES = {
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    404: "REFERENCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    # The contract has no 413 error schema; this code is Railbook's own (docs/decisions.md).
    413: "PAYLOAD_TOO_LARGE",
    501: "NOT_IMPLEMENTED",
}


# The order methods are listed in `Allow`.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method the app serves on this request's path, in the conventional order."""
    # Starlette's router answers 405 from the first route whose path matches and lists only that
    # route's methods; each method of a path is its own route here, so gather them all. Where a
    # literal path and a template both match (`/customers/external-accounts` and
    # `/customers/{customerId}`), the resource is the literal one: templates with the fewest
    # parameters win.
    path = request.scope["path"]
    by_parameters: dict[int, set[str]] = {}
    for context in iter_route_contexts(list(request.app.routes)):
        if not (context.methods and context.path):
            continue
        regex, _, convertors = compile_path(context.path)
        if regex.match(path):
            by_parameters.setdefault(len(convertors), set()).update(context.methods)
    allowed = by_parameters[min(by_parameters)] if by_parameters else set()
    return sorted(allowed, key=lambda method: (*_METHOD_ORDER, method).index(method))


def _json_invalid(errors: Sequence[Mapping[str, Any]]) -> bool:
    return any(error.get("type") == "json_invalid" for error in errors)


def database_unavailable(exc: DBAPIError) -> bool:
    """Whether a database error means "down or busy, try again" rather than a fault in Railbook."""
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    message = str(exc.orig).lower()
    # PostgreSQL refusing or dropping connections (restart, failover) and SQLite's writer lock.
    transient = ("connection", "server closed", "terminating", "shutting down", "starting up", "database is locked")
    return any(fragment in message for fragment in transient)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error leave the app in Grid's format."""

    @app.exception_handler(GridError)
    async def _grid(_: Request, exc: GridError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if _json_invalid(errors):
            return error_response(InvalidInput("Request body is not valid JSON"))
        return error_response(InvalidInput("Request validation failed", field_errors_from_pydantic(errors, exc.body)))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database(_: Request, exc: DBAPIError) -> Response:
        if not database_unavailable(exc):
            raise exc  # the middleware's last-resort 500
        return error_response(
            GridError(
                503,
                "SERVICE_UNAVAILABLE",
                "The database is unavailable; nothing was changed and the request can be retried",
                headers={"Retry-After": "5"},
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "INVALID_INPUT")
        headers = dict(exc.headers or {})
        message = {404: "No such resource"}.get(exc.status_code, str(exc.detail))
        if exc.status_code == 405:
            allowed = allowed_methods(request) or headers.get("Allow", "").split(", ")
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed on this path; it serves {', '.join(allowed)}"
        return error_response(GridError(exc.status_code, code, message, headers=headers))
