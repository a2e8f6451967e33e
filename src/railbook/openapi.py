"""The OpenAPI document Railbook serves: Grid's own operations, schemas and examples, plus what Railbook adds.

`contract/grid-accounts.openapi.json` is the official contract (`contract/reference/grid-accounts.openapi.yaml`
at the repository's root) converted to JSON, unchanged; `contract/grid-accounts-later.openapi.json` holds the
pieces Grid published later (from `contract/later/`), each naming its source, merged into it
(`contract_pieces`). The served document keeps the contract's operations for the routes the app serves, the
components they reference and the webhooks Railbook sends. Every addition carries `x-railbook` saying why;
nothing of the contract is changed or removed within a kept operation.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from railbook import API_PREFIX
from railbook.contract_pieces import merged
from railbook.idempotency.route import HEADER, MAX_KEY_LENGTH, IdempotentRoute
from railbook.openapi_additions import RAILBOOK_PATHS, RAILBOOK_SCHEMAS, with_railbook_properties

CONTRACT = Path(__file__).parent / "contract" / "grid-accounts.openapi.json"
LATER_PIECES = Path(__file__).parent / "contract" / "grid-accounts-later.openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def contract() -> Mapping[str, Any]:
    """The official contract with Grid's later pieces, read once per process (callers must not change it)."""
    with CONTRACT.open(encoding="utf-8") as cut, LATER_PIECES.open(encoding="utf-8") as later:
        return merged(json.load(cut), json.load(later))


# (method, path under the API prefix, whether the route takes Idempotency-Key: "required", "optional" or "")
Operation = tuple[str, str, str]


def served_operations(routes: Iterable[BaseRoute]) -> frozenset[Operation]:
    """Every documented route under the API prefix, as `Operation`s."""
    served: set[Operation] = set()
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        path = context.path
        if not (isinstance(route, APIRoute) and route.include_in_schema and path and path.startswith(API_PREFIX)):
            continue
        idempotency = ""
        if isinstance(route, IdempotentRoute):
            idempotency = "required" if route.required else "optional"
        served.update((method.lower(), path.removeprefix(API_PREFIX), idempotency) for method in context.methods or ())
    return frozenset(served)


def build_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The document for an app with these routes (shared: do not change it); refuses routes outside the contract."""
    return _document(served_operations(routes))


@functools.cache
def _document(served: frozenset[Operation]) -> dict[str, Any]:
    # Cached: every app of a process (tests build hundreds) serves the same routes.
    official = copy.deepcopy(dict(contract()))
    official["paths"] = {**official["paths"], **copy.deepcopy(RAILBOOK_PATHS)}
    idempotency = {(method, path): kind for method, path, kind in served}
    missing = sorted(
        f"{method.upper()} {path}" for method, path in idempotency if method not in official["paths"].get(path, {})
    )
    if missing:
        raise LookupError(f"routes not in the contract, so not documented: {', '.join(missing)}")
    paths: dict[str, Any] = {}
    for path, item in official["paths"].items():
        kept = {key: value for key, value in item.items() if key not in METHODS or (key, path) in idempotency}
        if any(key in METHODS for key in kept):
            paths[path] = kept
            for method in METHODS:
                if method in kept:
                    _add_railbook_behaviour(kept[method], idempotency[(method, path)])
    document = {
        "openapi": official["openapi"],
        "info": {
            "title": "Railbook",
            "version": official["info"]["version"],
            "description": (
                "Self-hosted, Grid-compatible external accounts API. Operations, schemas and examples are "
                "Grid's own; what Railbook adds is marked `x-railbook`."
            ),
        },
        # Relative, so the interactive docs call the server that serves them.
        "servers": [{"url": API_PREFIX}],
        "security": official["security"],
        "paths": paths,
        "webhooks": _webhooks(official["webhooks"]),
        "components": {"securitySchemes": official["components"]["securitySchemes"], "schemas": {}},
    }
    schemas = with_railbook_properties({**official["components"]["schemas"], **_RAILBOOK_SCHEMAS, **RAILBOOK_SCHEMAS})
    document["components"]["schemas"] = {name: schemas[name] for name in _referenced(document, schemas)}
    used_tags = {tag for item in paths.values() for operation in _operations(item) for tag in operation.get("tags", ())}
    document["tags"] = [tag for tag in official["tags"] if tag["name"] in used_tags]
    return document


def _webhooks(official: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's webhooks, the status one noting the field Railbook adds to its data."""
    webhooks = copy.deepcopy(dict(official))
    webhooks["external-account-status"]["post"]["x-railbook"] = (
        "`data` also carries `previousStatus`, the status the account left (additive: the contract's ExternalAccount "
        "allows more properties), so a receiver that sees events out of order can tell."
    )
    return webhooks


def _operations(item: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    return (item[method] for method in METHODS if method in item)


def _add_railbook_behaviour(operation: dict[str, Any], idempotency: str) -> None:
    parameters = operation.setdefault("parameters", [])
    if idempotency and not any(parameter.get("name") == HEADER for parameter in parameters):
        parameters.append(_idempotency_key(required=idempotency == "required"))
    if not parameters:
        del operation["parameters"]
    responses = operation["responses"]
    responses.setdefault(
        "503",
        _error("503", "The database or a provider (Plaid, Brale) is unavailable; nothing changed, retry later",
               "outage", retry_after=True),
    )  # fmt: skip
    if "requestBody" in operation:
        responses.setdefault("413", _error("413", "The request body is larger than the server accepts", "body limit"))
    # Every operation needs the platform's credentials (the Plaid callback too: docs/decisions.md, Plaid).
    responses.setdefault("401", _error("401", "Missing or invalid API credentials", "HTTP Basic, as everywhere"))
    responses.setdefault(
        "429", _error("429", "Too many requests for this API token", "per-token rate limit", retry_after=True)
    )


def _idempotency_key(*, required: bool) -> dict[str, Any]:
    return {
        "name": HEADER,
        "in": "header",
        "description": (
            "Railbook honours it here: the first request with a key runs once; the same key with the same body "
            "replays that answer (`Idempotent-Replayed: true`), with a different body it is a 409."
        ),
        "required": required,
        "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
        "x-railbook": "Not declared by the contract for this operation.",
    }


def _error(status: str, description: str, why: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/Error{status}"}}},
        "x-railbook": f"Not declared by the contract for this operation ({why}).",
    }
    if retry_after:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
        }
    return response


def _railbook_error(status: int, code: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["message", "status", "code"],
        "properties": {
            "status": {"type": "integer", "enum": [status], "description": "HTTP status code"},
            "code": {"type": "string", "enum": [code]},
            "message": {"type": "string", "description": "Error message"},
            "details": {"type": "object", "description": "Additional error details", "additionalProperties": True},
        },
        "x-railbook": "Railbook's own error, in the shape of the contract's Error schemas.",
    }


_RAILBOOK_SCHEMAS = {
    "Error413": _railbook_error(413, "PAYLOAD_TOO_LARGE"),
    "Error429": _railbook_error(429, "RATE_LIMITED"),
    "Error503": _railbook_error(503, "SERVICE_UNAVAILABLE"),
}


def _referenced(document: Mapping[str, Any], schemas: Mapping[str, Any]) -> list[str]:
    """Names of the component schemas reachable from the document, in the contract's order."""
    prefix = "#/components/schemas/"
    found: set[str] = set()
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(prefix):
                name = reference.removeprefix(prefix)
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return [name for name in schemas if name in found]
