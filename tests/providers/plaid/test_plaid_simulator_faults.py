"""The Plaid simulator and client: injected faults, secrets kept out of errors and logs, the command line."""

from __future__ import annotations

import copy
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from railbook.providers.plaid.client import (
    PlaidClient,
    PlaidFailure,
    PlaidItemLoginRequired,
    PlaidRateLimited,
    PlaidUnavailable,
)
from tests.support import loopback
from tests.support.cli_runner import RAILBOOK
from tests.support.plaid_simulator import CLIENT_ID, SECRET, Simulator, linked, nullable

# --- Faults ---------------------------------------------------------------------------------------------------


def test_injected_500_is_unavailable_then_recovers(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = linked(client)
        sim.control("faults", endpoint="/auth/get", status=500, times=2)
        for _ in range(2):
            with pytest.raises(PlaidUnavailable) as caught:
                client.get_auth(access_token)
            assert (caught.value.error_type, caught.value.error_code) == ("API_ERROR", "INTERNAL_SERVER_ERROR")
            assert caught.value.retryable and caught.value.request_id
        assert client.get_auth(access_token).accounts


def test_injected_429_is_rate_limited(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = linked(client)
        sim.control("faults", endpoint="/identity/get", status=429, times=1)
        with pytest.raises(PlaidRateLimited) as caught:
            client.get_identity(access_token)
        assert (caught.value.error_type, caught.value.error_code, caught.value.http_status) == (
            "RATE_LIMIT_EXCEEDED",
            "IDENTITY_LIMIT",
            429,
        )
        assert client.get_identity(access_token).accounts


def test_injected_latency_slows_or_times_out(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = linked(client)
        sim.control("faults", endpoint="/accounts/get", latency_ms=300, times=1)
        started = time.monotonic()
        client.get_accounts(access_token)
        assert time.monotonic() - started >= 0.3
    sim.control("faults", endpoint="*", latency_ms=1500, times=1)
    with sim.client(timeout_seconds=0.3) as impatient, pytest.raises(PlaidUnavailable) as caught:
        impatient.get_auth(access_token)
    assert access_token not in str(caught.value)


def test_unreachable_plaid_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PlaidClient("simulator", CLIENT_ID, SECRET, base_url=f"http://127.0.0.1:{port}", timeout_seconds=2)
    with client, pytest.raises(PlaidUnavailable):
        client.exchange_public_token("public-sandbox-00000000-0000-0000-0000-000000000000")


def test_item_login_required(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = linked(client)
        client.sandbox_reset_login(access_token)
        for call in (client.get_identity, client.get_auth):
            with pytest.raises(PlaidItemLoginRequired) as caught:
                call(access_token)
            assert (caught.value.error_type, caught.value.error_code) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
            assert not caught.value.retryable
        client.remove_item(access_token)


def test_item_login_required_as_a_one_off_fault(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = linked(client)
        sim.control("faults", endpoint="/identity/get", error_code="ITEM_LOGIN_REQUIRED", times=1)
        with pytest.raises(PlaidItemLoginRequired):
            client.get_identity(access_token)
        assert client.get_identity(access_token).accounts


def test_fault_switch_rejects_nonsense(sim: Simulator) -> None:
    for body in ({"endpoint": "/nope", "status": 500}, {"endpoint": "/auth/get", "status": 418}, {"status": 500}):
        assert loopback.post(f"{sim.url}/_control/faults", json=body).status_code == 400


# --- Secrets --------------------------------------------------------------------------------------------------


def test_no_secret_or_token_in_errors_or_logs(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="railbook")
    failures: list[PlaidFailure] = []
    with sim.client() as client:
        public_token = client.create_sandbox_public_token("ins_109508", ["auth"])
        access_token = client.exchange_public_token(public_token).access_token
        sim.control("faults", endpoint="*", status=500, times=2)
        attempts = [
            lambda: client.exchange_public_token(public_token),
            lambda: client.get_auth(access_token),
            lambda: client.sandbox_reset_login(access_token) or client.get_identity(access_token),
        ]
        for attempt in attempts:
            with pytest.raises(PlaidFailure) as caught:
                attempt()
            failures.append(caught.value)
        client.remove_item(access_token)
        with pytest.raises(PlaidFailure) as caught:
            client.get_accounts(access_token)
        failures.append(caught.value)
    with sim.client(secret="a-wrong-secret-value") as wrong, pytest.raises(PlaidFailure) as caught:
        wrong.get_auth(access_token)
    failures.append(caught.value)
    shown = [text for failure in failures for text in (str(failure), repr(failure), repr(failure.__cause__))]
    shown += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    for text in shown:
        for hidden in (SECRET, "a-wrong-secret-value", access_token, public_token):
            assert hidden not in text
    # No plaid or urllib3 exception rides along as a cause or context (their text may carry request data).
    assert all(failure.__cause__ is None and failure.__context__ is None for failure in failures)


# --- The command line -----------------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_cli_runs_the_simulator_alone(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAILBOOK_")}
    env |= {"RAILBOOK_PLAID_CLIENT_ID": "cli-client", "RAILBOOK_PLAID_SECRET": "cli-secret"}
    command = [str(RAILBOOK), "simulators", "plaid", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = PlaidClient("simulator", "cli-client", "cli-secret", base_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while True:
            try:
                public_token = client.create_sandbox_public_token("ins_109508", ["auth"])
                break
            except PlaidUnavailable:
                assert process.poll() is None and time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert client.get_auth(client.exchange_public_token(public_token).access_token).accounts
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_spec_nullable_conversion_is_faithful() -> None:
    converted = nullable(copy.deepcopy({"type": "string", "nullable": True, "enum": ["a"]}))
    assert converted == {"type": ["string", "null"], "enum": ["a", None]}


def test_plaid_sdk_debug_log_is_silenced(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with sim.client() as client:
        access_token = linked(client)
    assert all(access_token not in record.getMessage() for record in caplog.records)
