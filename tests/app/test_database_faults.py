"""The database failing under Railbook: SQLite full, PostgreSQL restarted under load."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, select, text

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.idempotency.models import IdempotencyRecord
from tests.conftest import Token
from tests.support import loopback
from tests.support.clients import api_client
from tests.support.servers import bound_socket, serving


def _customer(number: int) -> dict[str, Any]:
    return {"customerType": "INDIVIDUAL", "fullName": f"Filler Person {number}", "platformCustomerId": f"f-{number}"}


def test_a_full_sqlite_database_is_a_clean_500_and_stays_intact(
    settings: Settings, database: Database, token: Token
) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    with database.engine.connect() as connection:
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
    database.engine.dispose()

    # The file may not grow past a few more pages: SQLite then fails writes with SQLITE_FULL,
    # exactly as when the disk itself is full.
    def cap(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

    event.listen(database.engine, "connect", cap)
    configured = settings.model_copy(update={"embedded_worker": False})
    try:
        with api_client(configured, database, token) as api:
            statuses: list[int] = []
            for number in range(400):
                response = api.post("/customers", json=_customer(number))
                statuses.append(response.status_code)
                if response.status_code == 500:
                    assert response.json() == {
                        "status": 500,
                        "code": "INTERNAL_ERROR",
                        "message": "Internal error; the request was not completed",
                    }
                    assert "full" not in response.text.lower() and "sqlite" not in response.text.lower()
                    break
            assert statuses[-1] == 500 and statuses.count(201) == len(statuses) - 1
            created = statuses.count(201)
            assert api.get("/customers").json()["totalCount"] == created  # reads still work
    finally:
        event.remove(database.engine, "connect", cap)
        database.engine.dispose()
    path = database.url.removeprefix("sqlite:///")
    check = create_engine(f"sqlite:///{path}")
    with check.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        assert connection.execute(text("SELECT count(*) FROM customers")).scalar_one() == created
    check.dispose()
    # With room again, the same server code writes normally.
    with api_client(configured, database) as api:
        assert api.post("/customers", json=_customer(10_000), headers=token.headers).status_code == 201


def _postgres_cluster() -> tuple[str, str] | None:
    """(version, name) of the local PostgreSQL cluster, when this process may restart it."""
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0 or not Path("/etc/postgresql").is_dir():
        return None
    versions = sorted(os.listdir("/etc/postgresql"))
    return (versions[-1], "main") if versions else None


def _wait_for_postgres(url: str, timeout: float = 60) -> None:
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def _stored_account(railbook_url: str, token: Token) -> str:
    """Create a customer and one external account; the account's path."""
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
        customer = client.post("/customers", json=_customer(0))
        assert customer.status_code == 201, customer.text
        info = {
            "accountType": "USD_ACCOUNT", "accountNumber": "12345678901", "routingNumber": "011401533",
            "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "John Doe"},
        }  # fmt: skip
        body = {"customerId": customer.json()["id"], "currency": "USD", "accountInfo": info}
        account = client.post("/customers/external-accounts", json=body)
        assert account.status_code == 201, account.text
        return f"/customers/external-accounts/{account.json()['id']}"


@pytest.fixture
def railbook_url(settings: Settings, database: Database) -> Iterator[str]:
    configured = settings.model_copy(update={"embedded_worker": False})
    with serving(create_app(configured, database), bound_socket(), lifespan="on") as url:
        yield url


@pytest.mark.exclusive
@pytest.mark.subprocess
def test_postgres_restarted_under_load(database: Database, token: Token, railbook_url: str) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL only")
    cluster = _postgres_cluster()
    if cluster is None:
        pytest.skip("needs root and pg_ctlcluster to restart PostgreSQL")
    outcomes: Counter[int] = Counter()
    bad: list[str] = []
    stop = threading.Event()
    account_path = _stored_account(railbook_url, token)
    # External-account reads run on the serving loop's async connections: they meet the outage too.
    reads: list[tuple[float, int]] = []

    def read_load() -> None:
        with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
            while not stop.is_set():
                for path in (account_path, "/customers/external-accounts?limit=5"):
                    try:
                        response = client.get(path)
                    except httpx.HTTPError as exc:
                        bad.append(f"read transport: {exc!r}")
                        continue
                    reads.append((time.monotonic(), response.status_code))
                    if response.status_code != 200 and (
                        response.status_code != 503 or response.json().get("code") != "SERVICE_UNAVAILABLE"
                    ):
                        bad.append(f"read {response.status_code}: {response.text[:200]}")
                time.sleep(0.02)

    def load(worker: int) -> None:
        with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
            number = 0
            while not stop.is_set():
                number += 1
                try:
                    response = client.post("/customers", json=_customer(worker * 1_000_000 + number))
                except httpx.HTTPError as exc:
                    bad.append(f"transport: {exc!r}")
                    continue
                outcomes[response.status_code] += 1
                if response.status_code != 201:
                    body = response.json()
                    if response.status_code != 503 or body.get("code") != "SERVICE_UNAVAILABLE":
                        bad.append(f"{response.status_code}: {response.text[:200]}")
                    time.sleep(0.05)

    # One client retries each create with its Idempotency-Key until it is answered 201.
    answers_by_key: dict[str, list[tuple[float, int]]] = {}

    def idempotent_load() -> None:
        with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
            number = 0
            while not stop.is_set():
                number += 1
                # No platformCustomerId: only the key stands between a retry and a second customer.
                key, body = f"restart-{number}", {"customerType": "INDIVIDUAL", "fullName": f"Retried {number}"}
                answers = answers_by_key.setdefault(key, [])
                give_up = time.monotonic() + 60
                while time.monotonic() < give_up:
                    try:
                        response = client.post("/customers", json=body, headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        continue
                    answers.append((time.monotonic(), response.status_code))
                    if response.status_code == 201:
                        break
                    time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(number,), daemon=True) for number in range(4)]
    threads.append(threading.Thread(target=idempotent_load, daemon=True))
    threads.append(threading.Thread(target=read_load, daemon=True))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        version, name = cluster
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name]
        subprocess.run([*command, "stop", "-m", "fast"], check=True, capture_output=True, timeout=60)
        time.sleep(2.0)  # down for a while, under load
        subprocess.run([*command, "start"], check=True, capture_output=True, timeout=60)
        _wait_for_postgres(database.url)
        back = time.monotonic()
        before = outcomes[201]
        deadline = time.monotonic() + 30
        while outcomes[201] < before + 20:
            assert time.monotonic() < deadline, f"no recovery: {outcomes}"
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert outcomes[503] > 0, f"the outage was never seen: {outcomes}"
    # A key whose request met the outage is free again as soon as the database is: no 409
    # "still being processed" for the key's whole lock (it was 120 s).
    met_outage = {key: answers for key, answers in answers_by_key.items() if any(s == 503 for _, s in answers)}
    assert met_outage, "no idempotent create met the outage"
    for key, answers in met_outage.items():
        assert answers[-1][1] == 201, f"{key} never succeeded: last answers {[s for _, s in answers[-5:]]}"
        assert answers[-1][0] - back < 1.0, f"{key} answered 201 {answers[-1][0] - back:.1f} s after the database"
    assert not bad, bad[:5]
    assert any(status == 503 for _, status in reads), "no read met the outage"
    assert any(status == 200 for at, status in reads if at > back), "no read answered after the database was back"
    # Connections opened before the restart were discarded at their first failure: every read now answers.
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
        statuses = Counter(
            client.get(path).status_code for _ in range(20) for path in (account_path, "/customers/external-accounts")
        )
    assert statuses == Counter({200: 40}), statuses
    with database.reading() as session:
        names = Counter(profile.get("fullName") for profile in session.scalars(select(Customer.profile)))
    with database.reading() as session:
        running = session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.state == "running")).all()
    assert running == [], f"keys left running after the outage: {running}"
    twice = {name: times for name, times in names.items() if str(name).startswith("Retried ") and times > 1}
    assert not twice, f"retries with one Idempotency-Key created customers twice: {twice}"
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=30) as client:
        stored = client.get("/customers").json()["totalCount"]
    # A commit the server made just as its connection dropped may have been answered 503.
    assert outcomes[201] <= stored <= outcomes[201] + outcomes[503]
