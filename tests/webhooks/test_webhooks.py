"""Platform config and signed webhooks, delivered to a real receiver by the real worker."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.webhooks.events import DELIVER_KIND, emit
from railbook.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from tests.conftest import TEST_SECRET_KEYS, Token, make_token
from tests.support.cli_runner import ok
from tests.support.clients import api_client
from tests.support.receiver import Receiver, running_receiver
from tests.support.spec import assert_error, assert_schema, conform


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Settings with the embedded worker on and retries in milliseconds."""
    return settings.model_copy(
        update={
            "embedded_worker": True,
            "job_poll_seconds": 0.05,
            "webhook_retry_base_seconds": 0.02,
            "webhook_retry_max_seconds": 0.05,
            "webhook_timeout_seconds": 2.0,
        }
    )


@pytest.fixture
def live(fast: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app with its embedded worker running, authenticated as `acme` sandbox."""
    with api_client(fast, database, token) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def cli_public_key(database_url: str, platform: str, mode: str, data_dir: Path) -> str:
    """The webhook public key as `railbook platforms show --json` prints it."""
    env = {**os.environ, "RAILBOOK_DATABASE_URL": database_url, "RAILBOOK_SECRET_KEYS": TEST_SECRET_KEYS,
           "RAILBOOK_DATA_DIR": str(data_dir)}  # fmt: skip
    key: str = orjson.loads(ok(env, "platforms", "show", platform, "--mode", mode, "--json"))["webhookPublicKey"]
    return key


def point_at(client: TestClient, receiver: Receiver, database_url: str, tmp_path: Path) -> None:
    """Configure the endpoint; arm the receiver with the key from the CLI; absorb the TEST webhook."""
    receiver.public_key_pem = cli_public_key(database_url, "acme", "sandbox", tmp_path)
    response = client.patch("/config", json={"webhookEndpoint": receiver.url})
    assert response.status_code == 200, response.text
    [test] = receiver.wait_for(1)
    assert test.json["type"] == "TEST"
    receiver.deliveries.clear()


def emit_status(database: Database, token: Token, resource: str, n: int) -> str:
    with database.transaction() as session:
        event = emit(
            session, token.platform_id, token.mode, "EXTERNAL_ACCOUNT.STATUS_UPDATED",
            {"id": resource, "status": "ACTIVE", "n": n}, resource_key=resource,
        )  # fmt: skip
        return event.id


def wait_for_state(database: Database, event_id: str, state: str, timeout: float = 10.0) -> None:
    """Wait until Railbook has recorded the outcome (the receiver may see the request first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.reading() as session:
            event = session.get(WebhookEvent, event_id)
            if event is not None and event.state == state:
                return
        time.sleep(0.02)
    raise AssertionError(f"{event_id} never reached {state}")


def attempts(database: Database, event_id: str) -> list[WebhookAttempt]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(WebhookAttempt).where(WebhookAttempt.event_id == event_id).order_by(WebhookAttempt.seq)
            )
        )


def test_config_defaults_and_validation(api: TestClient, database: Database) -> None:
    body = conform(api.get("/config"))
    assert body["id"].startswith("PlatformConfig:")
    assert "webhookEndpoint" not in body
    for bad in ("ftp://example.com/hook", "not a url", "/relative/path", "https://user:pw@example.com/x"):
        response = api.patch("/config", json={"webhookEndpoint": bad})
        errors = assert_error(response, 400, "INVALID_INPUT")["details"]["errors"]
        assert errors[0]["field"] == "webhookEndpoint"
    production = make_token(database, "acme", Mode.PRODUCTION)
    response = api.patch("/config", json={"webhookEndpoint": "http://example.com/hook"}, headers=production.headers)
    assert_error(response, 400, "INVALID_INPUT")
    response = api.patch("/config", json={"webhookEndpoint": "https://example.com/hook"}, headers=production.headers)
    assert conform(response)["webhookEndpoint"] == "https://example.com/hook"
    # Each mode has its own configuration.
    assert "webhookEndpoint" not in api.get("/config").json()


def test_config_stores_and_echoes_other_fields(api: TestClient) -> None:
    update = {"umaDomain": "pay.example.com", "supportedCurrencies": [
        {"currencyCode": "USD", "minAmount": 100, "maxAmount": 1000000,
         "requiredCounterpartyFields": [], "enabledTransactionTypes": ["OUTGOING"]}]}  # fmt: skip
    body = conform(api.patch("/config", json=update))
    assert body["umaDomain"] == "pay.example.com"
    assert body["supportedCurrencies"] == update["supportedCurrencies"]
    assert conform(api.get("/config"))["umaDomain"] == "pay.example.com"


@pytest.mark.subprocess
def test_setting_the_endpoint_sends_a_signed_test_webhook(
    live: TestClient, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    receiver.public_key_pem = cli_public_key(database_url, "acme", "sandbox", tmp_path)
    assert live.patch("/config", json={"webhookEndpoint": receiver.url}).status_code == 200
    [delivery] = receiver.wait_for(1)
    assert delivery.signature_valid
    envelope = delivery.json
    assert envelope["type"] == "TEST" and envelope["data"] == {} and envelope["id"].startswith("Webhook:")
    assert_schema(envelope, "BaseWebhook")
    # The same endpoint again is not a change: no second TEST.
    live.patch("/config", json={"webhookEndpoint": receiver.url})
    time.sleep(0.3)
    assert len(receiver.deliveries) == 1


@pytest.mark.subprocess
def test_failing_receiver_gets_the_same_event_until_it_acknowledges(
    live: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    point_at(live, receiver, database_url, tmp_path)
    receiver.script = [500, 503, 502]
    event_id = emit_status(database, token, "ExternalAccount:1", 1)
    receiver.wait_for(1)
    wait_for_state(database, event_id, "delivered")
    assert receiver.ids(None) == [event_id] * 4
    assert all(d.signature_valid for d in receiver.deliveries)
    assert len({d.body for d in receiver.deliveries}) == 1
    recorded = attempts(database, event_id)
    assert [(a.outcome, a.status_code) for a in recorded] == [
        ("failed", 500), ("failed", 503), ("failed", 502), ("delivered", 200),
    ]  # fmt: skip
    assert recorded[-1].response_excerpt == '{"ok": true}'
    envelope = receiver.deliveries[-1].json
    assert (envelope["type"], envelope["data"]["id"]) == (
        "EXTERNAL_ACCOUNT.STATUS_UPDATED",
        "ExternalAccount:1",
    )


@pytest.mark.subprocess
def test_409_means_the_receiver_already_has_it(
    live: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    point_at(live, receiver, database_url, tmp_path)
    receiver.script = [409]
    event_id = emit_status(database, token, "ExternalAccount:1", 1)
    receiver.wait_for(1, status=409)
    wait_for_state(database, event_id, "duplicate")
    time.sleep(0.3)
    assert receiver.ids(None) == [event_id]
    assert [a.outcome for a in attempts(database, event_id)] == ["duplicate"]


def test_test_webhooks_are_never_retried(live: TestClient, receiver: Receiver, database: Database) -> None:
    receiver.script = [500]
    live.patch("/config", json={"webhookEndpoint": receiver.url})
    receiver.wait_for(1, status=500)
    time.sleep(0.3)
    assert len(receiver.deliveries) == 1
    with database.reading() as session:
        event = session.scalars(select(WebhookEvent)).one()
        job = session.scalars(select(Job).where(Job.kind == DELIVER_KIND)).one()
    assert (event.state, job.status) == ("failed", "dead")


@pytest.mark.subprocess
def test_events_about_one_resource_arrive_in_order(
    live: TestClient, receiver: Receiver, database: Database, token: Token, database_url: str, tmp_path: Path
) -> None:
    point_at(live, receiver, database_url, tmp_path)
    receiver.script = [500, 500]
    emitted = [emit_status(database, token, "ExternalAccount:7", n) for n in range(5)]
    receiver.wait_for(5)
    assert receiver.ids(200) == emitted


def test_a_hanging_receiver_does_not_stall_other_platforms(
    fast: Settings, database: Database, token: Token, receiver: Receiver
) -> None:
    settings = fast.model_copy(update={"webhook_timeout_seconds": 1.5, "worker_concurrency": 4,
                                       "webhook_concurrency_per_platform": 2})  # fmt: skip
    other = make_token(database, "globex", Mode.SANDBOX)
    with (
        running_receiver() as slow,
        api_client(settings, database) as client,
    ):
        slow.hang_seconds = 1.0
        assert client.patch("/config", json={"webhookEndpoint": slow.url}, headers=token.headers).status_code == 200
        assert client.patch("/config", json={"webhookEndpoint": receiver.url}, headers=other.headers).status_code == 200
        receiver.wait_for(1)
        for n in range(8):
            emit_status(database, token, f"ExternalAccount:slow-{n}", n)
        started = time.monotonic()
        for n in range(6):
            emit_status(database, other, f"ExternalAccount:fast-{n}", n)
        receiver.wait_for(7)
        elapsed = time.monotonic() - started
        slow_done = len(slow.deliveries)
    # 9 slow deliveries (TEST + 8) at 1 s each with 2 in flight take 4+ s; the other platform did not wait.
    assert slow_done < 9
    assert elapsed < 4.0


@pytest.mark.subprocess
def test_the_test_endpoint(
    api: TestClient, receiver: Receiver, database: Database, database_url: str, tmp_path: Path
) -> None:
    assert_error(api.post("/webhooks/test"), 400, "WEBHOOK_ENDPOINT_NOT_SET")
    api.patch("/config", json={"webhookEndpoint": receiver.url})
    receiver.public_key_pem = cli_public_key(database_url, "acme", "sandbox", tmp_path)
    response = api.post("/webhooks/test")
    body = conform(response)
    assert body == {"url": receiver.url, "response_status": 200, "response_body": '{"ok": true}'}
    assert receiver.deliveries[-1].signature_valid and receiver.deliveries[-1].json["type"] == "TEST"
    receiver.script = [500]
    assert conform(api.post("/webhooks/test"))["response_status"] == 500
    api.patch("/config", json={"webhookEndpoint": "http://127.0.0.1:9/unreachable"})
    body = assert_error(api.post("/webhooks/test"), 400, "WEBHOOK_DELIVERY_ERROR")
    assert "127.0.0.1:9" in body["details"]["url"]
    # Served in production too (Grid's path since 2026-09): this platform has no production endpoint yet.
    production = make_token(database, "acme", Mode.PRODUCTION)
    assert_error(api.post("/webhooks/test", headers=production.headers), 400, "WEBHOOK_ENDPOINT_NOT_SET")


def test_the_earlier_sandbox_path_still_sends_the_test_webhook(
    api: TestClient, receiver: Receiver, database: Database
) -> None:
    api.patch("/config", json={"webhookEndpoint": receiver.url})
    response = api.post("/sandbox/webhooks/test")
    assert response.status_code == 200, response.text
    assert_schema(response.json(), "TestWebhookResponse")
    assert receiver.deliveries[-1].json["type"] == "TEST"
    # As that path always was: sandbox tokens only, and not in the served document.
    production = make_token(database, "acme", Mode.PRODUCTION)
    assert_error(api.post("/sandbox/webhooks/test", headers=production.headers), 404, "REFERENCE_NOT_FOUND")
    assert "/sandbox/webhooks/test" not in api.get("/openapi.json").json()["paths"]
    assert "post" in api.get("/openapi.json").json()["paths"]["/webhooks/test"]


def test_production_refuses_private_addresses_unless_allowed(
    fast: Settings, database: Database, receiver: Receiver
) -> None:
    production = make_token(database, "acme", Mode.PRODUCTION)
    for allow, expected in ((False, "non-public address"), (True, "ConnectError")):
        settings = fast.model_copy(update={"webhook_allow_private": allow})
        with api_client(settings, database) as client:
            client.patch(
                "/config",
                json={"webhookEndpoint": f"https://127.0.0.1:9/{allow}"},
                headers=production.headers,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with database.reading() as session:
                    errors = [a.error or "" for a in session.scalars(select(WebhookAttempt))]
                if any(expected in error for error in errors):
                    break
                time.sleep(0.05)
            assert any(expected in error for error in errors), errors


def test_signing_keys_are_stored_encrypted(api: TestClient, database: Database) -> None:
    api.get("/config")
    with database.reading() as session:
        stored = session.scalars(select(WebhookEndpoint)).all()
    assert stored
    for environment in stored:
        assert environment.signing_key.startswith("v1:")
        assert "PRIVATE KEY" not in environment.signing_key
        assert "BEGIN PUBLIC KEY" in environment.public_key_pem
