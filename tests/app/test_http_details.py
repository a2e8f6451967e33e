"""HTTP details every route shares: `Allow` on 405, non-JSON bodies refused by name, `x-should-retry`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook import API_PREFIX
from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from tests.conftest import Token
from tests.support.clients import api_client
from tests.support.spec import assert_error

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALICE = {"customerType": "INDIVIDUAL", "fullName": "Alice Example"}
PLATFORM_USD = {
    "currency": "USD",
    "platformAccountId": "treasury-1",
    "accountInfo": {
        "accountType": "USD_ACCOUNT",
        "accountNumber": "123456789",
        "routingNumber": "021000021",
        "bankAccountType": "CHECKING",
        "beneficiary": {"beneficiaryType": "BUSINESS", "legalName": "Acme Inc"},
    },
}
# Every API route taking a body; the path's parameters are filled in by `concrete`.
WRITES = [
    ("POST", "/customers"),
    ("PATCH", "/customers/{customerId}"),
    ("POST", "/customers/external-accounts"),
    ("POST", "/platform/external-accounts"),
    ("POST", "/stablecoin-provider-accounts"),
    ("POST", "/plaid/link-tokens"),
    ("POST", "/plaid/callback/{plaid_link_token}"),
    ("POST", "/sandbox/webhooks/test"),
    ("PATCH", "/config"),
]
NOT_JSON = {
    "text/plain": b'{"customerType": "INDIVIDUAL", "fullName": "Plain Text"}',
    "application/x-www-form-urlencoded": b"customerType=INDIVIDUAL&fullName=Form",
    "text/plain; charset=utf-8": b'{"customerType": "INDIVIDUAL"}',
    "multipart/form-data; boundary=x": b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
}


def concrete(path: str) -> str:
    """A path template with each parameter given a well-formed id that names nothing."""
    return re.sub(r"\{[^}]+\}", "Customer:019a0000-0000-7000-8000-000000000000", path)


def served_paths(client: TestClient) -> dict[str, set[str]]:
    """Each API path template and the methods the app registers on it."""
    served: dict[str, set[str]] = {}
    for context in iter_route_contexts(list(client.app.routes)):  # type: ignore[attr-defined]
        if context.path and context.path.startswith(API_PREFIX) and context.methods and "docs" not in context.path:
            served.setdefault(context.path.removeprefix(API_PREFIX), set()).update(context.methods)
    return served


def stored(database: Database) -> tuple[int, int]:
    with database.reading() as session:
        customers = session.scalar(select(func.count()).select_from(Customer))
        accounts = session.scalar(select(func.count()).select_from(ExternalAccount))
    return int(customers or 0), int(accounts or 0)


def test_405_lists_every_method_of_the_path(api: TestClient) -> None:
    response = api.put("/customers/Customer:019a0000-0000-7000-8000-000000000000", json={})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, PATCH, DELETE"
    assert "PUT" in response.json()["message"] and "GET, PATCH, DELETE" in response.json()["message"]
    assert api.post("/config", json={}).headers["Allow"] == "GET, PATCH"
    assert api.delete("/stablecoin-provider-accounts").headers["Allow"] == "GET, POST"
    # The literal path is the resource, though `/customers/{customerId}` matches it too.
    assert api.put("/customers/external-accounts", json={}).headers["Allow"] == "GET, POST"


def test_every_path_answers_its_full_method_list(api: TestClient) -> None:
    served = served_paths(api)
    assert len(served) >= 12
    for template, methods in served.items():
        path = concrete(template)
        # `/customers/external-accounts` also reaches `/customers/{customerId}`'s methods.
        reachable = set().union(*(more for other, more in served.items() if _pattern(other).fullmatch(path)))
        for method in METHODS:
            response = api.request(method, path, json={})
            if method in reachable:
                assert response.status_code != 405, f"{method} {template} is served but answered 405"
                continue
            assert_error(response, 405, "METHOD_NOT_ALLOWED")
            listed = set(response.headers["Allow"].split(", "))
            assert listed == methods, f"{method} {template}: Allow {listed}, served {methods}"


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


@pytest.mark.parametrize("content_type", list(NOT_JSON))
def test_a_body_that_is_not_json_is_refused_naming_its_content_type(
    api: TestClient, database: Database, content_type: str
) -> None:
    for method, path in WRITES:
        headers = {"Content-Type": content_type, "Idempotency-Key": f"not-json-{method}-{path}"}
        response = api.request(method, concrete(path), content=NOT_JSON[content_type], headers=headers)
        where = f"{content_type}: {method} {path}"
        body = assert_error(response, 400, "INVALID_INPUT")
        assert content_type in body["message"], where
        assert body["details"]["errors"][0]["field"] == "Content-Type", where
    assert stored(database) == (0, 0)


def test_json_without_a_content_type_still_works(api: TestClient, database: Database) -> None:
    customer = api.build_request("POST", "/customers", content=b'{"customerType": "INDIVIDUAL", "fullName": "No Type"}')
    assert "content-type" not in customer.headers
    assert api.send(customer).status_code == 201
    account = api.build_request("POST", "/platform/external-accounts", json=PLATFORM_USD)
    del account.headers["content-type"]
    assert api.send(account).status_code == 201, account
    assert stored(database) == (1, 1)


def test_json_variants_are_json(api: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"):
        body = b'{"customerType": "INDIVIDUAL", "fullName": "Typed"}'
        assert api.post("/customers", content=body, headers={"Content-Type": content_type}).status_code == 201


def test_final_client_errors_say_not_to_retry(api: TestClient) -> None:
    invalid = api.post("/customers", json={"customerType": "NOBODY"})
    assert (invalid.status_code, invalid.headers["x-should-retry"]) == (400, "false")
    created = api.post("/platform/external-accounts", json=PLATFORM_USD)
    assert created.status_code == 201 and "x-should-retry" not in created.headers
    duplicate = api.post("/platform/external-accounts", json=PLATFORM_USD)
    assert (duplicate.status_code, duplicate.headers["x-should-retry"]) == (409, "false")
    missing = api.get("/customers/Customer:019a0000-0000-7000-8000-000000000000")
    assert (missing.status_code, missing.headers["x-should-retry"]) == (404, "false")
    assert api.put("/customers", json={}).headers["x-should-retry"] == "false"
    assert api.get("/nowhere").headers["x-should-retry"] == "false"
    unauthenticated = api.get("/customers", headers={"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="})
    assert (unauthenticated.status_code, unauthenticated.headers["x-should-retry"]) == (401, "false")
    oversized = api.post("/customers", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert (oversized.status_code, oversized.headers["x-should-retry"]) == (413, "false")


def test_a_replayed_client_error_says_not_to_retry(api: TestClient) -> None:
    headers = {"Idempotency-Key": "replayed-400"}
    first = api.post("/customers", json={"customerType": "NOBODY"}, headers=headers)
    again = api.post("/customers", json={"customerType": "NOBODY"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (first.status_code, again.status_code, again.headers["x-should-retry"]) == (400, 400, "false")


@pytest.fixture
def limited(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 1})
    with api_client(configured, database, token) as client:
        yield client


def test_429_and_503_keep_retry_after_and_may_be_retried(limited: TestClient, tmp_path: Path, token: Token) -> None:
    assert limited.get("/customers").status_code == 200
    refused = limited.get("/customers")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "x-should-retry" not in refused.headers
    down = Database("postgresql://postgres@127.0.0.1:1/nowhere")
    settings = Settings(database_url=down.url, data_dir=tmp_path, embedded_worker=False)
    try:
        with api_client(settings, down) as client:
            unavailable = client.get("/customers", headers=token.headers)
    finally:
        down.dispose()
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"]
    assert "x-should-retry" not in unavailable.headers
