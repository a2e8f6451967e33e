"""HTTP routes for /discoveries and /vasps (read from memory: the directory is built at start-up)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request

from railbook.context import app_context
from railbook.errors import InvalidInput
from railbook.external_accounts.parsing import ISO_CURRENCIES
from railbook.kit.countries import ALPHA_2
from railbook.kit.pagination import Position
from railbook.kit.wire import JSONBody
from railbook.routing import api_router
from railbook.web import Caller, Paging

router = api_router()

_VASP_SCOPE = "vasps"
# Names carry no time: the cursor holds the last name in the id slot of the shared signed cursor.
_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@router.get("/discoveries", tags=["Discoveries"])
def get_discoveries(
    request: Request,
    _: Caller,
    country: Annotated[str | None, Query(min_length=1, max_length=8)] = None,
    currency: Annotated[str | None, Query(min_length=1, max_length=8)] = None,
) -> JSONBody:
    """The institution names `bankName` takes, for a country and currency (all of them without filters)."""
    errors = []
    if country is not None and country not in ALPHA_2:
        errors.append({"field": "country", "message": "must be an ISO 3166-1 alpha-2 country code, e.g. PH"})
    if currency is not None and currency not in ISO_CURRENCIES:
        errors.append({"field": "currency", "message": "must be an ISO 4217 currency code, e.g. PHP"})
    if errors:
        raise InvalidInput("Invalid query parameters", errors)
    listed = app_context(request).directory.discoveries.listed(country, currency)
    return JSONBody({"data": [institution.wire() for institution in listed]})


@router.get("/vasps", tags=["VASPs"])
def list_vasps(request: Request, _: Caller, paging: Paging) -> JSONBody:
    """The VASP directory, by name, a page at a time."""
    position = paging.position(_VASP_SCOPE)
    vasps, has_more = app_context(request).directory.vasps.page(position.id if position else None, paging.limit)
    body: dict[str, object] = {"data": [vasp.wire() for vasp in vasps], "hasMore": has_more}
    if has_more:
        body["nextCursor"] = paging.codec.encode(_VASP_SCOPE, Position(_NO_TIME, vasps[-1].vasp_name))
    return JSONBody(body)
