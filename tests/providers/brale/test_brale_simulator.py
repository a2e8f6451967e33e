"""The Brale simulator on the wire: token endpoint, accounts, faults, controls, and its command line."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from railbook.providers.brale.client import (
    BraleClient,
)
from tests.support import loopback
from tests.support.brale_simulator import (
    ACCOUNT,
    ACCOUNTS,
    SEED_ACCOUNT,
    SEED_ID,
    SEED_SECRET,
    TOKEN,
    TWO_ACCOUNTS,
    TWO_ID,
    TWO_SECRET,
    Simulator,
    basic,
    grant,
)
from tests.support.cli_runner import RAILBOOK
from tests.support.serve_process import free_port

# --- the simulator's wire shapes -------------------------------------------------------------------------------


def test_token_endpoint_takes_body_credentials(sim: Simulator) -> None:
    form = grant() | {"client_id": TWO_ID, "client_secret": TWO_SECRET}
    response = loopback.post(f"{sim.url}{TOKEN}", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("ory_at_")
    assert body | {"access_token": "x"} == {
        "access_token": "x",
        "expires_in": 3599,
        "scope": "",
        "token_type": "bearer",
    }
    assert response.headers["cache-control"] == "no-store"


def test_token_endpoint_errors(sim: Simulator) -> None:
    missing = loopback.post(f"{sim.url}{TOKEN}", data=grant())
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert "Client credentials missing or malformed" in missing.json()["error_description"]
    wrong = loopback.post(f"{sim.url}{TOKEN}", data=grant(), headers=basic(SEED_ID, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_description"].startswith("Client authentication failed")
    refused = loopback.post(f"{sim.url}{TOKEN}", data={"grant_type": "password"}, headers=basic(SEED_ID, SEED_SECRET))
    assert refused.status_code == 400 and refused.json()["error"] == "unsupported_grant_type"


def test_accounts_without_a_valid_bearer_is_a_jsonapi_401(sim: Simulator) -> None:
    for headers in ({}, {"Authorization": "Bearer ory_at_unknown"}, basic(SEED_ID, SEED_SECRET)):
        response = loopback.get(f"{sim.url}{ACCOUNTS}", headers=headers)
        assert response.status_code == 401 and response.headers["x-request-id"]
        assert response.json() == {
            "links": None,
            "meta": None,
            "errors": [
                {
                    "code": "Unauthorized",
                    "status": "401",
                    "title": "Invalid or missing credentials.",
                    "id": None,
                    "links": {},
                    "meta": {},
                    "source": None,
                    "detail": None,
                }
            ],
        }


def test_accounts_shapes_on_the_wire(sim: Simulator) -> None:
    seed = loopback.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {sim.token()}"})
    assert seed.json() == {"accounts": [SEED_ACCOUNT]}
    two = loopback.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {sim.token(TWO_ID, TWO_SECRET)}"})
    entries = two.json()["accounts"]
    assert [entry["id"] for entry in entries] == TWO_ACCOUNTS
    assert set(entries[0]) == {"id", "name", "status", "created", "updated"} and entries[0]["status"] == "complete"


def test_single_account_is_found_or_404(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.token()}"}
    found = loopback.get(f"{sim.url}/accounts/{SEED_ACCOUNT}", headers=headers)
    assert found.status_code == 200 and found.json()["id"] == SEED_ACCOUNT and found.json()["status"] == "complete"
    missing = loopback.get(f"{sim.url}/accounts/{TWO_ACCOUNTS[0]}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NotFound" and missing.json()["errors"][0]["status"] == "404"
    assert loopback.get(f"{sim.url}/accounts/{SEED_ACCOUNT}").status_code == 401
    assert sim.calls()[ACCOUNT] == 3


def test_rate_limit_fault_carries_retry_after(sim: Simulator) -> None:
    sim.control("faults", endpoint=TOKEN, status=429, retry_after=7)
    response = loopback.post(f"{sim.url}{TOKEN}", data=grant(), headers=basic(SEED_ID, SEED_SECRET))
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    state = loopback.get(f"{sim.url}/_control/state").json()
    assert state["faults"] == [] and state["calls"][TOKEN] == 1 and state["tokens"] == 0


def test_reset_forgets_tokens_faults_clients_and_clock(sim: Simulator) -> None:
    token = sim.token()
    sim.control("faults", endpoint="*", status=500, times=3)
    sim.control("clients/remove", client_id=TWO_ID)
    sim.control("clock", advance_seconds=10)
    sim.control("reset")
    state = loopback.get(f"{sim.url}/_control/state").json()
    assert state["tokens"] == 0 and state["faults"] == [] and set(state["calls"].values()) == {0}
    assert loopback.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sim.token(TWO_ID, TWO_SECRET).startswith("ory_at_")


@pytest.mark.parametrize(
    ("path", "spec"),
    [
        ("faults", {"endpoint": "/nowhere", "status": 500}),
        ("faults", {"endpoint": ACCOUNTS, "status": 418}),
        ("faults", {"endpoint": ACCOUNTS}),
        ("clients", {"client_id": "x", "client_secret": "y", "accounts": "not-a-list"}),
        ("clients", {"client_id": "x", "client_secret": "y", "accounts": [], "shape": "rich"}),
        ("clock", {}),
    ],
)
def test_control_rejects_bad_specs(sim: Simulator, path: str, spec: dict[str, Any]) -> None:
    assert loopback.post(f"{sim.url}/_control/{path}", json=spec).status_code == 400


# --- the command line ------------------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_cli_runs_the_simulator_alone(tmp_path: Path) -> None:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAILBOOK_")}
    command = [str(RAILBOOK), "simulators", "brale", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = loopback.post(f"{url}{TOKEN}", data=grant(), headers=basic(SEED_ID, SEED_SECRET))
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["token_type"] == "bearer"
        with BraleClient(url, url) as client:
            assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
    finally:
        process.terminate()
        process.wait(timeout=10)
