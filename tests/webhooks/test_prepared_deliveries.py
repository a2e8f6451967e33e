"""The worker's webhook deliveries: a claim's events read together, each sent as its own job's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.registry import Registry, TaskContext
from railbook.providers.http import build_sender
from railbook.providers.issuers import build_issuer_clients
from railbook.providers.plaid import build as build_plaid
from railbook.webhooks import tasks as webhook_tasks
from tests.conftest import TEST_KEYS, Token
from tests.support.receiver import Receiver, running_receiver
from tests.webhooks.test_webhooks import emit_status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_a_claims_events_are_read_together_and_each_job_sends_its_own(
    api: TestClient, receiver: Receiver, database: Database, settings: Settings, token: Token
) -> None:
    # No worker runs here: the jobs the API and emit() queue wait, and the test runs the preparer.
    assert api.patch("/config", json={"webhookEndpoint": receiver.url}).status_code == 200
    first = emit_status(database, token, "ExternalAccount:a", 1)
    second = emit_status(database, token, "ExternalAccount:b", 2)
    payloads = [{"eventId": second}, {"eventId": "Webhook:missing"}, {"eventId": first}]
    with build_sender() as sender:
        context = TaskContext(
            database=database, settings=settings, keys=TEST_KEYS, sender=sender, plaid=build_plaid(settings),
            issuers=build_issuer_clients(settings),
        )  # fmt: skip
        runs = webhook_tasks.prepare_deliveries(context, payloads)
        assert len(runs) == 3
        outcomes = [run() for run in runs]
    # An event that does not exist is nothing to do; the others were sent, each its own body.
    assert outcomes[1] is None and outcomes[0] is not None and outcomes[2] is not None
    assert [delivery.json["id"] for delivery in receiver.wait_for(2)] == [second, first]
    assert [delivery.json["data"]["n"] for delivery in receiver.deliveries] == [2, 1]


def test_the_delivery_kind_has_its_preparer(settings: Settings) -> None:
    registry = Registry()
    webhook_tasks.register(registry, settings)
    kind = registry.get(webhook_tasks.DELIVER_KIND)
    assert kind is not None and kind.prepare is webhook_tasks.prepare_deliveries
