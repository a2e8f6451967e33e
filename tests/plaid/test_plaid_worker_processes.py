"""The Plaid identity job survives its worker: killed mid-call, another worker completes it after the lease."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from railbook.config import Settings
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.jobs.models import Job
from railbook.plaid.service import VERIFY_KIND
from railbook.providers.plaid.client import PlaidClient
from railbook.providers.plaid.simulator import create_simulator
from tests.conftest import Token
from tests.support import loopback
from tests.support.clients import api_client
from tests.support.servers import serving
from tests.support.workers import WorkerProcess, start_worker, wait_until, worker_env

CLIENT_ID, SECRET = "railbook-sandbox", "railbook-sandbox-secret"


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    """A Plaid simulator on its own uvicorn server, shared by the API and the worker processes."""
    with serving(create_simulator(CLIENT_ID, SECRET)) as url:
        yield url


def _verify_job(database: Database) -> Job:
    with database.reading() as session:
        return session.scalars(select(Job).where(Job.kind == VERIFY_KIND)).one()


def _status(database: Database, account_id: str) -> str:
    with database.reading() as session:
        account = session.get(ExternalAccount, account_id)
        assert account is not None
        return account.status


@pytest.mark.subprocess
def test_worker_killed_during_the_identity_call_is_taken_over(
    settings: Settings, database: Database, token: Token, simulator_url: str, tmp_path: Path
) -> None:
    loopback.post(f"{simulator_url}/_control/reset", timeout=5)
    api_settings = settings.model_copy(update={"plaid_simulator_url": simulator_url, "embedded_worker": False})
    with api_client(api_settings, database, token) as api:
        customer = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Alberta Bobbeth Charleson"})
        linked = api.post("/plaid/link-tokens", json={"customerId": customer.json()["id"]}).json()
        with PlaidClient("simulator", CLIENT_ID, SECRET, base_url=simulator_url) as plaid:
            public_token = plaid.create_sandbox_public_token("ins_109508")
        callback = api.post(linked["callbackUrl"], json={"publicToken": public_token})
    assert callback.status_code == 202, callback.text
    account_id = callback.json()["id"]

    # Plaid will hold the first /identity/get long enough for the worker to die with the call in flight.
    fault = {"endpoint": "/identity/get", "latency_ms": 4000, "times": 1}
    assert loopback.post(f"{simulator_url}/_control/faults", json=fault, timeout=5).status_code == 200
    env = worker_env(
        settings, tmp_path / "worker-data", RAILBOOK_PLAID_SIMULATOR_URL=simulator_url,
        RAILBOOK_PLAID_TIMEOUT_SECONDS="5", RAILBOOK_JOB_LEASE_SECONDS="1",
    )  # fmt: skip
    workers: list[WorkerProcess] = []
    try:
        a = start_worker(env, tmp_path / "worker-a.log", workers)
        a_id = a.worker_id()

        def in_flight() -> bool:
            faults = loopback.get(f"{simulator_url}/_control/state", timeout=5).json()["faults"]
            return _verify_job(database).status == "running" and not faults

        wait_until(in_flight, 30, lambda: f"identity call never started:\n{a.log()}")
        os.kill(a.pid, signal.SIGKILL)
        assert a.process.wait(timeout=10) == -signal.SIGKILL
        job = _verify_job(database)
        assert (job.status, job.locked_by, job.attempts) == ("running", a_id, 1)
        assert _status(database, account_id) == "PENDING"

        # Worker B claims the job once A's lease (the Plaid timeout + 1 s = 6 s) has run out.
        b = start_worker(env, tmp_path / "worker-b.log", workers)
        wait_until(lambda: _verify_job(database).status == "done", 40, lambda: f"not taken over:\n{b.log()}")
        job = _verify_job(database)
        assert (job.locked_by, job.attempts) == (None, 2)
        assert _status(database, account_id) == "ACTIVE"
        assert b.terminate() == 0
        assert not b.problems()
    finally:
        for worker in workers:
            worker.reap()
