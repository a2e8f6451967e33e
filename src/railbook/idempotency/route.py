"""Route classes that put a POST endpoint behind `Idempotency-Key` (required or optional)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from railbook.context import app_context
from railbook.db import Database
from railbook.errors import SHOULD_RETRY_HEADER, Conflict, GridError, InvalidInput, error_response
from railbook.idempotency import store
from railbook.routing import GridRoute
from railbook.web import authenticate

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Answered = TypeVar("Answered", bound=Response)


def _key_error(message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": HEADER, "message": message}])


def _read_key(request: Request, *, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        if required:
            raise _key_error(f"{HEADER} header is required")
        return None
    if not key.strip():
        raise _key_error(f"{HEADER} must not be empty")
    if not key.isascii() or not key.isprintable():
        # Headers arrive as Latin-1: anything beyond printable ASCII is a client's encoding accident.
        raise _key_error(f"{HEADER} must be printable ASCII")
    if len(key) > MAX_KEY_LENGTH:
        raise _key_error(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters")
    return key


async def _as_response(request: Request, exc: Exception) -> Response | None:
    """The response the app's own exception handlers give for `exc` (None when it has none)."""
    if isinstance(exc, GridError):
        return error_response(exc)
    for kind in type(exc).__mro__:
        handler = request.app.exception_handlers.get(kind)
        if handler is not None and kind is not Exception:
            try:
                answer = handler(request, exc)
                response: Response = await answer if inspect.isawaitable(answer) else answer
            except Exception:
                return None  # the handler declined it: a crash, left to the last-resort 500
            return response
    return None


class Answer:
    """Where an idempotent endpoint records its answer, in the transaction of the work it answers.

    A create and its key's answer commit together: a retry with the key finds either nothing done
    (and runs) or the answer (and is replayed), never the work without the answer, whatever fails
    between the commit and the client. An endpoint that never calls `within` has its answer stored
    after it returns, which suits answers that wrote nothing.
    """

    def __init__(self, claimed: store.Claimed | None, new_key: store.NewKey | None = None) -> None:
        self._claimed = claimed
        self._new_key = new_key
        self.recorded = False

    def within(self, connection: Connection, response: Answered) -> Answered:
        """Store `response` under the request's key (if it has one) on the work's `connection`."""
        if self._claimed is not None:
            store.complete_within(connection, self._claimed, response.status_code, bytes(response.body))
            self.recorded = True
        elif self._new_key is not None:
            store.record_within(connection, self._new_key, response.status_code, bytes(response.body))
            self.recorded = True
        return response


_ANSWER_ATTRIBUTE = "idempotency_answer"


def answer_of(request: Request) -> Answer:
    """The request's `Answer` (one that records nothing when the request carries no key)."""
    answer = getattr(request.state, _ANSWER_ATTRIBUTE, None)
    return answer if isinstance(answer, Answer) else Answer(None)


IdempotentAnswer = Annotated[Answer, Depends(answer_of)]


# Background releases still trying: referenced here so the event loop does not drop them.
_RELEASING: set[asyncio.Task[None]] = set()
RELEASE_RETRY_SECONDS = 0.2


async def _release(database: Database, claimed: store.Claimed, lock: timedelta) -> None:
    """Free the key now; when the database that failed the request fails this too, keep trying meanwhile."""
    try:
        await run_in_threadpool(store.release, database, claimed)
    except SQLAlchemyError:
        # A 503 for an outage: the key must not answer "still being processed" to every retry
        # until its lock runs out, so it is freed as soon as the database answers again.
        task = asyncio.create_task(_release_when_possible(database, claimed, lock))
        _RELEASING.add(task)
        task.add_done_callback(_RELEASING.discard)


async def _release_when_possible(database: Database, claimed: store.Claimed, lock: timedelta) -> None:
    # Past the key's lock a retry takes the key over anyway: no point trying longer.
    deadline = time.monotonic() + lock.total_seconds()
    while time.monotonic() < deadline:
        await asyncio.sleep(RELEASE_RETRY_SECONDS)
        try:
            await run_in_threadpool(store.release, database, claimed)
            return
        except SQLAlchemyError:
            continue


async def _rendered(request: Request, exc: Exception) -> Response | None:
    """The 2xx/4xx answer a raised error stands for; None for a crash or a 5xx (nothing to store)."""
    rendered = await _as_response(request, exc)
    return None if rendered is None or rendered.status_code >= 500 else rendered


async def _run_unclaimed(request: Request, handler: Handler, new_key: store.NewKey) -> Response | None:
    """Run a one-transaction endpoint with its key written only with its answer; None when the key was taken.

    Most keys are new, and an endpoint whose every effect is in the transaction that records its
    answer needs no claim committed ahead of it: the key and the work commit together, and a request
    that meets the key in the database (a retry, a concurrent twin, a different body) is rolled back
    and goes the claiming way, which replays, refuses or takes the key over as usual.
    """
    answer = Answer(None, new_key)
    setattr(request.state, _ANSWER_ATTRIBUTE, answer)
    try:
        response = await handler(request)
    except store.KeyTaken:
        return None
    except Exception as exc:
        rendered = await _rendered(request, exc)
        if rendered is None:
            raise  # nothing was claimed, so nothing to free
        response = rendered
        # A write may run twice (group commit): an answer its first run recorded rolled back with it.
        answer.recorded = False
    if response.status_code >= 500 or answer.recorded:
        return response
    database = app_context(request).database
    try:
        await database.grouped.run_async(store.recording(new_key, response.status_code, bytes(response.body)))
    except store.KeyTaken:
        return None
    return response


async def run_idempotently(request: Request, handler: Handler, *, required: bool, one_transaction: bool) -> Response:
    """Run `handler` at most once per key; replay its stored 2xx/4xx answer for the same request."""
    if not required and HEADER.lower() not in request.headers:
        return await handler(request)
    # Credentials first: a key belongs to a (platform, mode), and a 401 must win over a 400.
    principal = await authenticate(request)
    key = _read_key(request, required=required)
    if key is None:
        return await handler(request)
    context = app_context(request)
    database, settings = context.database, context.settings
    # The path as the server received it: `request.url` would build a whole URL for this (tens of µs).
    print_ = store.fingerprint(request.method, request.scope["path"], await request.body())
    ttl = timedelta(seconds=settings.idempotency_ttl_seconds)
    if one_transaction:
        unclaimed = await _run_unclaimed(request, handler, store.NewKey(principal, key, print_, ttl))
        if unclaimed is not None:
            return unclaimed
    lock = store.running_lock(settings)
    outcome = await run_in_threadpool(store.claim, database, principal, key, print_, ttl, lock)
    if isinstance(outcome, store.Replay):
        return Response(
            outcome.body, outcome.status_code, media_type="application/json", headers={REPLAYED_HEADER: "true"}
        )
    if isinstance(outcome, store.Mismatch):
        raise Conflict(f"This {HEADER} was already used with a different request")
    if isinstance(outcome, store.Busy):
        # The one 409 that clears with time: say so, where every other 409 says not to retry.
        message = f"A request with this {HEADER} is still being processed; retry later"
        raise GridError(409, "CONFLICT", message, headers={SHOULD_RETRY_HEADER: "true"})
    answer = Answer(outcome)
    setattr(request.state, _ANSWER_ATTRIBUTE, answer)
    try:
        response = await handler(request)
    except Exception as exc:
        rendered = await _rendered(request, exc)
        if rendered is None:
            await _release(database, outcome, lock)
            raise
        response = rendered
        answer.recorded = False  # as above
    if response.status_code >= 500:
        await _release(database, outcome, lock)
    elif not answer.recorded:
        await run_in_threadpool(store.complete, database, outcome, response.status_code, bytes(response.body))
    return response


class IdempotentRoute(GridRoute):
    """A POST endpoint behind `Idempotency-Key`: `required` or optional, `one_transaction` (see `idempotent_post`)."""

    required = False
    one_transaction = False

    def get_route_handler(self) -> Handler:
        """The endpoint's handler wrapped in the key check."""
        handler = super().get_route_handler()
        required, one_transaction = self.required, self.one_transaction

        async def idempotent(request: Request) -> Response:
            return await run_idempotently(request, handler, required=required, one_transaction=one_transaction)

        return idempotent


def idempotent_post(
    router: APIRouter, path: str, *, required: bool, status_code: int = 201, one_transaction: bool = False
) -> Callable[[Endpoint], Endpoint]:
    """Like `@router.post(path)`, with the endpoint behind `Idempotency-Key` (required or optional).

    `one_transaction`: every effect of the endpoint is in the transaction where it calls
    `Answer.within` (no provider call, nothing before it), so its key is written in that commit,
    not claimed in a commit of its own first.
    """
    route_class = type(
        "ConfiguredIdempotentRoute", (IdempotentRoute,), {"required": required, "one_transaction": one_transaction}
    )

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path, endpoint, methods=["POST"], status_code=status_code, route_class_override=route_class
        )
        return endpoint

    return register
