"""The events API over HTTP: list and filter, read with attempts, redeliver, recover, retention, isolation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.kit.clock import rfc3339
from tests.conftest import Token, make_token
from tests.support.clients import api_client
from tests.support.receiver import Receiver, running_receiver
from tests.support.spec import conform
from tests.webhooks.test_webhooks import emit_status, point_at, wait_for_state


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def patient(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app with its worker on, and a failed delivery retried only an hour later."""
    slow_retries = settings.model_copy(
        update={
            "embedded_worker": True,
            "job_poll_seconds": 0.05,
            "webhook_retry_base_seconds": 3600.0,
            "webhook_retry_max_seconds": 3600.0,
            "webhook_timeout_seconds": 2.0,
            "sandbox_pending_seconds": 0.1,
        }
    )
    with api_client(slow_retries, database, token) as client:
        yield client


def wait_until(check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition never held")


def listed(client: TestClient, **params: str) -> dict[str, object]:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = conform(response)
    return body


def test_a_receiver_down_for_50_events_gets_all_50_after_one_recover(
    patient: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    point_at(patient, receiver, database_url, tmp_path)
    since = datetime.now(UTC) - timedelta(seconds=1)
    receiver.script = [503] * 50  # down: every first attempt fails, the next retry is an hour away
    emitted = [emit_status(database, token, f"ExternalAccount:{n}", n) for n in range(50)]
    wait_until(lambda: listed(patient, deliveryStatus="failed", limit="1")["totalCount"] == 50)
    failed = listed(patient, deliveryStatus="failed", limit="100")
    assert {event["id"] for event in failed["data"]} == set(emitted)  # type: ignore[index, union-attr]
    assert all(event["delivery"]["willRetry"] for event in failed["data"])  # type: ignore[index, union-attr]

    receiver.deliveries.clear()  # back up
    recovered = patient.post("/events/recover", json={"since": rfc3339(since)})
    assert recovered.status_code == 202, recovered.text
    assert conform(recovered)["queued"] == emitted  # oldest first
    arrived = receiver.wait_for(50)
    time.sleep(0.5)  # a second copy of any of them would arrive by now
    assert sorted(receiver.ids()) == sorted(emitted) and len(receiver.deliveries) == 50
    assert all(delivery.signature_valid for delivery in arrived)
    status_updates = {"type": "EXTERNAL_ACCOUNT.STATUS_UPDATED", "limit": "1"}  # not the endpoint's TEST event
    wait_until(lambda: listed(patient, deliveryStatus="delivered", **status_updates)["totalCount"] == 50)
    assert listed(patient, deliveryStatus="failed", limit="1")["totalCount"] == 0
    # Nothing is left to recover: the same call queues nothing.
    assert patient.post("/events/recover", json={"since": rfc3339(since)}).json() == {"queued": []}


def test_filters_return_exactly_the_matching_events(api: TestClient, database: Database, token: Token) -> None:
    first = emit_status(database, token, "ExternalAccount:a", 1)
    time.sleep(0.01)
    middle = datetime.now(UTC)
    time.sleep(0.01)
    second = emit_status(database, token, "ExternalAccount:a", 2)
    third = emit_status(database, token, "ExternalAccount:b", 3)
    everything = listed(api)
    assert [event["id"] for event in everything["data"]] == [third, second, first]  # type: ignore[index, union-attr]
    assert everything["totalCount"] == 3
    assert [e["id"] for e in listed(api, resourceId="ExternalAccount:a")["data"]] == [second, first]  # type: ignore[index, union-attr]
    assert [e["id"] for e in listed(api, createdAfter=rfc3339(middle))["data"]] == [third, second]  # type: ignore[index, union-attr]
    assert [e["id"] for e in listed(api, createdBefore=rfc3339(middle))["data"]] == [first]  # type: ignore[index, union-attr]
    assert listed(api, type="TEST")["data"] == []
    # No worker ran: nothing was attempted yet.
    assert listed(api, deliveryStatus="pending")["totalCount"] == 3
    assert listed(api, deliveryStatus="delivered")["totalCount"] == 0
    page = listed(api, limit="2")
    rest = listed(api, limit="2", cursor=str(page["nextCursor"]))
    assert [e["id"] for e in page["data"] + rest["data"]] == [third, second, first]  # type: ignore[operator, index, union-attr]
    bad = api.get("/events", params={"deliveryStatus": "lost", "createdAfter": "yesterday"})
    assert bad.status_code == 400
    assert {error["field"] for error in bad.json()["details"]["errors"]} == {"deliveryStatus", "createdAfter"}


def test_redeliver_sends_the_same_envelope_again_and_the_attempts_show_it(
    patient: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    point_at(patient, receiver, database_url, tmp_path)
    event_id = emit_status(database, token, "ExternalAccount:r", 1)
    [original] = receiver.wait_for(1)
    wait_for_state(database, event_id, "delivered")
    headers = {"Idempotency-Key": "redeliver-once"}
    queued = patient.post(f"/events/{event_id}/redeliver", headers=headers)
    assert (queued.status_code, conform(queued)) == (202, {"queued": [event_id]})
    replayed = patient.post(f"/events/{event_id}/redeliver", headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    _, again = receiver.wait_for(2)
    time.sleep(0.3)
    assert len(receiver.deliveries) == 2, "the replayed request queued nothing more"
    assert again.body == original.body and again.signature_valid
    wait_until(lambda: len(patient.get(f"/events/{event_id}").json()["attempts"]) == 2)
    detail = conform(patient.get(f"/events/{event_id}"))
    assert [(a["outcome"], a["statusCode"], a["url"]) for a in detail["attempts"]] == [
        ("delivered", 200, receiver.url), ("delivered", 200, receiver.url),
    ]  # fmt: skip
    assert detail["delivery"]["status"] == "delivered" and detail["delivery"]["attempts"] == 2


def test_status_updates_carry_the_previous_status(patient: TestClient) -> None:
    # Sandbox: an account number ending in 104 starts PENDING and settles ACTIVE in a job.
    info = {
        "accountType": "USD_ACCOUNT", "accountNumber": "000123456104", "routingNumber": "011401533",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Alberta Charleson"},
    }  # fmt: skip
    account = patient.post("/platform/external-accounts", json={"currency": "USD", "accountInfo": info}).json()
    wait_until(lambda: listed(patient, resourceId=account["id"])["totalCount"] == 1)
    [event] = listed(patient, resourceId=account["id"])["data"]  # type: ignore[misc]
    assert event["type"] == "EXTERNAL_ACCOUNT.STATUS_UPDATED"  # type: ignore[index]
    assert (event["data"]["status"], event["data"]["previousStatus"]) == ("ACTIVE", "PENDING")  # type: ignore[index]


def test_events_are_purged_after_the_retention_period(settings: Settings, database: Database, token: Token) -> None:
    brief = settings.model_copy(
        update={"embedded_worker": True, "job_poll_seconds": 0.05, "event_retention_days": 1 / 86400}
    )
    with api_client(brief, database, token) as client:
        event_id = emit_status(database, token, "ExternalAccount:old", 1)
        assert client.get(f"/events/{event_id}").status_code == 200
        wait_until(lambda: client.get(f"/events/{event_id}").status_code == 404, timeout=10)


def test_no_platform_or_mode_sees_or_touches_another_ones_events(
    api: TestClient, client: TestClient, database: Database, token: Token
) -> None:
    mine = emit_status(database, token, "ExternalAccount:mine", 1)
    others = (make_token(database, "globex", Mode.SANDBOX), make_token(database, "acme", Mode.PRODUCTION))
    theirs = [emit_status(database, other, "ExternalAccount:theirs", 1) for other in others]
    for other, their_event in zip(others, theirs, strict=True):
        assert api.get(f"/events/{their_event}").status_code == 404  # and the other way round
        assert [event["id"] for event in client.get("/events", headers=other.headers).json()["data"]] == [their_event]
    for other in others:
        assert client.get(f"/events/{mine}", headers=other.headers).status_code == 404
        assert client.post(f"/events/{mine}/redeliver", headers=other.headers).status_code == 404
        since = rfc3339(datetime.now(UTC) - timedelta(days=1))
        assert client.post("/events/recover", json={"since": since}, headers=other.headers).json() == {"queued": []}
    assert [event["id"] for event in listed(api)["data"]] == [mine]  # type: ignore[index, union-attr]


def test_recover_sends_skipped_events_once_the_endpoint_is_set_and_replays_under_its_key(
    patient: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    skipped = [emit_status(database, token, f"ExternalAccount:s{n}", n) for n in range(3)]
    for event_id in skipped:
        wait_for_state(database, event_id, "skipped")  # no endpoint yet
    assert listed(patient, deliveryStatus="skipped")["totalCount"] == 3
    point_at(patient, receiver, database_url, tmp_path)
    headers = {"Idempotency-Key": "recover-weekend"}
    first = patient.post("/events/recover", json={"since": rfc3339(since)}, headers=headers)
    assert first.json() == {"queued": skipped}
    again = patient.post("/events/recover", json={"since": rfc3339(since)}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.content == first.content
    receiver.wait_for(3)
    time.sleep(0.3)
    assert sorted(receiver.ids()) == sorted(skipped)
