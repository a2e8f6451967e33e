"""Authentication and tenancy: every failure is a Grid 401, every resource is scoped to (platform, mode)."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook.auth.models import ApiToken
from railbook.config import Mode
from railbook.db import Database
from railbook.platforms import service as platforms
from tests.conftest import Token, make_token
from tests.support.spec import assert_error, conform


def basic(raw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def assert_unauthorized(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/customers", headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")
    conform(response)
    assert response.headers["www-authenticate"].startswith("Basic")


def test_missing_credentials(client: TestClient) -> None:
    assert_unauthorized(client, {})


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-only").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
def test_malformed_credentials(client: TestClient, authorization: str) -> None:
    assert_unauthorized(client, {"Authorization": authorization})


def test_unknown_token(client: TestClient) -> None:
    assert_unauthorized(client, basic("01a201a7-8b6d-770b-b745-1fe2eb05cf4a:whatever"))


def test_wrong_secret(client: TestClient, token: Token) -> None:
    assert_unauthorized(client, basic(f"{token.id}:{token.secret}x"))


def test_revoked_token(client: TestClient, token: Token, database: Database) -> None:
    assert client.get("/customers", headers=token.headers).status_code == 200
    with database.transaction() as session:
        platforms.revoke_token(session, token.id)
    assert_unauthorized(client, token.headers)


def test_unencoded_basic_credentials_as_some_guides_send_them(client: TestClient, token: Token) -> None:
    response = client.get("/customers", headers={"Authorization": f"Basic {token.id}:{token.secret}"})
    assert response.status_code == 200
    assert_unauthorized(client, {"Authorization": f"Basic {token.id}:wrong"})


def test_valid_token(client: TestClient, token: Token) -> None:
    response = client.get("/customers", headers=token.headers)
    assert response.status_code == 200
    assert conform(response) == {"data": [], "hasMore": False, "totalCount": 0}


def test_secret_is_stored_only_as_a_hash(database: Database, token: Token) -> None:
    with database.reading() as session:
        rows = [tuple(map(str, row)) for row in session.execute(select(ApiToken)).all()]
    assert rows
    assert all(token.secret not in value for row in rows for value in row)


@pytest.mark.parametrize("other", ["other platform", "other mode"])
def test_other_tenants_resources_are_invisible(
    client: TestClient, database: Database, token: Token, other: str
) -> None:
    stranger = (
        make_token(database, "globex", Mode.SANDBOX) if other == "other platform"
        else make_token(database, "acme", Mode.PRODUCTION)
    )  # fmt: skip
    created = client.post("/customers", headers=token.headers, json={"customerType": "INDIVIDUAL", "fullName": "Jo"})
    customer_id = created.json()["id"]
    for method in ("get", "delete"):
        response = client.request(method.upper(), f"/customers/{customer_id}", headers=stranger.headers)
        assert_error(response, 404, "USER_NOT_FOUND")
    response = client.patch(
        f"/customers/{customer_id}",
        headers=stranger.headers,
        json={"customerType": "INDIVIDUAL", "fullName": "X"},
    )
    assert_error(response, 404, "USER_NOT_FOUND")
    listed = client.get("/customers", headers=stranger.headers, params={"isIncludingDeleted": "true"}).json()
    assert listed["totalCount"] == 0
    # The same platformCustomerId may exist once per tenant.
    payload = {"customerType": "INDIVIDUAL", "platformCustomerId": "shared-id"}
    assert client.post("/customers", headers=token.headers, json=payload).status_code == 201
    assert client.post("/customers", headers=stranger.headers, json=payload).status_code == 201
    # The owner still sees its customer untouched.
    assert client.get(f"/customers/{customer_id}", headers=token.headers).json()["fullName"] == "Jo"
