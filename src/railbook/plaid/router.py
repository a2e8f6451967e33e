"""HTTP routes for /plaid: link tokens and the public-token callback."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Request
from pydantic import Field

from railbook import API_PREFIX
from railbook.context import app_context
from railbook.errors import GridError, InvalidInput
from railbook.kit.wire import JSONBody, WireModel
from railbook.plaid import service
from railbook.plaid.callback import Callback
from railbook.providers.plaid import PlaidApi
from railbook.providers.plaid.client import (
    PlaidInvalidToken,
    PlaidRateLimited,
    PlaidRequestRejected,
    PlaidUnavailable,
)
from railbook.routing import api_router
from railbook.web import DB, AppSettings, Caller, Keys

router = api_router("Plaid")


class LinkTokenRequest(WireModel):
    """`{customerId}`."""

    customer_id: str = Field(min_length=1, max_length=64)


class CallbackRequest(WireModel):
    """`{publicToken, accountId?}`."""

    public_token: str = Field(min_length=1, max_length=256)
    account_id: str | None = Field(default=None, min_length=1, max_length=128)


def _plaid(request: Request) -> PlaidApi:
    return app_context(request).plaid


def _refused() -> GridError:
    # Plaid refused Railbook itself (its keys or request), not the platform's input.
    return GridError(500, "INTERNAL_ERROR", "The bank-linking provider refused Railbook's request")


def _retryable() -> GridError:
    # Plaid did not answer: nothing was used up, so the same call can simply be made again.
    return GridError(
        503,
        "SERVICE_UNAVAILABLE",
        "Plaid could not be reached; nothing was changed and the request can be retried",
        headers={"Retry-After": "5"},
    )


@router.post("/plaid/link-tokens")
def create_link_token(
    caller: Caller, database: DB, settings: AppSettings, request: Request, body: Annotated[LinkTokenRequest, Body()]
) -> JSONBody:
    """A Plaid Link token for a customer, and the callback URL to send its public token to."""
    with database.reading() as session:
        service.require_customer(session, caller, body.customer_id)
    try:
        issued = _plaid(request).create_link_token(body.customer_id)
    except (PlaidUnavailable, PlaidRateLimited) as exc:
        raise _retryable() from exc
    except PlaidRequestRejected as exc:
        raise _refused() from exc
    with database.transaction() as session:
        service.start_link(session, caller, body.customer_id, issued.link_token, issued.expiration)
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    answer = {
        "linkToken": issued.link_token,
        "expiration": issued.expiration.isoformat().replace("+00:00", "Z"),
        "callbackUrl": f"{base}{API_PREFIX}/plaid/callback/{issued.link_token}",
        "requestId": request.state.request_id,
    }
    return JSONBody(answer)


@router.post("/plaid/callback/{plaid_link_token}", status_code=202)
def plaid_callback(
    caller: Caller,
    database: DB,
    keys: Keys,
    settings: AppSettings,
    request: Request,
    plaid_link_token: str,
    body: Annotated[CallbackRequest, Body()],
) -> JSONBody:
    """Exchange the public token and answer 202 with the PENDING account; the holder is checked in a job."""
    try:
        call = Callback(
            database, keys, _plaid(request), settings, caller, plaid_link_token, body.public_token, body.account_id
        )
        answer = call.link_account()
    except PlaidInvalidToken as exc:
        raise InvalidInput(
            "The public token is invalid or expired", [{"field": "publicToken", "message": "invalid or expired"}]
        ) from exc
    except (PlaidUnavailable, PlaidRateLimited) as exc:
        raise _retryable() from exc
    except PlaidRequestRejected as exc:
        raise _refused() from exc
    return JSONBody(answer, status_code=202)
