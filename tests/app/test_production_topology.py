"""Production shape on PostgreSQL: two `railbook serve` processes and two `railbook worker` processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from railbook import API_PREFIX
from railbook.config import Settings
from railbook.db import Database
from railbook.providers.plaid.client import PlaidClient
from railbook.providers.plaid.simulator import create_simulator
from railbook.webhooks.events import EXTERNAL_ACCOUNT_STATUS_UPDATED, TEST
from railbook.webhooks.models import WebhookEndpoint
from tests.conftest import Token
from tests.support import loopback
from tests.support.plaid_link import DECIDED, wait_status
from tests.support.receiver import running_receiver
from tests.support.serve_process import serving as serving_process
from tests.support.servers import serving
from tests.support.workers import WorkerProcess, start_worker, worker_env

CLIENT_ID, SECRET = "railbook-sandbox", "railbook-sandbox-secret"


@pytest.mark.subprocess
def test_two_api_processes_and_two_workers_run_the_plaid_flow(
    settings: Settings, database: Database, token: Token, tmp_path: Path
) -> None:
    if database.is_sqlite:
        pytest.skip("several processes share PostgreSQL")
    env = worker_env(settings, tmp_path / "data", RAILBOOK_EMBEDDED_WORKER="false", RAILBOOK_LOG_LEVEL="WARNING")
    workers: list[WorkerProcess] = []
    with (
        serving(create_simulator(CLIENT_ID, SECRET)) as plaid_url,
        running_receiver() as receiver,
    ):
        env["RAILBOOK_PLAID_SIMULATOR_URL"] = plaid_url
        with (
            serving_process(env, tmp_path / "api-a.stderr") as api_a,
            serving_process(env, tmp_path / "api-b.stderr") as api_b,
        ):
            try:
                api_a.wait_healthy()
                api_b.wait_healthy()
                workers += [start_worker(env, tmp_path / f"worker-{name}.log", []) for name in "ab"]
                # Both workers up (signal handlers installed) before the flow: on a loaded machine
                # one could otherwise still be importing when the flow is done and SIGTERM comes.
                for worker in workers:
                    worker.worker_id(timeout=60)
                a = loopback.client(base_url=f"{api_a.base_url}{API_PREFIX}", headers=token.headers, timeout=15)
                b = loopback.client(base_url=f"{api_b.base_url}{API_PREFIX}", headers=token.headers, timeout=15)
                with a, b:
                    # The key first: a worker may deliver the TEST webhook before the PATCH returns.
                    with database.reading() as session:
                        receiver.public_key_pem = session.scalar(
                            select(WebhookEndpoint.public_key_pem).where(
                                WebhookEndpoint.platform_id == token.platform_id,
                                WebhookEndpoint.mode == token.mode.value,
                            )
                        )
                    assert a.patch("/config", json={"webhookEndpoint": receiver.url}).status_code == 200
                    [test] = receiver.wait_for(1, timeout=30)
                    assert test.json["type"] == TEST and test.signature_valid

                    customer = a.post("/customers", json={"customerType": "INDIVIDUAL",
                                                          "fullName": "Alberta Bobbeth Charleson"})  # fmt: skip
                    linked = b.post("/plaid/link-tokens", json={"customerId": customer.json()["id"]}).json()
                    assert linked["callbackUrl"].startswith(api_b.base_url)
                    with PlaidClient("simulator", CLIENT_ID, SECRET, base_url=plaid_url) as plaid:
                        public_token = plaid.create_sandbox_public_token("ins_109508")
                    callback = loopback.post(
                        linked["callbackUrl"], json={"publicToken": public_token}, headers=token.headers, timeout=15
                    )
                    assert callback.status_code == 202, callback.text
                    account_id = callback.json()["id"]

                    active = wait_status(a, account_id, *DECIDED, timeout=30)
                    assert (active["status"], active["beneficiaryVerificationStatus"]) == ("ACTIVE", "MATCHED")
                    [_, update] = receiver.wait_for(2, timeout=30)
                    assert update.json["type"] == EXTERNAL_ACCOUNT_STATUS_UPDATED and update.signature_valid
                    assert (update.json["data"]["id"], update.json["data"]["status"]) == (account_id, "ACTIVE")
                    assert b.get(f"/customers/external-accounts/{account_id}").json() == active
                for worker in workers:
                    assert worker.terminate() == 0
                    assert not worker.problems(), worker.log()
            finally:
                for worker in workers:
                    worker.reap()
