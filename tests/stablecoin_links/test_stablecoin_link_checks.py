"""Keeping stablecoin links true: re-verification, revocation, and the secret never readable anywhere."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.jobs.runner import Worker
from railbook.keys import load_master_keys
from railbook.providers.brale.client import BraleClient
from railbook.providers.http import build_sender
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.tasks import SWEEP_KIND, VERIFY_KIND
from railbook.tasks import build_worker
from tests.conftest import TEST_SECRET_KEYS, Token
from tests.support.brale import PATH, BraleControl, brale_settings, link
from tests.support.cli_runner import clean_env, fails, ok
from tests.support.clients import api_client
from tests.support.spec import conform

ACCOUNT = "2Zx9kQm3Lr7TfW1bNc5YhJ8sPd4"


@pytest.fixture
def checked_settings(settings: Settings, brale: BraleControl) -> Settings:
    # Every link is due again at once, so each sweep checks it.
    return brale_settings(settings, brale.url, embedded_worker=False, stablecoin_reverify_seconds=0.001)


@pytest.fixture
def api(checked_settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    with api_client(checked_settings, database, token) as client:
        yield client


@pytest.fixture
def worker(checked_settings: Settings, database: Database, brale: BraleControl) -> Iterator[Worker]:
    with (
        build_sender() as sender,
        BraleClient(brale.url, brale.url, timeout_seconds=5, max_retries=0) as brale_client,
    ):
        yield build_worker(
            checked_settings, database, load_master_keys(checked_settings), sender, issuers={"BRALE": brale_client}
        )


def credentials(brale: BraleControl, secret: str, accounts: tuple[str, ...] = (ACCOUNT,)) -> dict[str, Any]:
    """A Brale client with this secret, and the link request that uses it."""
    brale.post("clients", client_id="platform-client", client_secret=secret, accounts=list(accounts))
    return {"provider": "BRALE", "apiClientId": "platform-client", "apiClientSecret": secret}


def check_now(worker: Worker, database: Database) -> None:
    """One sweep and the checks it queues, run in this thread."""
    with database.transaction() as session:
        for job in session.scalars(select(Job).where(Job.kind == SWEEP_KIND, Job.status == "queued")):
            session.delete(job)
    worker.schedule_periodic()
    assert worker.run_once() >= 1  # the sweep
    # The checks it queued (the sweep, due again at once in these settings, runs alongside).
    for _ in range(3):
        worker.run_once()


def stored(database: Database, link_id: str) -> StablecoinProviderAccount:
    with database.reading() as session:
        found = session.get(StablecoinProviderAccount, link_id)
    assert found is not None
    return found


def test_reverification_turns_a_link_invalid_then_active_then_revoked(
    api: TestClient, worker: Worker, brale: BraleControl, database: Database
) -> None:
    linked = conform(link(api, credentials(brale, "first-secret")))
    first_check = linked["lastVerifiedAt"]

    credentials(brale, "rotated-at-brale")  # the platform's stored secret no longer works
    check_now(worker, database)
    invalid = conform(api.get(f"{PATH}/{linked['id']}"))
    assert (invalid["status"], invalid["lastVerifiedAt"]) == ("INVALID", first_check)

    credentials(brale, "first-secret")  # valid again
    check_now(worker, database)
    active = conform(api.get(f"{PATH}/{linked['id']}"))
    assert active["status"] == "ACTIVE" and active["lastVerifiedAt"] > first_check

    credentials(brale, "first-secret", accounts=("2Other0000000000000000000000",))
    check_now(worker, database)
    revoked = conform(api.get(f"{PATH}/{linked['id']}"))
    assert revoked["status"] == "REVOKED"
    assert stored(database, linked["id"]).credentials is None
    listed = conform(api.get(PATH, params={"status": "REVOKED"}))
    assert [item["id"] for item in listed["data"]] == [linked["id"]]


def test_a_transient_provider_failure_changes_nothing_and_is_retried(
    api: TestClient, worker: Worker, brale: BraleControl, database: Database
) -> None:
    linked = conform(link(api, credentials(brale, "steady-secret")))
    brale.post("faults", endpoint="*", status=500, times=5)
    check_now(worker, database)
    assert conform(api.get(f"{PATH}/{linked['id']}"))["status"] == "ACTIVE"
    with database.reading() as session:
        check = session.scalars(select(Job).where(Job.kind == VERIFY_KIND)).one()
    assert (check.status, check.attempts) == ("queued", 1)
    assert check.last_error is not None and "Brale unavailable" in check.last_error
    assert "steady-secret" not in check.last_error


@pytest.mark.subprocess
def test_revoke_command_erases_the_secret_and_frees_the_account(
    api: TestClient, checked_settings: Settings, brale: BraleControl, database: Database, tmp_path: Path
) -> None:
    request = credentials(brale, "to-be-revoked")
    linked = conform(link(api, request))
    env = clean_env(checked_settings.effective_database_url, tmp_path / "cli", secret_keys=TEST_SECRET_KEYS)
    assert "REVOKED" in ok(env, "stablecoin-links", "revoke", linked["id"], "--reason", "platform offboarded")
    row = stored(database, linked["id"])
    assert (row.status, row.credentials, row.status_reason) == ("REVOKED", None, "platform offboarded")
    assert conform(api.get(f"{PATH}/{linked['id']}"))["status"] == "REVOKED"
    assert "already REVOKED" in fails(env, "stablecoin-links", "revoke", linked["id"])
    assert "no stablecoin provider account link" in fails(env, "stablecoin-links", "revoke", "nope")
    assert linked["id"] in ok(env, "stablecoin-links", "list", "--status", "REVOKED")
    # A revoked link is history: the same provider account can be linked again.
    again = conform(link(api, request))
    assert again["id"] != linked["id"] and again["status"] == "ACTIVE"


def _everything_stored(database: Database, sqlite_path: Path | None) -> bytes:
    if sqlite_path is not None:
        database.engine.dispose()
        return b"".join(path.read_bytes() for path in sqlite_path.parent.glob(f"{sqlite_path.name}*"))
    dumped = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).scalars()
            dumped.extend(rows)
    return "\n".join(dumped).encode()


def test_the_secret_is_never_readable(
    api: TestClient, worker: Worker, brale: BraleControl, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = f"secret-{uuid.uuid4().hex}"
    request = credentials(brale, secret)
    responses = [link(api, request), link(api, {**request, "apiClientSecret": secret + "-wrong"})]
    responses.append(link(api, {**request, "providerAccountId": "Nope0000000000000000000000"}))
    responses.append(link(api, {**request, "provider": "OTHER"}))
    linked = responses[0].json()
    responses += [api.get(f"{PATH}/{linked['id']}"), api.get(PATH)]
    credentials(brale, secret + "-rotated")
    check_now(worker, database)  # a failing check must not leak it either
    for response in responses:
        assert secret not in response.text
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert secret not in logged and "platform-client" not in logged
    url = database.url
    sqlite_path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    everything = _everything_stored(database, sqlite_path)
    assert linked["id"].encode() in everything  # the search does see the stored rows
    assert secret.encode() not in everything and b"platform-client" not in everything
    link_row = stored(database, linked["id"])
    assert link_row.credentials is not None and link_row.credentials.startswith("v1:")
    assert [response.status_code for response in responses[1:4]] == [400, 400, 400]


@pytest.mark.subprocess
def test_key_rotation_keeps_the_stored_credentials_usable(
    api: TestClient, checked_settings: Settings, brale: BraleControl, database: Database, tmp_path: Path
) -> None:
    linked = conform(link(api, credentials(brale, "rotating-secret")))
    new = base64.b64encode(os.urandom(32)).decode()
    env = clean_env(
        checked_settings.effective_database_url, tmp_path / "cli", secret_keys=f"new:{new},{TEST_SECRET_KEYS}"
    )
    assert "stablecoin provider credentials: 1 re-encrypted" in ok(env, "secrets", "rotate")
    assert stored(database, linked["id"]).credentials.startswith("v1:new:")  # type: ignore[union-attr]
    rotated = checked_settings.model_copy(update={"secret_keys": f"new:{new}"})
    with (
        build_sender() as sender,
        BraleClient(brale.url, brale.url, timeout_seconds=5, max_retries=0) as client,
    ):
        check_now(
            build_worker(rotated, database, load_master_keys(rotated), sender, issuers={"BRALE": client}), database
        )
    checked = conform(api.get(f"{PATH}/{linked['id']}"))
    assert checked["status"] == "ACTIVE" and checked["lastVerifiedAt"] > linked["lastVerifiedAt"]
