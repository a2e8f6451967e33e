"""Per-token rate limits: 429 RATE_LIMITED with Retry-After, per token, counted once per request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.ratelimit import RateLimited, RateLimiter
from tests.conftest import Token, make_token
from tests.support.clients import api_client


def limited_client(settings: Settings, database: Database, per_second: float) -> TestClient:
    """An API client whose tokens may make three requests at once and `per_second` after."""
    configured = settings.model_copy(
        update={"embedded_worker": False, "rate_limit_per_second": per_second, "rate_limit_burst": 3}
    )
    return api_client(configured, database)


@pytest.fixture
def limited(settings: Settings, database: Database) -> Iterator[TestClient]:
    with limited_client(settings, database, per_second=1.0) as client:
        yield client


@pytest.fixture
def barely_refilled(settings: Settings, database: Database) -> Iterator[TestClient]:
    # A refill slow enough that a slow database cannot hand back a request between the calls.
    with limited_client(settings, database, per_second=0.01) as client:
        yield client


def test_a_token_over_its_rate_gets_429_with_retry_after(limited: TestClient, token: Token, database: Database) -> None:
    assert [limited.get("/customers", headers=token.headers).status_code for _ in range(3)] == [200, 200, 200]
    refused = limited.get("/customers", headers=token.headers)
    assert refused.status_code == 429
    assert refused.json() == {
        "status": 429,
        "code": "RATE_LIMITED",
        "message": "Too many requests for this API token; retry in 1 s",
    }
    assert refused.headers["Retry-After"] == "1"
    # Another token of the same platform has its own allowance.
    other = make_token(database, "acme", Mode.PRODUCTION)
    assert limited.get("/customers", headers=other.headers).status_code == 200
    time.sleep(1.1)
    assert limited.get("/customers", headers=token.headers).status_code == 200


def test_an_idempotent_create_counts_once(barely_refilled: TestClient, token: Token) -> None:
    body = {"customerType": "INDIVIDUAL", "fullName": "Counted Once"}
    for number in range(3):
        headers = {**token.headers, "Idempotency-Key": f"once-{number}"}
        response = barely_refilled.post(
            "/customers", json={**body, "platformCustomerId": f"c{number}"}, headers=headers
        )
        assert response.status_code == 201, response.text
    assert barely_refilled.get("/customers", headers=token.headers).status_code == 429


def test_bad_credentials_do_not_spend_a_tokens_allowance(limited: TestClient, token: Token) -> None:
    wrong = {"Authorization": f"Basic {token.id}:wrong-secret"}
    assert all(limited.get("/customers", headers=wrong).status_code == 401 for _ in range(5))
    assert limited.get("/customers", headers=token.headers).status_code == 200


def test_the_bucket_refills_at_the_configured_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(per_second=10, burst=2, clock=lambda: now[0])
    limiter.take("t")
    limiter.take("t")
    with pytest.raises(RateLimited) as refused:
        limiter.take("t")
    assert refused.value.headers == {"Retry-After": "1"}
    now[0] += 0.11  # a little over one request's worth
    limiter.take("t")
    disabled = RateLimiter(per_second=0, burst=1)
    for _ in range(100):
        disabled.take("t")
