"""The simulator's HTTP surface: Plaid's eight endpoints, `/sandbox/item/reset_login`, and `/_control/*` switches."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from railbook.providers.plaid.simulator import handlers, link_page
from railbook.providers.plaid.simulator.errors import KINDS, RATE_LIMIT_CODES, PlaidFault, error_response, request_id
from railbook.providers.plaid.simulator.state import Clock, SimulatorState, system_clock

Handler = Callable[[SimulatorState, dict[str, Any]], dict[str, Any]]
_CREDENTIALS = frozenset({"client_id", "secret"})


@dataclass(frozen=True)
class Endpoint:
    """A Plaid endpoint: its handler, required fields with their JSON types, and every field it knows."""

    handler: Handler
    required: dict[str, type]
    known: frozenset[str]


ENDPOINTS: dict[str, Endpoint] = {
    "/link/token/create": Endpoint(
        handlers.link_token_create,
        {"client_name": str, "language": str, "country_codes": list},
        handlers.LINK_TOKEN_FIELDS,
    ),
    "/link/token/get": Endpoint(handlers.link_token_get, {"link_token": str}, frozenset({"link_token"})),
    "/sandbox/public_token/create": Endpoint(
        handlers.sandbox_public_token_create,
        {"institution_id": str, "initial_products": list},
        frozenset({"institution_id", "initial_products", "options", "user_token", "user_id"}),
    ),
    "/item/public_token/exchange": Endpoint(
        handlers.public_token_exchange, {"public_token": str}, frozenset({"public_token"})
    ),
    "/auth/get": Endpoint(handlers.auth_get, {"access_token": str}, frozenset({"access_token", "options"})),
    "/identity/get": Endpoint(handlers.identity_get, {"access_token": str}, frozenset({"access_token", "options"})),
    "/accounts/get": Endpoint(handlers.accounts_get, {"access_token": str}, frozenset({"access_token", "options"})),
    "/item/remove": Endpoint(
        handlers.item_remove, {"access_token": str}, frozenset({"access_token", "reason_code", "reason_note"})
    ),
    "/sandbox/item/reset_login": Endpoint(handlers.reset_login, {"access_token": str}, frozenset({"access_token"})),
}


def _check_credentials(request: Request, body: dict[str, Any], client_id: str, secret: str) -> None:
    """Plaid takes the keys from the body or from the PLAID-CLIENT-ID / PLAID-SECRET headers."""
    given_id = body.get("client_id", request.headers.get("plaid-client-id"))
    given_secret = body.get("secret", request.headers.get("plaid-secret"))
    missing = [name for name, value in (("client_id", given_id), ("secret", given_secret)) if value is None]
    if missing:
        raise PlaidFault("MISSING_FIELDS", ", ".join(missing))
    if not isinstance(given_id, str) or not isinstance(given_secret, str):
        raise PlaidFault("INVALID_API_KEYS")
    id_ok = hmac.compare_digest(given_id.encode(), client_id.encode())
    secret_ok = hmac.compare_digest(given_secret.encode(), secret.encode())
    if not (id_ok and secret_ok):
        raise PlaidFault("INVALID_API_KEYS")


def _check_fields(endpoint: Endpoint, body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - endpoint.known - _CREDENTIALS)
    if unknown:
        raise PlaidFault("UNKNOWN_FIELDS", ", ".join(unknown))
    missing = [name for name in endpoint.required if body.get(name) is None]
    if missing:
        raise PlaidFault("MISSING_FIELDS", ", ".join(missing))
    for name, kind in endpoint.required.items():
        if not isinstance(body[name], kind):
            raise PlaidFault("INVALID_FIELD", f"{name} must be of type {'array' if kind is list else 'string'}")
    if "options" in body and body["options"] is not None and not isinstance(body["options"], dict):
        raise PlaidFault("INVALID_FIELD", "options must be an object")


def _plaid_route(path: str, endpoint: Endpoint, client_id: str, secret: str) -> Route:
    async def serve(request: Request) -> Response:
        state: SimulatorState = request.app.state.simulator
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        fault = state.take_fault(path)
        if fault is not None:
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.error_code == "RATE_LIMIT":
                return error_response(RATE_LIMIT_CODES.get(path, "RATE_LIMIT"))
            if fault.error_code is not None and fault.error_code != "ITEM_LOGIN_REQUIRED":
                return error_response(fault.error_code)
        try:
            try:
                body = json.loads(raw)
            except ValueError:
                raise PlaidFault("INVALID_BODY") from None
            if not isinstance(body, dict):
                raise PlaidFault("INVALID_BODY")
            _check_credentials(request, body, client_id, secret)
            _check_fields(endpoint, body)
            if fault is not None and fault.error_code == "ITEM_LOGIN_REQUIRED":
                # An item error only makes sense after the caller was authenticated.
                raise PlaidFault("ITEM_LOGIN_REQUIRED")
            answer = endpoint.handler(state, body)
        except PlaidFault as failure:
            return error_response(failure.error_code, failure.detail)
        return JSONResponse({**answer, "request_id": request_id()})

    return Route(path, serve, methods=["POST"], name=path)


async def _control_reset(request: Request) -> Response:
    request.app.state.simulator.reset()
    return JSONResponse({"reset": True})


async def _control_faults(request: Request) -> Response:
    try:
        spec = json.loads(await request.body())
        endpoint = spec["endpoint"]
        times = int(spec.get("times", 1))
        latency_ms = int(spec.get("latency_ms", 0))
        status = spec.get("status")
        error_code = spec.get("error_code")
    except (ValueError, KeyError, TypeError, AttributeError):
        return JSONResponse({"error": "expected {endpoint, status?|error_code?, times?, latency_ms?}"}, 400)
    if endpoint != "*" and endpoint not in ENDPOINTS:
        return JSONResponse({"error": f"unknown endpoint {endpoint!r}"}, 400)
    if status is not None:
        by_status = {429: "RATE_LIMIT", 500: "INTERNAL_SERVER_ERROR", 503: "PLANNED_MAINTENANCE"}
        if status not in by_status:
            return JSONResponse({"error": "status must be 429, 500 or 503"}, 400)
        error_code = by_status[status]
    if error_code is not None and error_code != "RATE_LIMIT" and error_code not in KINDS:
        return JSONResponse({"error": f"unknown error_code {error_code!r}"}, 400)
    if times < 1 or latency_ms < 0 or (error_code is None and latency_ms == 0):
        return JSONResponse({"error": "a fault needs times >= 1 and an error or a latency"}, 400)
    request.app.state.simulator.add_fault(endpoint, times, error_code, latency_ms)
    return JSONResponse({"queued": True})


async def _control_clock(request: Request) -> Response:
    try:
        seconds = float(json.loads(await request.body())["advance_seconds"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {advance_seconds}"}, 400)
    state: SimulatorState = request.app.state.simulator
    state.offset += timedelta(seconds=seconds)
    return JSONResponse({"now": state.now().isoformat()})


async def _control_state(request: Request) -> Response:
    return JSONResponse(request.app.state.simulator.snapshot())


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    response = error_response("NOT_FOUND")
    response.status_code = status
    return response


def create_simulator(
    client_id: str, secret: str, *, clock: Clock = system_clock, callback_template: str | None = None
) -> Starlette:
    """A fresh simulator accepting exactly this client id and secret, with time read from `clock`.

    `callback_template` (with `{token}`) is where the link page sends public tokens when given no `callbackUrl`.
    """
    routes: list[Route] = [_plaid_route(path, endpoint, client_id, secret) for path, endpoint in ENDPOINTS.items()]
    controls: dict[str, Callable[[Request], Awaitable[Response]]] = {
        "/_control/reset": _control_reset,
        "/_control/faults": _control_faults,
        "/_control/clock": _control_clock,
    }
    routes += [Route(path, handler, methods=["POST"]) for path, handler in controls.items()]
    routes.append(Route("/_control/state", _control_state, methods=["GET"]))
    routes += [
        Route("/link", link_page.link_start, methods=["GET"]),
        Route("/link", link_page.link_finish, methods=["POST"]),
        Route("/link/platform", link_page.platform_page, methods=["POST"]),
        Route("/link/submit", link_page.link_submit, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.simulator = SimulatorState(clock=clock)
    app.state.callback_template = callback_template
    return app
