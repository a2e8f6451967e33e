"""Stablecoin provider accounts over real HTTP against the Brale simulator: linking, idempotency, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.stablecoin_links.models import StablecoinProviderAccount
from tests.conftest import Token, make_token
from tests.support import loopback
from tests.support.brale import PATH, BraleControl, brale_settings, link, seed_request
from tests.support.clients import api_client
from tests.support.servers import bound_socket, serving
from tests.support.spec import assert_error, conform

SEED_ACCOUNT = "2VcUIonJeVQzFoBuC7LdFT0dRe4"
TWO_ACCOUNTS = ("2Js1YFqlfxgNqC2KTPEjrWIwKU7", "2VcUIIsgARwVbEGlIYbhg6fGG57")


@pytest.fixture
def api(settings: Settings, database: Database, token: Token, brale: BraleControl) -> Iterator[TestClient]:
    configured = brale_settings(settings, brale.url, embedded_worker=False)
    with api_client(configured, database, token) as client:
        yield client


def stored_links(database: Database) -> int:
    with database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(StablecoinProviderAccount)) or 0)


def test_seed_request_links_the_account_and_replays_byte_for_byte(api: TestClient, brale: BraleControl) -> None:
    body = seed_request()
    first = link(api, body, "seed-key-1")
    assert first.status_code == 201, first.text
    linked = conform(first)
    assert (linked["provider"], linked["providerAccountId"]) == ("BRALE", SEED_ACCOUNT)
    assert (linked["providerEnvironment"], linked["status"]) == ("SANDBOX", "ACTIVE")
    assert linked["id"].startswith("StablecoinProviderAccount:") and "lastVerifiedAt" in linked
    assert "apiClientId" not in first.text and body["apiClientSecret"] not in first.text
    assert "Idempotent-Replayed" not in first.headers

    again = link(api, body, "seed-key-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert brale.calls("/accounts") == 1

    other = link(api, {**body, "providerAccountId": TWO_ACCOUNTS[0]}, "seed-key-1")
    assert_error(other, 409, "CONFLICT")

    assert conform(api.get(f"{PATH}/{linked['id']}")) == linked
    listed = conform(api.get(PATH))
    assert (listed["data"], listed["hasMore"], listed["totalCount"]) == ([linked], False, 1)
    assert conform(api.get(PATH, params={"status": "INVALID"}))["data"] == []
    assert conform(api.get(PATH, params={"provider": "BRALE", "status": "ACTIVE"}))["totalCount"] == 1


def test_the_same_provider_account_cannot_be_linked_twice(api: TestClient, database: Database) -> None:
    first = conform(link(api, seed_request()))
    again = link(api, seed_request())
    assert_error(again, 409, "CONFLICT")
    assert again.json()["details"]["existingId"] == first["id"]
    assert stored_links(database) == 1


def test_choosing_among_several_accounts(api: TestClient, database: Database) -> None:
    two = {"provider": "BRALE", "apiClientId": "provider_client_two", "apiClientSecret": "provider_secret_two"}
    response = link(api, two)
    assert_error(response, 400, "INVALID_INPUT")
    assert "reach 2 accounts" in response.json()["message"]
    assert [error["field"] for error in response.json()["details"]["errors"]] == ["providerAccountId"]

    unknown = link(api, {**two, "providerAccountId": SEED_ACCOUNT})
    assert_error(unknown, 400, "INVALID_INPUT")
    assert unknown.json()["details"]["errors"][0]["field"] == "providerAccountId"
    assert stored_links(database) == 0

    chosen = conform(link(api, {**two, "providerAccountId": TWO_ACCOUNTS[1]}))
    assert chosen["providerAccountId"] == TWO_ACCOUNTS[1]


def test_credentials_the_provider_refuses_are_a_400_and_nothing_is_stored(api: TestClient, database: Database) -> None:
    response = link(api, {**seed_request(), "apiClientSecret": "not-the-secret"})
    assert_error(response, 400, "INVALID_INPUT")
    assert "refused" in response.json()["message"]
    fields = {error["field"] for error in response.json()["details"]["errors"]}
    assert fields == {"apiClientId", "apiClientSecret"}
    assert "not-the-secret" not in response.text
    assert stored_links(database) == 0


def test_bad_requests_name_every_failing_field(api: TestClient, database: Database) -> None:
    missing_key = api.post(PATH, json=seed_request())
    assert_error(missing_key, 400, "INVALID_INPUT")
    assert missing_key.json()["details"]["errors"][0]["field"] == "Idempotency-Key"
    long_key = link(api, seed_request(), "k" * 256)
    assert_error(long_key, 400, "INVALID_INPUT")
    assert "255" in long_key.json()["message"]

    empty = link(api, {})
    assert_error(empty, 400, "INVALID_INPUT")
    assert {error["field"] for error in empty.json()["details"]["errors"]} == {
        "provider", "apiClientId", "apiClientSecret"}  # fmt: skip
    wrong = link(api, {**seed_request(), "provider": "CIRCLE", "providerAccountId": "not/an id"})
    assert {error["field"] for error in wrong.json()["details"]["errors"]} == {"provider", "providerAccountId"}
    assert stored_links(database) == 0

    unauthenticated = api.post(PATH, json=seed_request(), headers={"Authorization": ""})
    assert_error(unauthenticated, 401, "UNAUTHORIZED")
    assert_error(api.get(f"{PATH}/StablecoinProviderAccount:nope"), 404, "STABLECOIN_PROVIDER_ACCOUNT_NOT_FOUND")


def test_provider_down_is_a_retryable_503_that_is_not_replayed(
    api: TestClient, brale: BraleControl, database: Database
) -> None:
    brale.post("faults", endpoint="/oauth2/token", status=500, times=1)
    failed = link(api, seed_request(), "retry-me")
    assert failed.status_code == 503
    assert failed.json()["code"] == "SERVICE_UNAVAILABLE" and "same Idempotency-Key" in failed.json()["message"]
    assert "Retry-After" in failed.headers
    assert stored_links(database) == 0
    retried = link(api, seed_request(), "retry-me")
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers


def test_a_duplicate_while_the_first_is_running_is_refused(api: TestClient, brale: BraleControl) -> None:
    brale.post("faults", endpoint="/accounts", latency_ms=1500, times=1)
    first: list[httpx.Response] = []
    running = threading.Thread(target=lambda: first.append(link(api, seed_request(), "slow-key")))
    running.start()
    try:
        while brale.calls("/accounts") == 0:
            threading.Event().wait(0.02)
        duplicate = link(api, seed_request(), "slow-key")
        assert_error(duplicate, 409, "CONFLICT")
        assert "still being processed" in duplicate.json()["message"]
        assert duplicate.headers["x-should-retry"] == "true"  # the one 409 that clears with time
    finally:
        running.join(timeout=15)
    assert first[0].status_code == 201
    assert brale.calls("/accounts") == 1


def test_fifty_concurrent_requests_with_one_key_link_once(
    settings: Settings, database: Database, token: Token, brale: BraleControl
) -> None:
    brale.post("faults", endpoint="/accounts", latency_ms=300, times=1)
    app = create_app(brale_settings(settings, brale.url, embedded_worker=False), database)
    with serving(app, bound_socket(), lifespan="on") as url:
        headers = {**token.headers, "Idempotency-Key": "one-key-for-fifty"}

        def send(_: int) -> httpx.Response:
            return loopback.post(f"{url}{API_PREFIX}{PATH}", json=seed_request(), headers=headers, timeout=30)

        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(send, range(50)))
    created = [answer for answer in answers if answer.status_code == 201]
    refused = [answer for answer in answers if answer.status_code == 409]
    assert len(created) + len(refused) == 50, [answer.status_code for answer in answers]
    assert created and len({answer.content for answer in created}) == 1
    assert all(answer.json()["code"] == "CONFLICT" for answer in refused)
    assert stored_links(database) == 1
    assert brale.calls("/accounts") == 1 and brale.calls("/oauth2/token") == 1


def test_replays_survive_a_restart(settings: Settings, database: Database, token: Token, brale: BraleControl) -> None:
    configured = brale_settings(settings, brale.url, embedded_worker=False)
    with api_client(configured, database) as before:
        first = link_with(before, token, "restart-key")
    assert first.status_code == 201
    with api_client(configured, database) as after:
        again = link_with(after, token, "restart-key")
    assert (again.status_code, again.content, again.headers["Idempotent-Replayed"]) == (201, first.content, "true")
    assert brale.calls("/accounts") == 1


def link_with(client: TestClient, token: Token, key: str) -> httpx.Response:
    return client.post(PATH, json=seed_request(), headers={**token.headers, "Idempotency-Key": key})


def test_keys_belong_to_one_platform_and_mode(
    api: TestClient, database: Database, token: Token, brale: BraleControl
) -> None:
    first = link(api, seed_request(), "shared-key")
    assert first.status_code == 201
    production = make_token(database, "acme", Mode.PRODUCTION)
    other = api.post(PATH, json=seed_request(), headers={**production.headers, "Idempotency-Key": "shared-key"})
    assert other.status_code == 201, other.text
    assert other.json()["providerEnvironment"] == "PRODUCTION" and other.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in other.headers
