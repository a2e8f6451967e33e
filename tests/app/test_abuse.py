"""Hostile and careless input: every case gets a clean Grid-format 4xx, no 5xx, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.idempotency.models import IdempotencyRecord
from railbook.routing import GridRoute
from railbook.stablecoin_links.models import StablecoinProviderAccount
from tests.conftest import Token
from tests.support.clients import api_client

# Every create the API offers, and a PATCH; each gets every hostile body below.
WRITES = [
    ("POST", "/customers"),
    ("POST", "/customers/external-accounts"),
    ("POST", "/platform/external-accounts"),
    ("POST", "/stablecoin-provider-accounts"),
    ("POST", "/plaid/link-tokens"),
    ("PATCH", "/config"),
]

HOSTILE: dict[str, tuple[bytes, str]] = {
    "deeply nested arrays": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "deeply nested objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
    "invalid UTF-8": (b'{"customerType": "INDIVIDUAL", "fullName": "\xff\xfe\xfa"}', "application/json"),
    "duplicate keys": (b'{"customerType": "INDIVIDUAL", "customerType": "BUSINESS"}', "application/json"),
    "NaN": (b'{"customerType": NaN}', "application/json"),
    "truncated JSON": (b'{"customerType": "INDIV', "application/json"),
    "a JSON array": (b"[1, 2, 3]", "application/json"),
    "a JSON string": (b'"customer"', "application/json"),
    "numbers where strings belong": (
        b'{"customerType": 1, "fullName": 2, "customerId": 3, "currency": 4, "provider": 5,'
        b' "apiClientId": 6, "apiClientSecret": 7, "webhookEndpoint": 8}',
        "application/json",
    ),
    "text/plain": (b'{"customerType": "INDIVIDUAL", "fullName": "Plain Text"}', "text/plain"),
    "a form": (b"customerType=INDIVIDUAL&fullName=Form", "application/x-www-form-urlencoded"),
    "XML": (b"<customer><fullName>X</fullName></customer>", "application/xml"),
    "an empty body": (b"", "application/json"),
}


# A string field each endpoint reads, for the million-character case.
LONG_FIELD = {
    "/customers": "fullName",
    "/customers/external-accounts": "customerId",
    "/platform/external-accounts": "platformAccountId",
    "/stablecoin-provider-accounts": "apiClientId",
    "/plaid/link-tokens": "customerId",
    "/config": "webhookEndpoint",
}


@pytest.fixture
def app_client(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"embedded_worker": False})
    with api_client(configured, database, token) as client:
        yield client


def stored(database: Database) -> dict[str, int]:
    with database.reading() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Customer, ExternalAccount, StablecoinProviderAccount)
        }


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_are_clean_client_errors(app_client: TestClient, database: Database, name: str) -> None:
    body, content_type = HOSTILE[name]
    before = stored(database)
    for method, path in WRITES:
        headers = {"Content-Type": content_type, "Idempotency-Key": f"abuse-{name}-{path}"}
        response = app_client.request(method, path, content=body, headers=headers)
        where = f"{name}: {method} {path}"
        assert 400 <= response.status_code < 500, f"{where} answered {response.status_code}: {response.text[:300]}"
        assert response.headers["content-type"].startswith("application/json"), where
        error = response.json()
        assert set(error) <= {"status", "code", "message", "details"}, where
        assert error["status"] == response.status_code and error["code"] and error["message"], where
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower(), where
    assert stored(database) == before


def test_million_character_strings_are_refused(app_client: TestClient, database: Database) -> None:
    for method, path in WRITES:
        body = {"customerType": "INDIVIDUAL", "currency": "USD", "provider": "BRALE", LONG_FIELD[path]: "x" * 1_000_000}
        response = app_client.request(method, path, json=body, headers={"Idempotency-Key": f"long{path}"})
        assert response.status_code == 400, f"{path}: {response.status_code} {response.text[:200]}"
        assert "x" * 1000 not in response.text  # the input is not echoed back
    assert stored(database) == {"customers": 0, "external_accounts": 0, "stablecoin_provider_accounts": 0}


def test_repeated_keys_are_named(app_client: TestClient) -> None:
    body = b'{"customerType": "INDIVIDUAL", "fullName": "A", "fullName": "B"}'
    response = app_client.post("/customers", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["details"]["errors"] == [{"field": "fullName", "message": "appears more than once"}]


def test_oversized_bodies_are_refused_before_parsing(app_client: TestClient, database: Database) -> None:
    huge = b'{"fullName": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for method, path in WRITES:
        response = app_client.request(method, path, content=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE", path
    assert stored(database) == {"customers": 0, "external_accounts": 0, "stablecoin_provider_accounts": 0}


def test_failed_idempotent_requests_store_only_client_errors(app_client: TestClient, database: Database) -> None:
    body, content_type = HOSTILE["duplicate keys"]
    headers = {"Content-Type": content_type, "Idempotency-Key": "stored-400"}
    first = app_client.post("/stablecoin-provider-accounts", content=body, headers=headers)
    again = app_client.post("/stablecoin-provider-accounts", content=body, headers=headers)
    assert (first.status_code, again.status_code, again.content) == (400, 400, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def _endpoints(routes: list[Any]) -> Iterator[APIRoute]:
    # The app holds its API routes directly, not through included routers (tests/app/test_app_routes.py).
    return (route for route in routes if isinstance(route, APIRoute))


def test_every_api_route_parses_bodies_strictly(app_client: TestClient) -> None:
    endpoints = [route for route in _endpoints(app_client.app.routes) if route.path != "/healthz"]  # type: ignore[attr-defined]
    assert len(endpoints) >= 15
    assert [route.path for route in endpoints if not isinstance(route, GridRoute)] == []
