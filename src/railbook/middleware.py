"""Outermost ASGI layer: request ids, the access log, the body-size cap and the last-resort 500."""

from __future__ import annotations

import logging
import random
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from railbook.errors import SHOULD_RETRY_HEADER, GridError, InvalidInput, NotFound, is_final
from railbook.kit.text import is_acceptable

access_log = logging.getLogger("railbook.access")
error_log = logging.getLogger("railbook.errors")

_REQUEST_ID_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


class _BodyTooLarge(Exception):
    pass


def _client_request_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            # Echo the client's id only when it is safe to put back in a header and a log line.
            if 0 < len(text) <= 128 and all(char in _REQUEST_ID_OK for char in text):
                return text
    return None


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _error_message(error: GridError) -> list[Message]:
    body = orjson.dumps(error.body())
    return [
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        },
        {"type": "http.response.body", "body": body},
    ]


_SHOULD_RETRY = SHOULD_RETRY_HEADER.encode()


def _response_headers(status: int, headers: list[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    """The response's headers with the request id and, on a final 4xx, `x-should-retry: false`."""
    added = [*headers, (b"x-request-id", request_id.encode())]
    # Here rather than in each handler: every answer passes this point, the idempotency replays and
    # this middleware's own 413 included (docs/decisions.md, Hardening). An answer that set the
    # header itself (a 409 that does clear with time) keeps its own.
    if is_final(status) and not any(name.lower() == _SHOULD_RETRY for name, _ in headers):
        added.append((_SHOULD_RETRY, b"false"))
    return added


def _unacceptable_target(scope: Scope) -> GridError | None:
    """404 for a path, 400 naming the parameter for a query, that carries a control character."""
    if not is_acceptable(scope.get("path", "")):
        # Such an id names nothing, and PostgreSQL could not even compare it (NUL).
        return NotFound("REFERENCE_NOT_FOUND", "No such resource")
    query: bytes = scope.get("query_string", b"")
    if b"%" not in query:
        return None  # a control character reaches a parameter only percent-encoded
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if not (is_acceptable(name) and is_acceptable(value)):
            shown = name.encode("unicode_escape").decode()
            message = "contains a control character"
            return InvalidInput(f"Query parameter {shown} {message}", [{"field": shown, "message": message}])
    return None


def _new_request_id() -> str:
    """A random UUID (version 4) to tell requests apart in logs."""
    # Not uuid4(): its os.urandom call was a twentieth of the event loop's time per create
    # (docs/decisions.md, Performance), and a request id needs uniqueness, not unpredictability.
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


class RequestContextMiddleware:
    """Adds X-Request-Id, writes one JSON access-log line, caps bodies and hides crashes."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        request_id = _client_request_id(headers) or _new_request_id()
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        outcome = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                outcome["started"] = True
                message["headers"] = _response_headers(message["status"], message.get("headers", []), request_id)
            await send(message)

        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Raised inside the app's body read, so the app's handler renders the 413.
                    raise HTTPException(413, "Request body too large")
            return message

        try:
            declared = _content_length(headers)
            if declared is not None and declared > self.max_body_bytes:
                raise _BodyTooLarge
            refused = _unacceptable_target(scope)
            if refused is not None:
                for message in _error_message(refused):
                    await send_with_id(message)
                return
            await self.app(scope, capped_receive, send_with_id)
        except _BodyTooLarge:
            if not outcome["started"]:
                error = GridError(413, "PAYLOAD_TOO_LARGE", f"Request body exceeds {self.max_body_bytes} bytes")
                for message in _error_message(error):
                    await send_with_id(message)
        except Exception:
            error_log.exception("unhandled error", extra={"request_id": request_id})
            if not outcome["started"]:
                error = GridError(500, "INTERNAL_ERROR", "Internal error; the request was not completed")
                for message in _error_message(error):
                    await send_with_id(message)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                _log_access(scope, outcome["status"], started, request_id, state.get("token_id"))


def _log_access(scope: Scope, status: int, started: float, request_id: str, token_id: str | None) -> None:
    access_log.info(
        "request",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "request_id": request_id,
            "token_id": token_id,
        },
    )
