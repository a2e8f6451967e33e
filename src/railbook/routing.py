"""The route class every API route uses: JSON bodies parsed strictly, once, before FastAPI reads them."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from railbook.errors import InvalidInput

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(body: bytes) -> Any:
    """The body as JSON, refusing what lenient parsers let through: bad UTF-8, repeated keys, NaN, deep nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("Request body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        message = f"Key {exc.key!r} appears more than once in one JSON object"
        raise InvalidInput(message, [{"field": exc.key, "message": "appears more than once"}]) from None
    except RecursionError:
        raise InvalidInput("Request body is nested too deeply") from None
    except ValueError:
        raise InvalidInput("Request body is not valid JSON") from None


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class GridRoute(APIRoute):
    """An API route whose JSON body is checked strictly before FastAPI parses it into models."""

    def get_route_handler(self) -> Handler:
        """The endpoint's handler, behind the strict body parse."""
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH") and _is_json(request):
                body = await request.body()
                if body:
                    # Starlette's Request.json() returns `_json` when set: FastAPI then reads this
                    # strictly parsed value instead of parsing the body a second time.
                    request._json = parse_json_body(body)
            return await handler(request)

        return strict
