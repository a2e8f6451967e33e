"""The Brale simulator's HTTP surface: the OAuth2 token endpoint, `/accounts`, and `/_control/*` switches.

Auth and API share one host here (Brale splits them over auth.brale.xyz and api.brale.xyz).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from railbook.providers.brale.simulator.errors import TOKEN_FAULTS, TOKEN_HEADERS, api_error, token_error
from railbook.providers.brale.simulator.state import (
    BUILT_IN_CLIENTS,
    ENDPOINTS,
    TOKEN_LIFETIME_SECONDS,
    BraleSimulatorState,
    Fault,
    SimulatedClient,
)

_ACCOUNT_CREATED = "2025-01-24T15:29:15"
_ACCOUNT_UPDATED = "2026-01-26T20:31:19"


async def _apply_fault(state: BraleSimulatorState, endpoint: str) -> Response | None:
    """Count the call, then play any queued fault: its delay, then its error answer if it has one."""
    state.calls[endpoint] += 1
    fault = state.take_fault(endpoint)
    if fault is None:
        return None
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.status is None:
        return None
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if endpoint == "/oauth2/token":
        response = token_error(TOKEN_FAULTS[fault.status])
        response.headers.update(headers)
        return response
    return api_error(fault.status, headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon or not client_id:
        return None
    # RFC 6749 §2.3.1: both halves are form-encoded before the Basic encoding.
    return unquote_plus(client_id), unquote_plus(client_secret)


async def _token(request: Request) -> Response:
    state: BraleSimulatorState = request.app.state.brale
    faulted = await _apply_fault(state, "/oauth2/token")
    if faulted is not None:
        return faulted
    form: dict[str, list[str]] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    grant_type = form.get("grant_type", [""])[0]
    if not grant_type:
        return token_error("invalid_request", "The 'grant_type' parameter is missing.")
    credentials = _basic_credentials(request.headers.get("authorization", ""))
    if credentials is None and form.get("client_id", [""])[0]:
        credentials = form["client_id"][0], form.get("client_secret", [""])[0]
    if credentials is None:
        hint = "Client credentials missing or malformed in both HTTP Authorization header and HTTP POST body."
        return token_error("invalid_request", hint)
    client = state.authenticate(*credentials)
    if client is None:
        return token_error("invalid_client")
    if grant_type != "client_credentials":
        return token_error("unsupported_grant_type")
    body = {"access_token": state.issue_token(client), "expires_in": client.token_lifetime_seconds}
    return JSONResponse({**body, "scope": "", "token_type": "bearer"}, headers=TOKEN_HEADERS)


def _bearer_client(request: Request, state: BraleSimulatorState) -> SimulatedClient | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return state.client_for(token.strip()) if scheme.lower() == "bearer" else None


def _account_object(account_id: str, index: int) -> dict[str, Any]:
    name = f"Simulated account {index + 1}"
    return {
        "id": account_id,
        "name": name,
        "status": "complete",
        "created": _ACCOUNT_CREATED,
        "updated": _ACCOUNT_UPDATED,
    }


async def _accounts(request: Request) -> Response:
    state: BraleSimulatorState = request.app.state.brale
    faulted = await _apply_fault(state, "/accounts")
    if faulted is not None:
        return faulted
    client = _bearer_client(request, state)
    if client is None:
        return api_error(401)
    entries: list[Any] = list(client.accounts)
    if client.shape == "objects":
        entries = [_account_object(account_id, index) for index, account_id in enumerate(client.accounts)]
    return JSONResponse({"accounts": entries}, headers={"x-request-id": str(uuid.uuid4())})


async def _account(request: Request) -> Response:
    state: BraleSimulatorState = request.app.state.brale
    faulted = await _apply_fault(state, "/accounts/{id}")
    if faulted is not None:
        return faulted
    client = _bearer_client(request, state)
    if client is None:
        return api_error(401)
    account_id = request.path_params["account_id"]
    if account_id not in client.accounts:
        return api_error(404)
    body = _account_object(account_id, client.accounts.index(account_id))
    return JSONResponse(body, headers={"x-request-id": str(uuid.uuid4())})


async def _json_object(request: Request) -> dict[str, Any]:
    spec = json.loads(await request.body())
    if not isinstance(spec, dict):
        raise TypeError("expected a JSON object")
    return spec


async def _control_reset(request: Request) -> Response:
    request.app.state.brale.reset()
    return JSONResponse({"reset": True})


async def _control_clients(request: Request) -> Response:
    try:
        spec = await _json_object(request)
        accounts = spec["accounts"]
        client = SimulatedClient(
            client_id=spec["client_id"],
            client_secret=spec["client_secret"],
            accounts=tuple(accounts),
            shape=spec.get("shape", "ids"),
            token_lifetime_seconds=int(spec.get("token_lifetime_seconds", TOKEN_LIFETIME_SECONDS)),
        )
        valid = isinstance(accounts, list) and all(isinstance(account, str) and account for account in accounts)
        valid = valid and all(isinstance(value, str) and value for value in (client.client_id, client.client_secret))
        if not valid or client.shape not in ("ids", "objects") or client.token_lifetime_seconds < 1:
            raise ValueError("invalid client")
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {client_id, client_secret, accounts: [id], shape?}"}, 400)
    request.app.state.brale.put_client(client)
    return JSONResponse({"client_id": client.client_id})


async def _control_remove_client(request: Request) -> Response:
    try:
        client_id = (await _json_object(request))["client_id"]
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {client_id}"}, 400)
    return JSONResponse({"removed": request.app.state.brale.remove_client(client_id)})


async def _control_faults(request: Request) -> Response:
    try:
        spec = await _json_object(request)
        retry_after = spec.get("retry_after")
        fault = Fault(
            endpoint=spec["endpoint"],
            times=int(spec.get("times", 1)),
            status=spec.get("status"),
            latency_ms=int(spec.get("latency_ms", 0)),
            retry_after=None if retry_after is None else float(retry_after),
        )
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {endpoint, status?, times?, latency_ms?, retry_after?}"}, 400)
    if fault.endpoint != "*" and fault.endpoint not in ENDPOINTS:
        return JSONResponse({"error": f"endpoint must be one of {', '.join(ENDPOINTS)} or *"}, 400)
    if fault.status is not None and fault.status not in TOKEN_FAULTS:
        return JSONResponse({"error": "status must be 429, 500 or 503"}, 400)
    if fault.times < 1 or fault.latency_ms < 0 or (fault.status is None and fault.latency_ms == 0):
        return JSONResponse({"error": "a fault needs times >= 1 and a status or a latency"}, 400)
    request.app.state.brale.faults.append(fault)
    return JSONResponse({"queued": True})


async def _control_clock(request: Request) -> Response:
    try:
        seconds = float((await _json_object(request))["advance_seconds"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "expected {advance_seconds}"}, 400)
    state: BraleSimulatorState = request.app.state.brale
    state.offset += seconds
    return JSONResponse({"offset_seconds": state.offset})


async def _control_state(request: Request) -> Response:
    return JSONResponse(request.app.state.brale.snapshot())


async def _not_found(request: Request, exc: Exception) -> Response:
    return api_error(404)


def create_brale_simulator(clients: Iterable[SimulatedClient] | None = None) -> Starlette:
    """A fresh Brale simulator accepting `clients` (the built-in ones when None)."""
    routes = [
        Route("/oauth2/token", _token, methods=["POST"]),
        Route("/accounts", _accounts, methods=["GET"]),
        Route("/accounts/{account_id}", _account, methods=["GET"]),
        Route("/_control/reset", _control_reset, methods=["POST"]),
        Route("/_control/clients", _control_clients, methods=["POST"]),
        Route("/_control/clients/remove", _control_remove_client, methods=["POST"]),
        Route("/_control/faults", _control_faults, methods=["POST"]),
        Route("/_control/clock", _control_clock, methods=["POST"]),
        Route("/_control/state", _control_state, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found})
    app.state.brale = BraleSimulatorState(tuple(BUILT_IN_CLIENTS if clients is None else clients))
    return app
