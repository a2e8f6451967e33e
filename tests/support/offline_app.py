"""An app built only to be read: its routes and the OpenAPI document it serves."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from tests.conftest import TEST_SECRET_KEYS


def served_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(METHOD, path under the prefix) of every route the app documents."""
    return {
        (method, route.path.removeprefix(API_PREFIX))
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }


def _offline_app() -> FastAPI:
    # Read for its routes and its document only: it never serves a request or opens its database.
    return create_app(
        Settings(database_url="sqlite://", data_dir=Path("/nonexistent"), secret_keys=TEST_SECRET_KEYS,
                 embedded_worker=False)
    )  # fmt: skip


APP = _offline_app()
SERVED = served_operations(APP)


@functools.cache
def served_document() -> dict[str, Any]:
    """The document the offline app serves at its openapi_url."""
    with TestClient(APP) as client:
        response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
