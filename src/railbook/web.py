"""Helpers every router shares: the database, list parameters and the list envelope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from railbook.config import Settings
from railbook.context import app_context
from railbook.db import Database
from railbook.errors import InvalidInput
from railbook.kit.crypto import MasterKeys
from railbook.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorCodec, InvalidCursor, Page, PageWindow, Position
from railbook.principal import Principal
from railbook.providers import http

T = TypeVar("T")


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the caller's principal (recorded on the request for the access log), within its rate."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        # Verified and counted once per request, even when a route (an idempotent create)
        # authenticates before its endpoint does.
        return known
    context = app_context(request)
    principal = await context.token_verifier.verify(request.headers.get("authorization"))
    request.state.principal = principal
    request.state.token_id = principal.token_id
    context.rate_limiter.take(principal.token_id)
    return principal


Caller = Annotated[Principal, Depends(authenticate)]

# The providers below are `async def` though they never await: FastAPI runs a plain `def`
# dependency in the thread pool, one thread hand-off per dependency per request
# (docs/decisions.md, Performance).


async def get_database(request: Request) -> Database:
    """The app's database."""
    return app_context(request).database


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return app_context(request).settings


async def get_codec(request: Request) -> CursorCodec:
    """The app's cursor codec."""
    return app_context(request).cursor_codec


async def get_keys(request: Request) -> MasterKeys:
    """The app's master keys."""
    return app_context(request).keys


async def get_sender(request: Request) -> http.Sender:
    """The app's shared webhook sender."""
    return app_context(request).sender


DB = Annotated[Database, Depends(get_database)]
Keys = Annotated[MasterKeys, Depends(get_keys)]
Sender = Annotated[http.Sender, Depends(get_sender)]
AppSettings = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class PageRequest:
    """`limit` and `cursor` as sent, with the codec to read and write cursors."""

    limit: int
    cursor: str | None
    codec: CursorCodec

    def position(self, scope: str) -> Position | None:
        """Where to resume, or 400 when the cursor was not issued for this list."""
        if self.cursor is None:
            return None
        try:
            return self.codec.decode(scope, self.cursor)
        except InvalidCursor as exc:
            raise InvalidInput(
                "cursor is not valid for this list",
                [{"field": "cursor", "message": "use the nextCursor of the previous page, unchanged"}],
            ) from exc

    def window(self, scope: str) -> PageWindow:
        """The page asked for in the list `scope`, or 400 when the cursor was not issued for it."""
        return PageWindow(self.limit, self.position(scope), self.codec, scope)


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=512)]


async def page_request(
    codec: Annotated[CursorCodec, Depends(get_codec)], limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> PageRequest:
    """FastAPI dependency for list endpoints."""
    return PageRequest(limit=limit, cursor=cursor, codec=codec)


Paging = Annotated[PageRequest, Depends(page_request)]


def list_body(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """The list envelope `{data, hasMore, nextCursor?, totalCount}`."""
    body: dict[str, Any] = {"data": [render(item) for item in page.items], "hasMore": page.has_more}
    if page.next_cursor is not None:
        body["nextCursor"] = page.next_cursor
    body["totalCount"] = page.total_count
    return body
