"""The route class every API route uses: JSON bodies parsed strictly, once, before FastAPI reads them."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from copy import copy
from typing import Any, cast

from fastapi import APIRouter, Request, Response
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _effective_route_context_var
from pydantic import BaseModel, ConfigDict, Json, ValidationError, create_model

from railbook import API_PREFIX
from railbook.errors import InvalidInput
from railbook.kit.text import first_string, is_blank_in_disguise, may_hold_blanks, unacceptable

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# Methods whose body GridRoute parses strictly before FastAPI reads it.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


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
        parsed = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        message = f"Key {exc.key!r} appears more than once in one JSON object"
        raise InvalidInput(message, [{"field": exc.key, "message": "appears more than once"}]) from None
    except RecursionError:
        raise InvalidInput("Request body is nested too deeply") from None
    except ValueError:
        raise InvalidInput("Request body is not valid JSON") from None
    # JSON carries control characters and surrogates only as escapes: no backslash, nothing to look for.
    if "\\" in text and (field := first_string(parsed, unacceptable)) is not None:
        message = "contains a control character or an unpaired surrogate"
        raise InvalidInput(f"{field} {message}", [{"field": field, "message": message}])
    if may_hold_blanks(text) and (field := first_string(parsed, is_blank_in_disguise)) is not None:
        message = "is blank: only spaces or invisible characters"
        raise InvalidInput(f"{field} {message}", [{"field": field, "message": message}])
    return parsed


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return True  # curl -d without -H, and older clients: GridRoute has FastAPI read it as JSON too
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


# How much of a refused Content-Type is echoed back in the message.
_SHOWN_CONTENT_TYPE = 100


async def read_json(request: Request) -> Any:
    """The body parsed strictly; None when it is empty; 400 naming the Content-Type when it is not JSON."""
    body = await request.body()
    if not body:
        return None
    if not _is_json(request):
        # Refused rather than ignored: FastAPI would otherwise validate the raw bytes as the model
        # and answer with field errors that hide the actual mistake (docs/decisions.md, Hardening).
        received = request.headers.get("content-type", "")[:_SHOWN_CONTENT_TYPE]
        message = f"Content-Type {received!r} is not supported; send the body as application/json"
        raise InvalidInput(message, [{"field": "Content-Type", "message": message}])
    return parse_json_body(body)


class GridRoute(APIRoute):
    """An API route whose JSON body is checked strictly before FastAPI parses it into models.

    An `async def endpoint(request)` with nothing else to solve is called as it is: it reads its
    body with `read_json` and returns its Response. FastAPI's per-request pass (dependency solving,
    body handling, response handling) was a third of a create's CPU (docs/decisions.md, Performance).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # FastAPI's default validates a body without Content-Type as raw bytes (a 400 that names no
        # field); here it is JSON, as `read_json` reads it, on every route alike. Any other
        # Content-Type than JSON is refused by `read_json` before FastAPI sees the body.
        kwargs["strict_content_type"] = False
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        """The endpoint's handler, behind the strict body parse."""
        dependant = self._dependant()
        if self._takes_plain_values(dependant):
            endpoint = cast(Callable[..., Coroutine[Any, Any, Response]], self.endpoint)
            if not dependant.path_params and not dependant.query_params:
                return cast(Handler, endpoint)  # it reads its own body with `read_json`
            if not (self.methods or set()) & _BODY_METHODS:
                fallback = super().get_route_handler()
                return PlainParameters(dependant).handler(endpoint, fallback)
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in _BODY_METHODS:
                parsed = await read_json(request)
                if parsed is not None:
                    # Starlette's Request.json() returns `_json` when set: FastAPI then reads this
                    # strictly parsed value instead of parsing the body a second time.
                    request._json = parsed
            return await handler(request)

        return strict

    def _dependant(self) -> Dependant:
        # Included in a router, the route is built again with that router's dependencies: read
        # those, as FastAPI's own handler does, so a router-wide dependency is never skipped.
        context = _effective_route_context_var.get()
        return context.dependant if context is not None and context.original_route is self else self.dependant

    def _takes_plain_values(self, dependant: Dependant) -> bool:
        """Whether the endpoint is async and takes the request and single path and query values, nothing else."""
        others = (dependant.header_params, dependant.cookie_params, dependant.body_params, dependant.dependencies)
        fields = [*dependant.path_params, *dependant.query_params]
        return (
            inspect.iscoroutinefunction(self.endpoint)
            and dependant.request_param_name is not None
            and not any(others)
            and all(_is_single_value(field) for field in fields)
            and len(inspect.signature(self.endpoint).parameters) == len(fields) + 1
        )


def _is_single_value(field: ModelField) -> bool:
    """A parameter FastAPI reads as one value by one alias (not a list, a model or a JSON document)."""
    info = field.field_info
    return (
        info.validation_alias in (None, info.alias)  # not AliasChoices or AliasPath
        and not field_annotation_is_sequence(info.annotation)
        and not any(type(item) is Json for item in info.metadata)
        and not (inspect.isclass(info.annotation) and issubclass(info.annotation, BaseModel))
    )


class PlainParameters:
    """A route's path and query values checked by one model, instead of FastAPI's pass over each.

    FastAPI's per-request pass (dependency solving, one validation per parameter) was an eighth of
    the process's time under a load of account lists (docs/performance.md).
    The model holds the same annotations and constraints, so a request it accepts gets the values
    FastAPI would give; a request it refuses goes through FastAPI's own pass, which answers with the
    error it always did.
    """

    def __init__(self, dependant: Dependant) -> None:
        path, query = dependant.path_params, dependant.query_params
        self._request_name = cast(str, dependant.request_param_name)
        self._path = [field.field_info.alias or field.name for field in path]
        self._query = [field.field_info.alias or field.name for field in query]
        definitions: dict[str, Any] = {
            field.name: (field.field_info.annotation, copy(field.field_info)) for field in [*path, *query]
        }
        self._model = create_model("Parameters", __config__=ConfigDict(extra="ignore"), **definitions)

    def values(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's keyword arguments, or None when a value is refused."""
        sent: dict[str, Any] = {}
        path_values = request.path_params
        for alias in self._path:
            if alias in path_values:
                sent[alias] = path_values[alias]
        query = request.query_params
        for alias in self._query:
            found = query.get(alias)
            if found is not None:
                sent[alias] = found
        try:
            checked = self._model.model_validate(sent)
        except ValidationError:
            return None
        return {**checked.__dict__, self._request_name: request}

    def handler(self, endpoint: Callable[..., Coroutine[Any, Any, Response]], fallback: Handler) -> Handler:
        """Call `endpoint` with the checked values; FastAPI's own handler answers what the model refuses."""

        async def checked(request: Request) -> Response:
            values = self.values(request)
            if values is None:
                return await fallback(request)
            return await endpoint(**values)

        return checked


def api_router(*tags: str) -> APIRouter:
    """A router of Grid's API: its routes carry the API prefix themselves and parse bodies strictly."""
    # Prefixed here rather than at inclusion: the app takes these route objects as they are, so they are
    # built once per process instead of once for each app that includes them (`railbook.app`).
    return APIRouter(prefix=API_PREFIX, tags=[*tags], route_class=GridRoute)
