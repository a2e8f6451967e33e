"""A key whose request died with its process is taken over after the request's lease, not after 120 s."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from railbook.config import Settings
from railbook.db import Database
from railbook.idempotency import store
from railbook.principal import Principal
from tests.conftest import Token
from tests.support.clients import api_client

ALICE = {"customerType": "INDIVIDUAL", "fullName": "Alice Example", "platformCustomerId": "alice-lease"}


def with_short_leases(settings: Settings) -> Settings:
    """Provider timeouts of 0.5 s: the longest request's lease is 1.5 s (30 s with the defaults).

    Long enough for a request to arrive within it on a busy two-core machine (at 0.9 s, one full run
    saw the request that should find the key busy arrive after its lease); short enough to wait out.
    """
    return settings.model_copy(
        update={"brale_timeout_seconds": 0.5, "plaid_timeout_seconds": 0.5, "embedded_worker": False}
    )


def claim_for_alice(api: TestClient, database: Database, token: Token, key: str, lock: timedelta) -> store.Outcome:
    """Claim `key` for ALICE's create as a request that is running elsewhere would have."""
    principal = Principal(token.id, token.platform_id, token.mode)
    body = api.build_request("POST", "/customers", json=ALICE).content
    print_ = store.fingerprint("POST", "/grid/2025-10-13/customers", body)
    return store.claim(database, principal, key, print_, timedelta(days=1), lock)


def test_a_dead_requests_key_is_taken_over_once_its_lease_ends(
    settings: Settings, database: Database, token: Token
) -> None:
    quick = with_short_leases(settings)
    lock = store.running_lock(quick)
    assert lock == timedelta(seconds=1.5) and store.running_lock(settings) == timedelta(seconds=30)
    with api_client(quick, database, token) as api:
        api.get("/customers").raise_for_status()  # the app's first request is not the one timed
        # The request that claimed this key died with its process: the key was written, nothing else.
        assert isinstance(claim_for_alice(api, database, token, "died", lock), store.Claimed)
        busy = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "died"})
        assert (busy.status_code, busy.headers["x-should-retry"]) == (409, "true")
        time.sleep(lock.total_seconds() + 0.2)
        taken_over = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "died"})
        assert taken_over.status_code == 201, taken_over.text


def test_a_request_whose_key_was_taken_over_cannot_answer_it_again(
    settings: Settings, database: Database, token: Token
) -> None:
    quick = with_short_leases(settings)
    lock = store.running_lock(quick)
    with api_client(quick, database, token) as api:
        # A slow request holds the key past its lease; a retry takes the key over and is answered.
        slow = claim_for_alice(api, database, token, "slow", lock)
        assert isinstance(slow, store.Claimed)
        time.sleep(lock.total_seconds() + 0.2)
        first = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "slow"})
        assert first.status_code == 201, first.text
        # The slow request now commits its own work with its answer: refused, so the work rolls back.
        with pytest.raises(store.AnsweredElsewhere), database.writing() as connection:
            store.complete_within(connection, slow, 201, b'{"id": "second"}')
        # Nor does its failure free the answered key.
        store.release(database, slow)
        replay = api.post("/customers", json=ALICE, headers={"Idempotency-Key": "slow"})
        assert (replay.status_code, replay.json()) == (201, first.json())
        assert replay.headers["Idempotent-Replayed"] == "true"
