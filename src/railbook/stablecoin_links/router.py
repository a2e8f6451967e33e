"""HTTP routes for /stablecoin-provider-accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Body, Header, Query, Request
from sqlalchemy.exc import IntegrityError

from railbook.context import app_context
from railbook.errors import Conflict, GridError, InvalidInput
from railbook.idempotency.route import HEADER, MAX_KEY_LENGTH, IdempotentAnswer, idempotent_post
from railbook.kit.pagination import list_scope
from railbook.kit.wire import JSONBody
from railbook.providers.issuer_api import IssuerClient, IssuerCredentialsRejected, IssuerUnavailable
from railbook.providers.issuers import ISSUERS
from railbook.routing import api_router
from railbook.stablecoin_links import service
from railbook.stablecoin_links.schemas import LinkRequest, LinkStatus, StablecoinProvider
from railbook.web import DB, AppSettings, Caller, Keys, Paging, list_body

router = api_router("Stablecoins")


def _already_linked(link_id: str) -> Conflict:
    return Conflict("This provider account is already linked", details={"existingId": link_id})


def _issuer(request: Request, provider: str) -> tuple[str, IssuerClient]:
    """The issuer's name (for messages) and the app's client for it."""
    return ISSUERS[provider].name, app_context(request).issuers[provider]


@idempotent_post(router, "/stablecoin-provider-accounts", required=True)
def link_stablecoin_provider_account(
    caller: Caller,
    database: DB,
    keys: Keys,
    settings: AppSettings,
    request: Request,
    body: Annotated[LinkRequest, Body()],
    idempotency_key: Annotated[str, Header(alias=HEADER, max_length=MAX_KEY_LENGTH)],
    answer: IdempotentAnswer,
) -> JSONBody:
    """Verify the provider credentials, then store them encrypted as an ACTIVE link."""
    provider = body.provider.value
    if body.provider_account_id is not None:
        with database.reading() as session:
            existing = service.existing_link(session, caller, provider, body.provider_account_id)
        if existing is not None:
            raise _already_linked(existing)
    name, issuer = _issuer(request, provider)
    try:
        reachable = issuer.list_account_ids(body.api_client_id, body.api_client_secret.get_secret_value())
    except IssuerCredentialsRejected as exc:
        message = f"{name} refused these API client credentials"
        fields = [{"field": name, "message": message} for name in ("apiClientId", "apiClientSecret")]
        raise InvalidInput(message, fields) from exc
    except IssuerUnavailable as exc:
        raise GridError(
            503,
            "SERVICE_UNAVAILABLE",
            f"{name} could not be reached; nothing was stored. Retry with the same Idempotency-Key",
            headers={"Retry-After": str(max(1, round(exc.retry_after or 5)))},
        ) from exc
    account_id = service.choose_account(reachable, body.provider_account_id)
    recheck = timedelta(seconds=settings.stablecoin_reverify_seconds)
    try:
        with database.transaction() as session:
            existing = service.existing_link(session, caller, provider, account_id)
            if existing is not None:
                raise _already_linked(existing)
            link = service.create(session, caller, body, account_id, keys, recheck)
            response = JSONBody(service.render(link), status_code=201)
            answer.within(session.connection(), response)
    except IntegrityError as exc:
        # Another request linked the same account between our check and our insert.
        raise Conflict("This provider account is already linked") from exc
    return response


@router.get("/stablecoin-provider-accounts")
def list_stablecoin_provider_accounts(
    caller: Caller,
    database: DB,
    paging: Paging,
    provider: Annotated[StablecoinProvider | None, Query()] = None,
    status: Annotated[LinkStatus | None, Query()] = None,
) -> JSONBody:
    """The platform's links, newest first."""
    filters = {"provider": provider.value if provider else None, "status": status.value if status else None}
    scope = list_scope("stablecoin-links", platform=caller.platform_id, mode=caller.mode.value, **filters)
    window = paging.window(scope)
    with database.reading() as session:
        page = service.list_page(session, caller, filters, window)
        body = list_body(page, service.render)
    return JSONBody(body)


@router.get("/stablecoin-provider-accounts/{stablecoinProviderAccountId}")
def get_stablecoin_provider_account(
    caller: Caller,
    database: DB,
    stablecoinProviderAccountId: str,  # noqa: N803
) -> JSONBody:
    """One link by id."""
    with database.reading() as session:
        body = service.render(service.get(session, caller, stablecoinProviderAccountId))
    return JSONBody(body)
