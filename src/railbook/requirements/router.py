"""GET /external-accounts/requirements: which accountTypes serve a corridor, each with its create-body schema."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from starlette.responses import Response

from railbook.errors import InvalidInput
from railbook.external_accounts.rails.corridors import ISO_4217
from railbook.external_accounts.rails.registry import MODELS
from railbook.kit.countries import ALPHA_2
from railbook.requirements.catalogue import OFFERED, answer
from railbook.routing import api_router
from railbook.web import Caller

router = api_router()

# Currencies outside ISO 4217 that accountTypes take (BTC, USDC, USDT).
KNOWN_CURRENCIES = ISO_4217 | {
    currency for model in MODELS.values() for currency in (model.rail.currencies or ())
}  # fmt: skip


@router.get("/external-accounts/requirements", tags=["External Accounts"])
async def get_requirements(
    caller: Caller,
    currency: Annotated[str | None, Query(min_length=1, max_length=8)] = None,
    country: Annotated[str | None, Query(min_length=1, max_length=8)] = None,
    beneficiary_type: Annotated[Literal["INDIVIDUAL", "BUSINESS"] | None, Query(alias="beneficiaryType")] = None,
    account_type: Annotated[str | None, Query(alias="accountType", min_length=1, max_length=64)] = None,
    path: Annotated[Literal["customer", "platform"], Query()] = "customer",
) -> Response:
    """The accountTypes that pay `currency` into `country`, each with a JSON Schema of its create body."""
    # async: memory only, so no thread hop (the catalogue is rendered at start-up; a request before
    # that finishes waits for it, on the loop, once).
    errors = []
    if currency is not None and currency not in KNOWN_CURRENCIES:
        errors.append({"field": "currency", "message": "must be an ISO 4217 code or a currency an accountType takes"})
    if country is not None and country not in ALPHA_2:
        errors.append({"field": "country", "message": "must be an ISO 3166-1 alpha-2 country code, e.g. DE"})
    if account_type is not None and account_type not in OFFERED:
        errors.append({"field": "accountType", "message": "is not an accountType of the current generation"})
    if errors:
        raise InvalidInput("Invalid query parameters", errors)
    body = answer(
        currency=currency, country=country, beneficiary_type=beneficiary_type, account_type=account_type,
        sandbox=caller.is_sandbox, customer_path=path == "customer",
    )  # fmt: skip
    return Response(body, media_type="application/json")
