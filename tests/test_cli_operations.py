"""Operating Railbook from the command line: key rotation, master keys per mode, webhook deliveries and replay."""

from __future__ import annotations

import base64
import os
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.keys import SANDBOX_KEY_FILE
from railbook.kit.crypto import MasterKeys, SecretDecryptionError, sign, verify
from railbook.platforms.models import Platform
from railbook.providers.http import build_sender
from railbook.tasks import build_worker
from railbook.webhooks.events import emit
from railbook.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from tests.cli_runner import RAILBOOK, clean_env, fails, ok, railbook
from tests.conftest import TEST_KEYS, TEST_SECRET_KEYS, make_token
from tests.receiver import Receiver, running_receiver
from tests.serve_process import free_port

# A server that refuses to start must say so well within this.
REFUSAL_TIMEOUT = 20.0
WORKER_PASSES = 20


# -- helpers ---------------------------------------------------------------------------------


def rotation_report(signing_keys: int, identifiers: int = 0, access_tokens: int = 0, links: int = 0) -> list[str]:
    """What `railbook secrets rotate` prints for these counts."""
    return [
        f"platform webhook signing keys: {signing_keys} re-encrypted",
        f"customer identifiers: {identifiers} re-encrypted",
        f"Plaid access tokens: {access_tokens} re-encrypted",
        f"stablecoin provider credentials: {links} re-encrypted",
    ]


def new_key() -> str:
    """Base64 of 32 fresh random bytes (a master key)."""
    return base64.b64encode(os.urandom(32)).decode()


def listening(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serve_expecting_refusal(env: dict[str, str], tmp_path: Path) -> tuple[int, str, str, float]:
    """Start `railbook serve`, wait (bounded) for it to exit; (exit code, stdout, stderr, seconds taken).

    A server that does start anyway is stopped in `finally` and the test fails.
    """
    port = free_port()
    out_path, err_path = tmp_path / "serve.stdout", tmp_path / "serve.stderr"
    started = time.monotonic()
    with out_path.open("w") as stdout, err_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(RAILBOOK), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    try:
        try:
            code = process.wait(timeout=REFUSAL_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"railbook serve kept running:\n{out_path.read_text()}\n{err_path.read_text()}")
        elapsed = time.monotonic() - started
        assert not listening(port)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    return code, out_path.read_text(), err_path.read_text(), elapsed


def environments(database: Database) -> list[WebhookEndpoint]:
    """Every webhook endpoint (one per platform and mode), by id."""
    with database.reading() as session:
        return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def private_key(keys: MasterKeys, environment: WebhookEndpoint) -> bytes:
    """The endpoint's signing key (PKCS8 DER), decrypted with `keys`."""
    return keys.decrypt(environment.signing_key, environment.id.encode())


def assert_key_pair(private_der: bytes, public_pem: str) -> None:
    """`private_der` is a P-256 private key whose public half is exactly `public_pem`."""
    loaded = serialization.load_der_private_key(private_der, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert isinstance(loaded.curve, ec.SECP256R1)
    derived = loaded.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert derived.decode("ascii") == public_pem


# -- 1. railbook secrets rotate --------------------------------------------------------------


@pytest.mark.subprocess
def test_rotate_reencrypts_every_signing_key_under_the_new_master_key(
    database_url: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    data_dir = tmp_path / "data"
    before_env = clean_env(database_url, data_dir, secret_keys=f"old:{old}")
    ok(before_env, "platforms", "create", "acme")
    ok(before_env, "platforms", "create", "globex")

    before = environments(database)
    assert len(before) == 4  # two platforms, sandbox and production each
    assert all(environment.signing_key.startswith("v1:old:") for environment in before)
    old_only = MasterKeys.parse(f"old:{old}")
    originals = {environment.id: private_key(old_only, environment) for environment in before}

    rotating_env = clean_env(database_url, data_dir, secret_keys=f"new:{new},old:{old}")
    assert ok(rotating_env, "secrets", "rotate").splitlines() == rotation_report(4)

    after = environments(database)
    assert [environment.id for environment in after] == [environment.id for environment in before]
    new_only = MasterKeys.parse(f"new:{new}")
    for was, now in zip(before, after, strict=True):
        assert now.signing_key.startswith("v1:new:")
        assert now.signing_key != was.signing_key
        assert now.public_key_pem == was.public_key_pem
        decrypted = private_key(new_only, now)
        assert decrypted == originals[now.id]
        assert_key_pair(decrypted, now.public_key_pem)
        # The old key alone can no longer open it, and the envelope stays bound to its row.
        with pytest.raises(SecretDecryptionError):
            private_key(old_only, now)
        with pytest.raises(SecretDecryptionError):
            new_only.decrypt(now.signing_key, b"PlatformConfig:someone-else")
    # No sandbox key was generated along the way: the configured keys were used.
    assert not (data_dir / SANDBOX_KEY_FILE).exists()

    # Everything is current: a second rotation (even with only the new key) has nothing to do.
    assert ok(rotating_env, "secrets", "rotate").splitlines() == rotation_report(0)
    new_only_env = clean_env(database_url, data_dir, secret_keys=f"new:{new}")
    assert ok(new_only_env, "secrets", "rotate").splitlines() == rotation_report(0)
    assert [environment.signing_key for environment in environments(database)] == [
        environment.signing_key for environment in after
    ]

    # A webhook signed after rotation verifies with the public key platforms already hold.
    body = b'{"id":"Webhook:after-rotation","type":"TEST","data":{}}'
    for environment in after:
        signature = sign(private_key(new_only, environment), body)
        assert verify(environment.public_key_pem, body, signature)
        assert not verify(environment.public_key_pem, body + b" ", signature)

    # And the real delivery path, holding only the new key, signs what a receiver verifies.
    acme_sandbox = make_token(database, "acme", Mode.SANDBOX)
    with running_receiver() as receiver:
        [environment] = [e for e in after if e.platform_id == acme_sandbox.platform_id and e.mode == Mode.SANDBOX.value]
        receiver.public_key_pem = environment.public_key_pem
        set_endpoint(settings, database, acme_sandbox.headers, receiver.url)
        run_worker(settings, database, new_only)
        [delivery] = receiver.wait_for(1)
    assert delivery.signature_valid and delivery.json["type"] == "TEST"


@pytest.mark.subprocess
def test_rotate_without_the_old_key_fails_and_changes_nothing(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    ok(clean_env(database_url, tmp_path / "data", secret_keys=f"old:{old}"), "platforms", "create", "acme")
    before = [environment.signing_key for environment in environments(database)]

    stderr = fails(clean_env(database_url, tmp_path / "data", secret_keys=f"new:{new}"), "secrets", "rotate")
    assert "'old'" in stderr and "RAILBOOK_SECRET_KEYS" in stderr
    assert old not in stderr and new not in stderr
    assert [environment.signing_key for environment in environments(database)] == before


# -- 2. master keys by deployment mode -------------------------------------------------------


@pytest.mark.subprocess
def test_production_serve_without_master_keys_refuses_to_start(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, mode="production")
    code, stdout, stderr, elapsed = serve_expecting_refusal(env, tmp_path)
    assert code != 0
    assert elapsed < REFUSAL_TIMEOUT
    assert "RAILBOOK_SECRET_KEYS" in stderr
    assert "Traceback" not in stderr
    assert "Serving Railbook" not in stdout
    # Nothing was bootstrapped and no key was invented.
    assert "token id" not in stdout
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    # The other commands that need the keys refuse just as cleanly.
    assert "RAILBOOK_SECRET_KEYS" in fails(env, "platforms", "create", "acme")
    assert "RAILBOOK_SECRET_KEYS" in fails(env, "secrets", "rotate")
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []
    assert not (data_dir / SANDBOX_KEY_FILE).exists()


@pytest.mark.subprocess
def test_sandbox_without_master_keys_generates_one_private_key_file_and_reuses_it(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "sandbox-data"
    env = clean_env(database_url, data_dir)
    assert "RAILBOOK_MODE" not in env and "RAILBOOK_SECRET_KEYS" not in env
    key_file = data_dir / SANDBOX_KEY_FILE
    assert not key_file.exists()

    ok(env, "platforms", "create", "x")
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_text = key_file.read_text()
    keys = MasterKeys.parse(first_text)
    assert [path.name for path in data_dir.iterdir()] == [SANDBOX_KEY_FILE]  # no scratch file left behind

    [x_sandbox, x_production] = sorted(environments(database), key=lambda e: e.mode, reverse=True)
    for environment in (x_sandbox, x_production):
        assert environment.signing_key.startswith(f"v1:{keys.active_kid}:")
        assert_key_pair(private_key(keys, environment), environment.public_key_pem)

    # Later commands use the same key: the file is untouched and both platforms decrypt with it.
    ok(env, "platforms", "create", "y")
    shown = orjson.loads(ok(env, "platforms", "show", "x", "--mode", "sandbox", "--json"))
    assert shown["webhookPublicKey"] == x_sandbox.public_key_pem
    assert key_file.read_text() == first_text
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    every = environments(database)
    assert len(every) == 4
    for environment in every:
        assert_key_pair(private_key(keys, environment), environment.public_key_pem)
    assert ok(env, "secrets", "rotate").splitlines() == rotation_report(0)


MALFORMED_SHAPES = ["bare key", "short key", "not base64", "bad kid", "empty second item"]


def malformed_keys(shape: str) -> tuple[str, list[str]]:
    """A malformed RAILBOOK_SECRET_KEYS of this shape, and the key texts no output may contain."""
    key = new_key()
    malformed = {
        "bare key": key,
        "short key": "k1:" + base64.b64encode(os.urandom(16)).decode(),
        "not base64": f"k1:{key[:-2]}!!",
        "bad kid": f"bad kid!:{key}",
        "empty second item": f"k1:{key},",
    }[shape]
    secret_part = malformed.partition(":")[2] or malformed
    return malformed, [malformed, secret_part.rstrip(","), key, key[:16]]


@pytest.mark.subprocess
@pytest.mark.parametrize("shape", MALFORMED_SHAPES)
@pytest.mark.parametrize("mode", ["sandbox", "production"])
def test_malformed_master_keys_stop_serve_without_echoing_them(
    shape: str, mode: str, database_url: str, database: Database, tmp_path: Path
) -> None:
    malformed, secrets = malformed_keys(shape)
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, mode=mode, secret_keys=malformed)
    code, stdout, stderr, _ = serve_expecting_refusal(env, tmp_path)
    assert code != 0
    assert "Serving Railbook" not in stdout
    assert stderr.startswith("cannot start: "), stderr
    assert "master key" in stderr
    for text in secrets:
        assert text not in stdout + stderr
    # A broken configuration is not papered over with a generated key.
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []


@pytest.mark.subprocess
@pytest.mark.parametrize("shape", MALFORMED_SHAPES)
def test_malformed_master_keys_stop_other_commands_cleanly(
    shape: str, database_url: str, database: Database, tmp_path: Path
) -> None:
    malformed, secrets = malformed_keys(shape)
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, secret_keys=malformed)
    for args in (("platforms", "create", "acme"), ("secrets", "rotate")):
        result = railbook(env, *args)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("cannot load master keys: master key"), result.stderr
        for text in secrets:
            assert text not in result.stdout + result.stderr
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []


# -- 3. railbook webhooks deliveries / replay ------------------------------------------------


def set_endpoint(settings: Settings, database: Database, headers: dict[str, str], url: str) -> None:
    """PATCH /config over the real app (its worker off: deliveries wait for `run_worker`)."""
    app_settings = settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(app_settings, database), base_url=f"http://testserver{API_PREFIX}") as client:
        response = client.patch("/config", json={"webhookEndpoint": url}, headers=headers)
    assert response.status_code == 200, response.text


def run_worker(settings: Settings, database: Database, keys: MasterKeys = TEST_KEYS) -> int:
    """Run worker passes in this process until no job is runnable; the number of jobs run."""
    total = 0
    with build_sender() as sender:
        worker = build_worker(settings, database, keys, sender)
        try:
            for _ in range(WORKER_PASSES):
                ran = worker.run_once()
                if ran == 0:
                    return total
                total += ran
        finally:
            database.on_jobs_committed.remove(worker.wake)
    raise AssertionError(f"jobs still runnable after {WORKER_PASSES} worker passes")


def delivery_rows(env: dict[str, str], *args: str) -> list[list[str]]:
    """`railbook webhooks deliveries ARGS…` as rows of tab-separated fields."""
    return [line.split("\t") for line in ok(env, "webhooks", "deliveries", *args).splitlines() if line]


def event_state(database: Database, event_id: str) -> str:
    """The stored state of a webhook event."""
    with database.reading() as session:
        event = session.get(WebhookEvent, event_id)
    assert event is not None
    return event.state


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
    assert event_state(database, event_id) == "failed"
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
