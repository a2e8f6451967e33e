"""Concurrent callbacks on one link token: one account, one exchange, no Plaid Item left behind."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.support import loopback
from tests.support.plaid_link import customer, link, public_token


def test_ten_concurrent_callbacks_exchange_one_public_token(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    tokens = [public_token(simulator_url) for _ in range(10)]
    start = threading.Barrier(len(tokens))
    answers: list[Any] = []

    def call(token: str) -> None:
        start.wait(timeout=10)
        answers.append(plaid_app.post(linked["callbackUrl"], json={"publicToken": token}))

    threads = [threading.Thread(target=call, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(202) == 1 and set(statuses) <= {202, 409}, statuses
    # A loser was told to retry (a claim clears) or that the token is used (existingId): never an exchange.
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["x-should-retry"] == "true" or answer.json()["details"]["existingId"]
    state = loopback.get(f"{simulator_url}/_control/state", timeout=5).json()
    assert state["access_tokens"] == 1, state
