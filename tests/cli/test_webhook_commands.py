"""`railbook webhooks deliveries` and `replay`, through the real command line against a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.webhooks.events import emit
from railbook.webhooks.models import WebhookAttempt, WebhookEndpoint
from tests.conftest import TEST_SECRET_KEYS, make_token
from tests.support.cli_runner import clean_env, fails, ok
from tests.support.operator_commands import (
    delivery_rows,
    event_state,
    run_worker,
    set_endpoint,
)
from tests.support.receiver import Receiver, running_receiver

# -- 3. railbook webhooks deliveries / replay ------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.mark.subprocess
def test_deliveries_list_attempts_and_replay_resends_the_same_event(
    database_url: str, database: Database, settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    env = clean_env(database_url, tmp_path / "data", secret_keys=TEST_SECRET_KEYS)
    token = make_token(database, "acme", Mode.SANDBOX)
    assert delivery_rows(env) == []

    with database.reading() as session:
        receiver.public_key_pem = session.scalars(
            select(WebhookEndpoint.public_key_pem).where(
                WebhookEndpoint.platform_id == token.platform_id, WebhookEndpoint.mode == Mode.SANDBOX.value
            )
        ).one()
    set_endpoint(settings, database, token.headers, receiver.url)
    assert receiver.deliveries == []  # nothing is sent until a worker runs
    assert run_worker(settings, database) == 1
    [first] = receiver.wait_for(1)
    assert first.signature_valid
    event_id = first.json["id"]
    assert first.json["type"] == "TEST" and event_id.startswith("Webhook:")

    [row] = delivery_rows(env)
    assert len(row) == 8, row
    created, listed_id, event_type, outcome, status, duration, url, error = row
    assert (listed_id, event_type, outcome, status, url, error) == (
        event_id,
        "TEST",
        "delivered",
        "200",
        receiver.url,
        "",
    )
    assert duration.endswith("ms") and created.startswith("20")
    assert delivery_rows(env, "--failed") == []
    assert delivery_rows(env, "--event", event_id) == [row]

    # Another event, so that --event has something to leave out.
    with database.transaction() as session:
        other_id = emit(
            session, token.platform_id, token.mode, "EXTERNAL_ACCOUNT.STATUS_UPDATED", {"id": "ExternalAccount:1"}
        ).id
    assert run_worker(settings, database) == 1
    receiver.wait_for(2)
    assert [r[1] for r in delivery_rows(env)] == [other_id, event_id]  # newest first
    assert [r[1] for r in delivery_rows(env, "--limit", "1")] == [other_id]
    assert delivery_rows(env, "--event", event_id) == [row]

    # The receiver fails the replay.
    receiver.script = [500]
    assert ok(env, "webhooks", "replay", event_id).strip() == f"queued {event_id} for delivery"
    assert len(receiver.deliveries) == 2  # queued, not sent by the CLI itself
    assert run_worker(settings, database) == 1
    [replayed] = receiver.wait_for(1, status=500)
    assert replayed.json["id"] == event_id
    assert replayed.body == first.body
    assert replayed.signature_valid

    [failed] = delivery_rows(env, "--failed", "--event", event_id)
    assert failed[1:5] == [event_id, "TEST", "failed", "500"]
    assert failed[6:] == [receiver.url, "receiver answered 500"]
    assert [r[3:5] for r in delivery_rows(env, "--event", event_id)] == [["failed", "500"], ["delivered", "200"]]
    assert [r[1] for r in delivery_rows(env, "--failed")] == [event_id]
    assert delivery_rows(env, "--failed", "--event", other_id) == []
    # The receiver had it from the first delivery: a failed resend does not take that back.
    assert event_state(database, event_id) == "delivered"
    with database.reading() as session:
        attempts = session.scalars(
            select(WebhookAttempt.outcome).where(WebhookAttempt.event_id == event_id).order_by(WebhookAttempt.seq)
        ).all()
    assert attempts == ["delivered", "failed"]
    # A failed TEST replay is not retried.
    assert run_worker(settings, database) == 0
    assert len(receiver.deliveries) == 3

    # Replaying it again, now that the receiver is healthy, delivers the same bytes once more.
    ok(env, "webhooks", "replay", event_id)
    assert run_worker(settings, database) == 1
    assert receiver.deliveries[-1].body == first.body and receiver.deliveries[-1].status_answered == 200
    assert event_state(database, event_id) == "delivered"

    # An unknown id is refused cleanly and queues nothing.
    with database.reading() as session:
        jobs_before = len(session.scalars(select(Job)).all())
    stderr = fails(env, "webhooks", "replay", "Webhook:does-not-exist")
    assert "no event" in stderr and "Webhook:does-not-exist" in stderr
    with database.reading() as session:
        assert len(session.scalars(select(Job)).all()) == jobs_before
    assert run_worker(settings, database) == 0
    assert len(receiver.deliveries) == 4
