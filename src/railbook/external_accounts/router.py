"""HTTP routes for /customers/external-accounts and /platform/external-accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response
from sqlalchemy import Connection

from railbook.context import app_context
from railbook.errors import NotFound
from railbook.external_accounts import dry_run, parsing, repository, service
from railbook.idempotency.route import answer_of, idempotent_post
from railbook.kit.pagination import DEFAULT_LIMIT, list_scope
from railbook.kit.wire import JSONBody
from railbook.routing import api_router, read_json
from railbook.web import DB, Caller, Cursor, Limit, PageRequest, authenticate, list_body

router = api_router("External Accounts")


async def _create(request: Request, *, customer_path: bool) -> JSONBody:
    # The hottest write runs on the event loop with no dependency pass and no thread hop: the
    # parse is CPU work either way, and the statements go to the group commit's thread (docs/decisions.md, Performance).
    caller = await authenticate(request)
    context = app_context(request)
    parsed = parsing.parse_create(await read_json(request), caller, context.directory, customer_path=customer_path)
    pending_seconds = context.settings.sandbox_pending_seconds
    # Group-committed on a plain connection: creates arriving together share one transaction (a
    # failing one is rerun alone, so it spoils none of the others), and the create runs Core
    # statements only, without a Session's bookkeeping.
    answer = answer_of(request)

    def write(connection: Connection) -> JSONBody:
        account = service.create(
            connection, caller, parsed, customer_path=customer_path, sandbox_pending_seconds=pending_seconds
        )
        return answer.within(connection, JSONBody(service.render(account), status_code=201))

    return await context.database.grouped.run_async(write)


async def _list(request: Request, limit: int, cursor: str | None, *, platform_owned: bool, customer_id: str | None,
                currency: str | None) -> JSONBody:  # fmt: skip
    # No dependencies: a list is read all day, and FastAPI's dependency pass was half its event-loop time.
    caller = await authenticate(request)
    context = app_context(request)
    paging = PageRequest(limit=limit, cursor=cursor, codec=context.cursor_codec)
    scope = list_scope(
        "external_accounts", platform=caller.platform_id, mode=caller.mode.value, platform_owned=platform_owned,
        customer=customer_id, currency=currency,
    )  # fmt: skip
    window = paging.window(scope)

    def read(connection: Connection) -> JSONBody:
        page = repository.list_page(
            connection, caller, platform_owned=platform_owned, customer_id=customer_id, currency=currency,
            window=window,
        )  # fmt: skip
        return JSONBody(list_body(page, service.render))

    # A page and its count read a few index entries (one customer's), or the kept counts (a whole side).
    return await context.database.read(read, bounded=True)


Currency = Annotated[str | None, Query(min_length=1, max_length=10)]
AccountId = Annotated[str, Path(alias="externalAccountId")]


@idempotent_post(router, "/customers/external-accounts", required=False, one_transaction=True)
async def create_customer_account(request: Request) -> JSONBody:
    """Add an external account for a customer (or, without customerId, for the platform)."""
    return await _create(request, customer_path=True)


async def _validate(request: Request, *, customer_path: bool) -> JSONBody:
    caller = await authenticate(request)
    context = app_context(request)
    raw = await read_json(request)
    body = await dry_run.validate(context.database, caller, raw, context.directory, customer_path=customer_path)
    return JSONBody(body)


@router.post("/customers/external-accounts/validate")
async def validate_customer_account(request: Request) -> JSONBody:
    """What creating this customer external account would decide, with nothing created."""
    return await _validate(request, customer_path=True)


@router.post("/platform/external-accounts/validate")
async def validate_platform_account(request: Request) -> JSONBody:
    """What creating this platform external account would decide, with nothing created."""
    return await _validate(request, customer_path=False)


@router.get("/customers/external-accounts")
async def list_customer_accounts(
    request: Request,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    customer_id: Annotated[str | None, Query(alias="customerId", min_length=1, max_length=64)] = None,
    currency: Currency = None,
) -> JSONBody:
    """List customers' external accounts, newest first."""
    return await _list(request, limit, cursor, platform_owned=False, customer_id=customer_id, currency=currency)


async def _get(request: Request, account_id: str, *, platform_owned: bool) -> JSONBody:
    caller = await authenticate(request)

    def read(connection: Connection) -> JSONBody:
        account = repository.get_live_row(connection, caller, account_id, platform_owned=platform_owned)
        if account is None:
            raise NotFound("REFERENCE_NOT_FOUND", f"External account {account_id} not found")
        return JSONBody(service.render(account))

    return await app_context(request).database.read(read, bounded=True)


@router.get("/customers/external-accounts/{externalAccountId}")
async def get_customer_account(request: Request, account_id: AccountId) -> JSONBody:
    """One customer external account."""
    return await _get(request, account_id, platform_owned=False)


@router.delete("/customers/external-accounts/{externalAccountId}", status_code=204)
def delete_customer_account(caller: Caller, database: DB, externalAccountId: str) -> Response:  # noqa: N803
    """Delete (soft) a customer external account."""
    with database.transaction() as session:
        service.delete(session, caller, externalAccountId, platform_owned=False)
    return Response(status_code=204)


@idempotent_post(router, "/platform/external-accounts", required=False, one_transaction=True)
async def create_platform_account(request: Request) -> JSONBody:
    """Add an external account of the platform itself."""
    return await _create(request, customer_path=False)


@router.get("/platform/external-accounts")
async def list_platform_accounts(
    request: Request, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None, currency: Currency = None
) -> JSONBody:
    """List the platform's own external accounts, newest first."""
    return await _list(request, limit, cursor, platform_owned=True, customer_id=None, currency=currency)


@router.get("/platform/external-accounts/{externalAccountId}")
async def get_platform_account(request: Request, account_id: AccountId) -> JSONBody:
    """One platform external account."""
    return await _get(request, account_id, platform_owned=True)


@router.delete("/platform/external-accounts/{externalAccountId}", status_code=204)
def delete_platform_account(caller: Caller, database: DB, externalAccountId: str) -> Response:  # noqa: N803
    """Delete (soft) a platform external account."""
    with database.transaction() as session:
        service.delete(session, caller, externalAccountId, platform_owned=True)
    return Response(status_code=204)
