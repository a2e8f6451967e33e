"""The hostile-input table: every route, every field and parameter, every hostile value.

Never a 5xx; every refusal is a Grid-format 4xx that stores nothing. The routes are read from the
app itself, so a route added later is walked too (and a write route without a valid body here
fails the test that checks the table covers them all).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook import API_PREFIX
from railbook.config import Settings
from railbook.db import Base, Database
from railbook.providers.plaid.simulator import create_simulator
from tests.app.test_abuse import _endpoints
from tests.conftest import Token
from tests.support import loopback
from tests.support.brale import BraleControl, brale_settings, seed_request
from tests.support.clients import api_client
from tests.support.plaid_link import CLIENT_ID, SECRET
from tests.support.servers import serving

# JSON values put in place of every field of a valid body, one at a time.
# One of each kind: a C0 control, a lone surrogate, bidi and invisible text, blanks, injections,
# a long string, non-ASCII digits, and every JSON type that is not the field's.
HOSTILE_VALUES: list[Any] = [
    "\u0000", "\ud800", "\u202e1234", "\u200b", "", "   ", "' OR '1'='1' --", "<script>alert(1)</script>",
    "x" * 5_000, "١٢٣٤٥", None, True, 1.5, 10**40, [], {"$ne": 1},
]  # fmt: skip
# Raw (already percent-encoded) values for path segments and query parameters.
HOSTILE_URL_VALUES = [
    "%00", "%0A", "%ED%A0%80", "%FF%FE", "%1B%5B2J", "..%2F..%2Fetc", "%27%20OR%201%3D1", "%3Cscript%3E",
    "x" * 5_000, "-1", "1e309", "99999999999999999999999", "%E2%80%AE", "%20", "",
]  # fmt: skip
# Tables a refused request may still write: the stored refusal under an Idempotency-Key.
MAY_CHANGE = {"idempotency_keys"}

ADDRESS = {"line1": "123 Market Street", "city": "Seattle", "postalCode": "98101", "country": "US"}
USD = {"accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
       "bankAccountType": "CHECKING", "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe",
                                                     "birthDate": "1990-01-15", "address": ADDRESS}}  # fmt: skip


@pytest.fixture(scope="module")
def plaid_url() -> Iterator[str]:
    with serving(create_simulator(CLIENT_ID, SECRET)) as url:
        yield url


@pytest.fixture
def hostile_client(
    settings: Settings, database: Database, token: Token, brale: BraleControl, plaid_url: str
) -> Iterator[TestClient]:
    loopback.post(f"{plaid_url}/_control/reset", timeout=5)
    # The token cache on: the table sends thousands of requests with one token.
    configured = brale_settings(
        settings, brale.url, plaid_simulator_url=plaid_url, embedded_worker=False, auth_cache_seconds=60
    )
    with api_client(configured, database, token) as client:
        yield client


def valid_writes(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body for every write route, keyed by (method, path template)."""
    customer = client.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Jane Doe"}).json()["id"]
    link_token = client.post("/plaid/link-tokens", json={"customerId": customer}).json()["linkToken"]
    # Setting the endpoint stores a TEST event: one for the event routes to name.
    client.patch("/config", json={"webhookEndpoint": "https://hooks.example.com/railbook"})
    event = client.get("/events", params={"limit": 1}).json()["data"][0]["id"]
    # A self-custody wallet with a signature challenge open, for the ownership routes.
    client.patch("/config", json={"ownershipVerificationRequired": True})
    wallet = {"accountType": "ETHEREUM_WALLET", "address": "0x" + "5a" * 20}
    body = {"customerId": customer, "currency": "USDC", "ownershipType": "FIRST_PARTY", "accountInfo": wallet}
    account = client.post("/customers/external-accounts", json=body).json()["id"]
    client.post(f"/customers/external-accounts/{account}/challenge", json={"method": "WALLET_SIGNATURE"})
    challenge, verify = (
        {"method": "WALLET_SIGNATURE"},
        {"signature": "0x" + "ab" * 64 + "1b", "signatureScheme": "bip137"},
    )
    return {
        ("POST", "/customers"): {"customerType": "INDIVIDUAL", "fullName": "John Doe", "platformCustomerId": "j-1",
                                 "birthDate": "1990-01-15", "nationality": "US", "address": ADDRESS},
        ("PATCH", "/customers/{customerId}"): {"customerType": "INDIVIDUAL", "fullName": "Jane Roe",
                                               "address": ADDRESS},
        ("POST", "/customers/external-accounts"): {"customerId": customer, "currency": "USD", "accountInfo": USD,
                                                   "platformAccountId": "acct-1"},
        ("POST", "/platform/external-accounts"): {"currency": "USD", "accountInfo": USD, "platformAccountId": "p-1"},
        ("POST", "/customers/external-accounts/validate"): {"customerId": customer, "currency": "USD",
                                                            "accountInfo": USD},
        ("POST", "/platform/external-accounts/validate"): {"currency": "USD", "accountInfo": USD},
        ("PATCH", "/config"): {"webhookEndpoint": "https://hooks.example.com/railbook",
                               "embeddedWalletConfig": {"logoUrl": "https://cdn.example.com/logo.png"}},
        ("POST", "/plaid/link-tokens"): {"customerId": customer},
        ("POST", "/plaid/callback/{plaid_link_token}"): {"publicToken": "public-sandbox-0", "accountId": "acc-0"},
        ("POST", "/stablecoin-provider-accounts"): seed_request(),
        ("POST", "/sandbox/webhooks/test"): {},
        ("POST", "/webhooks/test"): {},
        ("POST", "/events/{eventId}/redeliver"): {},
        ("POST", "/events/recover"): {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"},
        ("POST", "/customers/external-accounts/{externalAccountId}/challenge"): challenge,
        ("POST", "/customers/external-accounts/{externalAccountId}/verify"): verify,
        ("POST", "/platform/external-accounts/{externalAccountId}/challenge"): challenge,
        ("POST", "/platform/external-accounts/{externalAccountId}/verify"): verify,
        "ids": {"customerId": customer, "plaid_link_token": link_token, "eventId": event,  # type: ignore[dict-item]
                "externalAccountId": account},
    }  # fmt: skip


def leaves(body: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field path of a JSON body, objects included (an object may be replaced whole too)."""
    if isinstance(body, dict):
        for name, value in body.items():
            yield (*prefix, name)
            yield from leaves(value, (*prefix, name))


def replaced(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node = changed
    for name in path[:-1]:
        node = node[name]
    node[path[-1]] = value
    return changed


_TABLES = [table for table in Base.metadata.sorted_tables if table.name not in MAY_CHANGE]
# One statement for every table's count: the table runs it around each of its thousands of requests.
_COUNTS = select(*(select(func.count()).select_from(table).scalar_subquery() for table in _TABLES))


def counts(database: Database) -> dict[str, int]:
    with database.reading() as session:
        row = session.execute(_COUNTS).one()
    return {table.name: int(count) for table, count in zip(_TABLES, row, strict=True)}


def check(response: httpx.Response, where: str) -> None:
    """Not a 5xx; a refusal is the Grid error format and says nothing of the machinery."""
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        error = response.json()
        assert set(error) <= {"status", "code", "message", "details"}, where
        assert error["status"] == response.status_code and error["code"] and error["message"], where
        text = response.text.lower()
        assert not any(leak in text for leak in ("traceback", "sqlalchemy", "psycopg", "sqlite")), where


def routes(client: TestClient) -> list[APIRoute]:
    """The app's API routes (their paths carry the API prefix; the client's base URL adds it)."""
    return [route for route in _endpoints(client.app.routes) if route.path.startswith(API_PREFIX)]  # type: ignore[attr-defined]


def api_path(route: APIRoute) -> str:
    """The route's path as the client sends it: under the API prefix."""
    return route.path.removeprefix(API_PREFIX)


def concrete(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def test_the_table_has_a_valid_body_for_every_write_route(hostile_client: TestClient) -> None:
    writes = valid_writes(hostile_client)
    for route in routes(hostile_client):
        for method in route.methods & {"POST", "PATCH", "PUT"}:
            assert (method, api_path(route)) in writes, (
                f"no valid body for {method} {api_path(route)} in the hostile table"
            )


WRITE_ROUTES = [
    ("POST", "/customers"), ("PATCH", "/customers/{customerId}"), ("POST", "/customers/external-accounts"),
    ("POST", "/platform/external-accounts"), ("PATCH", "/config"), ("POST", "/plaid/link-tokens"),
    ("POST", "/plaid/callback/{plaid_link_token}"), ("POST", "/stablecoin-provider-accounts"),
    ("POST", "/platform/external-accounts/validate"), ("POST", "/events/recover"),
    ("POST", "/customers/external-accounts/{externalAccountId}/challenge"),
    ("POST", "/customers/external-accounts/{externalAccountId}/verify"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "template"), WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_every_field_of_a_write_survives_every_hostile_value(
    hostile_client: TestClient, database: Database, method: str, template: str
) -> None:
    writes = valid_writes(hostile_client)
    body, ids = writes[(method, template)], writes["ids"]
    path = concrete(template, ids)  # type: ignore[arg-type]
    for number, field in enumerate(leaves(body)):
        for index, value in enumerate(HOSTILE_VALUES):
            before = counts(database)
            headers = {"Content-Type": "application/json"}
            if template == "/stablecoin-provider-accounts":  # the one route that requires a key
                headers["Idempotency-Key"] = f"hostile-{number}-{index}"
            content = json.dumps(replaced(body, field, value))  # \u escapes, as a client sends them
            response = hostile_client.request(method, path, content=content, headers=headers)
            where = f"{method} {template} {'.'.join(field)}={str(value)[:20]!r}"
            check(response, where)
            if response.status_code >= 400:
                assert counts(database) == before, f"{where} was refused but stored something"


def test_every_path_and_query_parameter_survives_every_hostile_value(
    hostile_client: TestClient, database: Database
) -> None:
    ids = valid_writes(hostile_client)["ids"]
    before = counts(database)
    tried = 0
    for route in routes(hostile_client):
        names = [parameter.alias for parameter in route.dependant.path_params]
        queries = [parameter.alias for parameter in route.dependant.query_params]
        if "GET" in route.methods and not names:
            queries += ["limit", "cursor"]  # read by the paging dependency
        for method in sorted(route.methods):
            body = {} if method in ("POST", "PATCH") else None
            for value in HOSTILE_URL_VALUES:
                for name in names:
                    path = concrete(api_path(route).replace("{" + name + "}", value), ids)  # type: ignore[arg-type]
                    check(
                        hostile_client.request(method, path, json=body),
                        f"{method} {api_path(route)} {name}={value[:20]}",
                    )
                    tried += 1
                for name in queries:
                    path = concrete(api_path(route), ids)  # type: ignore[arg-type]
                    response = hostile_client.request(method, f"{path}?{name}={value}", json=body)
                    check(response, f"{method} {api_path(route)}?{name}={value[:20]}")
                    tried += 1
    assert tried > 300
    # Reads and refusals only: the real ids are never put in the place of the parameter under test.
    assert counts(database) == before
