"""What the operator-command tests share: key material, a serve that must refuse, worker passes, delivery rows."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from railbook.config import Settings
from railbook.db import Database
from railbook.kit.crypto import MasterKeys
from railbook.providers.http import build_sender
from railbook.tasks import build_worker
from railbook.webhooks.models import WebhookEndpoint, WebhookEvent
from tests.conftest import TEST_KEYS
from tests.support.cli_runner import RAILBOOK, ok
from tests.support.clients import api_client
from tests.support.serve_process import free_port

# A server that refuses to start must say so well within this.
REFUSAL_TIMEOUT = 20.0
WORKER_PASSES = 20


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


def set_endpoint(settings: Settings, database: Database, headers: dict[str, str], url: str) -> None:
    """PATCH /config over the real app (its worker off: deliveries wait for `run_worker`)."""
    app_settings = settings.model_copy(update={"embedded_worker": False})
    with api_client(app_settings, database) as client:
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
