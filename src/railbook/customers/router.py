"""HTTP routes for /customers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Body, Query, Request

from railbook.context import app_context
from railbook.customers import repository, service
from railbook.customers.schemas import CustomerCreate, CustomerType, CustomerUpdate
from railbook.idempotency.route import IdempotentAnswer, idempotent_post
from railbook.kit.clock import as_utc
from railbook.kit.pagination import list_scope
from railbook.kit.wire import JSONBody
from railbook.routing import api_router
from railbook.web import DB, AppSettings, Caller, Keys, Paging, list_body

router = api_router("Customers")


@idempotent_post(router, "/customers", required=False, one_transaction=True)
def create_customer(
    caller: Caller,
    database: DB,
    settings: AppSettings,
    keys: Keys,
    answer: IdempotentAnswer,
    request: Annotated[CustomerCreate, Body()],
) -> JSONBody:
    """Create an individual or business customer."""
    with database.transaction() as session:
        customer = service.create(session, caller, request, settings.uma_domain, keys)
        response = JSONBody(service.render(customer), status_code=201)
        answer.within(session.connection(), response)
    return response


@router.get("/customers")
def list_customers(
    caller: Caller,
    database: DB,
    paging: Paging,
    platform_customer_id: Annotated[str | None, Query(alias="platformCustomerId")] = None,
    customer_type: Annotated[CustomerType | None, Query(alias="customerType")] = None,
    created_after: Annotated[datetime | None, Query(alias="createdAfter")] = None,
    created_before: Annotated[datetime | None, Query(alias="createdBefore")] = None,
    updated_after: Annotated[datetime | None, Query(alias="updatedAfter")] = None,
    updated_before: Annotated[datetime | None, Query(alias="updatedBefore")] = None,
    region: Annotated[str | None, Query()] = None,
    currency: Annotated[str | None, Query()] = None,
    uma_address: Annotated[str | None, Query(alias="umaAddress")] = None,
    is_including_deleted: Annotated[bool, Query(alias="isIncludingDeleted")] = False,
) -> JSONBody:
    """List customers, newest first, with the contract's filters."""
    filters = repository.CustomerFilters(
        platform_customer_id=platform_customer_id,
        customer_type=customer_type.value if customer_type else None,
        created_after=as_utc(created_after),
        created_before=as_utc(created_before),
        updated_after=as_utc(updated_after),
        updated_before=as_utc(updated_before),
        region=region,
        currency=currency,
        uma_address=uma_address,
        is_including_deleted=is_including_deleted,
    )
    scope = list_scope("customers", platform=caller.platform_id, mode=caller.mode.value, **vars(filters))
    window = paging.window(scope)
    with database.reading() as session:
        page = repository.list_page(session, caller, filters, window)
        body = list_body(page, service.render)
    return JSONBody(body)


@router.get("/customers/{customerId}")
def get_customer(caller: Caller, database: DB, customerId: str) -> JSONBody:  # noqa: N803
    """One customer by id."""
    with database.reading() as session:
        body = service.render(service.get(session, caller, customerId))
    return JSONBody(body)


@router.patch("/customers/{customerId}")
def update_customer(
    caller: Caller,
    database: DB,
    keys: Keys,
    customerId: str,  # noqa: N803
    request: Annotated[CustomerUpdate, Body()],
) -> JSONBody:
    """Update the fields sent; the others keep their values."""
    with database.transaction() as session:
        body = service.render(service.update(session, caller, customerId, request, keys))
    return JSONBody(body)


@router.delete("/customers/{customerId}")
def delete_customer(request: Request, caller: Caller, database: DB, customerId: str) -> JSONBody:  # noqa: N803
    """Soft-delete a customer, its external accounts with it, and answer with it."""
    cascade = app_context(request).customer_cascade
    with database.transaction() as session:
        body = service.render(service.delete(session, caller, customerId, cascade=cascade))
    return JSONBody(body)
