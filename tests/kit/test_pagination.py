"""Keyset pagination: stable under concurrent inserts, signed cursors, bounded limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode
from railbook.db import Database
from tests.conftest import Token, make_token
from tests.support.spec import assert_error, conform


def add_customers(api: TestClient, count: int, prefix: str) -> list[str]:
    ids = []
    for index in range(count):
        response = api.post(
            "/customers", json={"customerType": "INDIVIDUAL", "platformCustomerId": f"{prefix}-{index}"}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_paging_250_customers_with_inserts_between_pages(api: TestClient) -> None:
    original = add_customers(api, 250, "first")
    seen: list[str] = []
    keys: list[tuple[str, str]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 37}
        if cursor:
            params["cursor"] = cursor
        body = conform(api.get("/customers", params=params))
        pages += 1
        seen += [item["id"] for item in body["data"]]
        keys += [(item["createdAt"], item["id"]) for item in body["data"]]
        assert body["totalCount"] == 250 + 3 * (pages - 1)
        add_customers(api, 3, f"between-{pages}")
        if not body["hasMore"]:
            assert "nextCursor" not in body
            break
        cursor = body["nextCursor"]
    assert pages == 7
    assert len(seen) == len(set(seen)) == 250
    assert set(seen) == set(original)
    assert keys == sorted(keys, reverse=True)


def test_default_limit_is_20_and_newest_first(api: TestClient) -> None:
    ids = add_customers(api, 25, "c")
    body = api.get("/customers").json()
    assert [item["id"] for item in body["data"]] == ids[::-1][:20]
    assert body["hasMore"] is True
    assert body["totalCount"] == 25


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5"])
def test_limit_out_of_range_is_400(api: TestClient, limit: str) -> None:
    response = api.get("/customers", params={"limit": limit})
    body = assert_error(response, 400, "INVALID_INPUT")
    assert body["details"]["errors"][0]["field"] == "limit"


def test_tampered_cursor_is_400(api: TestClient) -> None:
    add_customers(api, 3, "c")
    cursor = api.get("/customers", params={"limit": 1}).json()["nextCursor"]
    payload, mac = cursor.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (f"{flipped}.{mac}", cursor[:-2], "not-a-cursor", cursor + "x", f"{payload}.{mac[::-1]}"):
        response = api.get("/customers", params={"cursor": bad})
        assert assert_error(response, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "cursor"


def test_cursor_from_another_list_or_tenant_is_400(api: TestClient, database: Database, token: Token) -> None:
    add_customers(api, 3, "c")
    cursor = api.get("/customers", params={"limit": 1}).json()["nextCursor"]
    assert api.get("/customers", params={"cursor": cursor}).status_code == 200
    # The same cursor with other filters, or for another platform or mode, is refused.
    assert_error(api.get("/customers", params={"cursor": cursor, "region": "US"}), 400, "INVALID_INPUT")
    for other in (
        make_token(database, "globex", Mode.SANDBOX),
        make_token(database, "acme", Mode.PRODUCTION),
    ):
        response = api.get("/customers", params={"cursor": cursor}, headers=other.headers)
        assert_error(response, 400, "INVALID_INPUT")
