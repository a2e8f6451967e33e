"""The Plaid simulator on a real HTTP server, driven by Railbook's client (plaid-python underneath)."""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from railbook.providers.plaid.client import (
    PlaidClient,
    PlaidFailure,
    PlaidInvalidToken,
    PlaidItemLoginRequired,
    PlaidRateLimited,
    PlaidRequestRejected,
    PlaidUnavailable,
)
from railbook.providers.plaid.simulator import SimulatorState, create_simulator
from railbook.providers.plaid.simulator.errors import PlaidFault
from tests.cli_runner import RAILBOOK
from tests.documents import REFERENCE
from tests.servers import serving

CLIENT_ID = "railbook-sandbox"
SECRET = "railbook-sandbox-secret-for-tests"
PLAID_SPEC = REFERENCE / "plaid-subset.openapi.yaml"
SPEC_URI = "urn:railbook:plaid-subset"


# --- Plaid's spec (OpenAPI 3.0) as JSON Schema 2020-12 -------------------------------------------------------


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` becomes JSON Schema's explicit null."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: (f"{SPEC_URI}{value}" if key == "$ref" and value.startswith("#") else _nullable(value))
        for key, value in node.items()
        if key != "nullable"
    }
    if not node.get("nullable"):
        return converted
    if "enum" in converted and None not in converted["enum"]:
        converted["enum"] = [*converted["enum"], None]
    if "type" in converted:
        converted["type"] = [converted["type"], "null"]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


@functools.cache
def _plaid_spec() -> dict[str, Any]:
    with PLAID_SPEC.open() as handle:
        converted: dict[str, Any] = _nullable(yaml.safe_load(handle))
    return converted


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(_plaid_spec(), default_specification=DRAFT202012))


def assert_plaid_response(path: str, status: int, body: Any) -> None:
    """The body matches what Plaid's spec declares for this path and status (200, else PlaidError)."""
    responses = _plaid_spec()["paths"][path]["post"]["responses"]
    declared = responses.get(str(status), responses.get("default"))
    if declared is None:  # /auth/get and /identity/get declare only 200: errors are PlaidError everywhere.
        declared = {"content": {"application/json": {"schema": {"$ref": f"{SPEC_URI}#/components/schemas/PlaidError"}}}}
    schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{path} {status}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    if status != 200:
        assert body["request_id"] and body["error_code"] and body["error_type"]


# --- The simulator on a real server ---------------------------------------------------------------------------


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Recorder:
    """Every answer the simulator gave: (path, status, parsed body)."""

    exchanges: list[tuple[str, int, Any]] = field(default_factory=list)


def _recording(app: Any, recorder: Recorder) -> Any:
    async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, capture)
        recorder.exchanges.append((scope["path"], status, json.loads(b"".join(chunks) or b"null")))

    return recorded


@dataclass
class Simulator:
    """A running simulator: its URL, state, clock and recorded answers."""

    url: str
    state: SimulatorState
    clock: FakeClock
    recorder: Recorder

    def client(self, *, secret: str = SECRET, timeout_seconds: float = 5.0) -> PlaidClient:
        """Railbook's Plaid client pointed at this simulator."""
        return PlaidClient("simulator", CLIENT_ID, secret, base_url=self.url, timeout_seconds=timeout_seconds)

    def control(self, path: str, **body: Any) -> httpx.Response:
        """POST a test switch."""
        response = httpx.post(f"{self.url}/_control/{path}", json=body, timeout=5)
        assert response.status_code == 200, response.text
        return response

    def assert_all_valid(self) -> None:
        """Every recorded Plaid answer validates against plaid-subset.openapi.yaml."""
        checked = [entry for entry in self.recorder.exchanges if entry[0] in _plaid_spec()["paths"]]
        for path, status, body in checked:
            assert_plaid_response(path, status, body)


@pytest.fixture(scope="module")
def running() -> Iterator[Simulator]:
    """One simulator server per module on a random 127.0.0.1 port."""
    clock = FakeClock()
    recorder = Recorder()
    app = create_simulator(CLIENT_ID, SECRET, clock=clock)
    with serving(_recording(app, recorder)) as url:
        yield Simulator(url, app.state.simulator, clock, recorder)


@pytest.fixture
def sim(running: Simulator) -> Iterator[Simulator]:
    """The running simulator, reset, with a fresh clock and recorder; every answer is schema-checked after."""
    running.control("reset")
    running.clock.now = FakeClock().now
    running.recorder.exchanges.clear()
    yield running
    running.assert_all_valid()


def _linked(client: PlaidClient) -> str:
    public_token = client.create_sandbox_public_token("ins_109508", ["auth", "identity"])
    return client.exchange_public_token(public_token).access_token


# --- The flow -------------------------------------------------------------------------------------------------


def test_happy_path_link_to_removal(sim: Simulator) -> None:
    with sim.client() as client:
        link = client.create_link_token("Customer:019a-test")
        assert re.fullmatch(r"link-sandbox-[0-9a-f-]{36}", link.link_token)
        assert link.expiration == sim.clock.now + timedelta(hours=4)

        public_token = client.create_sandbox_public_token("ins_109508", ["auth", "identity"])
        assert re.fullmatch(r"public-sandbox-[0-9a-f-]{36}", public_token)
        exchanged = client.exchange_public_token(public_token)
        assert re.fullmatch(r"access-sandbox-[0-9a-f-]{36}", exchanged.access_token)
        assert re.fullmatch(r"[A-Za-z0-9]{37}", exchanged.item_id)
        assert exchanged.access_token not in repr(exchanged)

        auth = client.get_auth(exchanged.access_token)
        assert (auth.item_id, auth.institution_id, auth.institution_name) == (
            exchanged.item_id,
            "ins_109508",
            "First Platypus Bank",
        )
        by_subtype = {account.subtype: account for account in auth.accounts}
        assert set(by_subtype) == {"checking", "savings"}
        checking, savings = by_subtype["checking"], by_subtype["savings"]
        assert (checking.name, checking.mask, checking.type) == ("Plaid Checking", "0000", "depository")
        assert (savings.name, savings.mask, savings.type) == ("Plaid Saving", "1111", "depository")
        assert checking.ach is not None and savings.ach is not None
        assert (checking.ach.account, checking.ach.routing, checking.ach.wire_routing) == (
            "1111222233330000",
            "011401533",
            "021000021",
        )
        assert savings.ach.account == "1111222233331111"
        assert auth.account(checking.account_id) == checking

        identity = client.get_identity(exchanged.access_token)
        entry = identity.for_account(checking.account_id)
        assert entry is not None and entry.account.mask == "0000"
        owner = entry.owners[0]
        assert owner.names == ("Alberta Bobbeth Charleson",)
        address = owner.primary_address
        assert address is not None
        assert (address.street, address.city, address.region, address.postal_code, address.country) == (
            "2992 Cameron Road",
            "Malakoff",
            "NY",
            "14236",
            "US",
        )
        assert "accountholder0@example.com" in owner.emails

        accounts = client.get_accounts(exchanged.access_token)
        assert {account.mask for account in accounts.accounts} >= {"0000", "1111", "2222", "3333"}
        assert all(account.ach is None for account in accounts.accounts)

        client.remove_item(exchanged.access_token)
        for call in (client.get_auth, client.get_identity, client.get_accounts, client.remove_item):
            with pytest.raises(PlaidInvalidToken) as caught:
                call(exchanged.access_token)
            assert caught.value.error_code == "INVALID_ACCESS_TOKEN"
            assert caught.value.http_status == 400
    paths = [path for path, _, _ in sim.recorder.exchanges]
    assert {"/link/token/create", "/auth/get", "/identity/get", "/accounts/get", "/item/remove"} <= set(paths)


def test_public_token_is_single_use(sim: Simulator) -> None:
    with sim.client() as client:
        public_token = client.create_sandbox_public_token("ins_109508", ["auth"])
        client.exchange_public_token(public_token)
        with pytest.raises(PlaidInvalidToken) as caught:
            client.exchange_public_token(public_token)
    assert caught.value.error_code == "INVALID_PUBLIC_TOKEN"
    assert caught.value.error_type == "INVALID_INPUT"
    assert public_token not in str(caught.value)


def test_public_token_expires_after_30_minutes(sim: Simulator) -> None:
    with sim.client() as client:
        fresh = client.create_sandbox_public_token("ins_109508", ["auth"])
        stale = client.create_sandbox_public_token("ins_109508", ["auth"])
        sim.clock.advance(minutes=29, seconds=59)
        client.exchange_public_token(fresh)
        sim.clock.advance(seconds=1)
        with pytest.raises(PlaidInvalidToken):
            client.exchange_public_token(stale)


def test_access_token_outlives_every_other_token(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = _linked(client)
        sim.clock.advance(days=400)
        assert client.get_auth(access_token).accounts


def test_clock_control_endpoint_moves_simulator_time(sim: Simulator) -> None:
    with sim.client() as client:
        public_token = client.create_sandbox_public_token("ins_109508", ["auth"])
        sim.control("clock", advance_seconds=31 * 60)
        with pytest.raises(PlaidInvalidToken):
            client.exchange_public_token(public_token)


def test_link_token_lives_four_hours(sim: Simulator) -> None:
    with sim.client() as client:
        link = client.create_link_token("Customer:1")
    sim.clock.advance(hours=3, minutes=59)
    public_token, item = sim.state.public_token_for_link(link.link_token, "ins_109508")
    assert public_token.startswith("public-sandbox-") and item.institution_id == "ins_109508"
    sim.clock.advance(minutes=1)
    with pytest.raises(PlaidFault) as caught:
        sim.state.public_token_for_link(link.link_token, "ins_109508")
    assert caught.value.error_code == "INVALID_LINK_TOKEN"


def test_unknown_institution_is_invalid_input(sim: Simulator) -> None:
    with sim.client() as client, pytest.raises(PlaidRequestRejected) as caught:
        client.create_sandbox_public_token("ins_999999", ["auth"])
    assert caught.value.error_code == "INVALID_INSTITUTION"


# --- Credentials ----------------------------------------------------------------------------------------------


def test_wrong_secret_through_the_client_is_invalid_api_keys(sim: Simulator) -> None:
    wrong = "not-the-secret-0123456789"
    with sim.client(secret=wrong) as client, pytest.raises(PlaidRequestRejected) as caught:
        client.create_link_token("Customer:1")
    assert (caught.value.error_type, caught.value.error_code, caught.value.http_status) == (
        "INVALID_INPUT",
        "INVALID_API_KEYS",
        400,
    )
    assert wrong not in str(caught.value) and SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "credentials", "expected"),
    [
        ({}, {"client_id": CLIENT_ID, "secret": SECRET}, 200),
        ({"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}, {}, 200),
        ({}, {"client_id": CLIENT_ID, "secret": "wrong"}, 400),
        ({}, {"client_id": "someone-else", "secret": SECRET}, 400),
        ({"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": "wrong"}, {}, 400),
        ({"PLAID-CLIENT-ID": "someone-else", "PLAID-SECRET": SECRET}, {}, 400),
    ],
)
def test_credentials_in_body_or_headers(
    sim: Simulator, headers: dict[str, str], credentials: dict[str, str], expected: int
) -> None:
    body = {"institution_id": "ins_109508", "initial_products": ["auth"], **credentials}
    response = httpx.post(f"{sim.url}/sandbox/public_token/create", json=body, headers=headers)
    assert response.status_code == expected, response.text
    if expected != 200:
        assert response.json()["error_type"] == "INVALID_INPUT"
        assert response.json()["error_code"] == "INVALID_API_KEYS"


def test_missing_credentials_and_malformed_requests(sim: Simulator) -> None:
    url = f"{sim.url}/item/public_token/exchange"
    keys = {"client_id": CLIENT_ID, "secret": SECRET}
    cases = [
        ({"public_token": "public-sandbox-x"}, "MISSING_FIELDS"),
        (keys, "MISSING_FIELDS"),
        ({**keys, "public_token": 7}, "INVALID_FIELD"),
        ({**keys, "public_token": "public-sandbox-x", "surprise": 1}, "UNKNOWN_FIELDS"),
        ({**keys, "public_token": "public-sandbox-x"}, "INVALID_PUBLIC_TOKEN"),
    ]
    for body, code in cases:
        response = httpx.post(url, json=body)
        assert (response.status_code, response.json()["error_code"]) == (400, code), response.text
    garbled = httpx.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert (garbled.status_code, garbled.json()["error_code"]) == (400, "INVALID_BODY")
    assert_plaid_response("/item/public_token/exchange", 400, garbled.json())


# --- Faults ---------------------------------------------------------------------------------------------------


def test_injected_500_is_unavailable_then_recovers(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = _linked(client)
        sim.control("faults", endpoint="/auth/get", status=500, times=2)
        for _ in range(2):
            with pytest.raises(PlaidUnavailable) as caught:
                client.get_auth(access_token)
            assert (caught.value.error_type, caught.value.error_code) == ("API_ERROR", "INTERNAL_SERVER_ERROR")
            assert caught.value.retryable and caught.value.request_id
        assert client.get_auth(access_token).accounts


def test_injected_429_is_rate_limited(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = _linked(client)
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
        access_token = _linked(client)
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
        access_token = _linked(client)
        client.sandbox_reset_login(access_token)
        for call in (client.get_identity, client.get_auth):
            with pytest.raises(PlaidItemLoginRequired) as caught:
                call(access_token)
            assert (caught.value.error_type, caught.value.error_code) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
            assert not caught.value.retryable
        client.remove_item(access_token)


def test_item_login_required_as_a_one_off_fault(sim: Simulator) -> None:
    with sim.client() as client:
        access_token = _linked(client)
        sim.control("faults", endpoint="/identity/get", error_code="ITEM_LOGIN_REQUIRED", times=1)
        with pytest.raises(PlaidItemLoginRequired):
            client.get_identity(access_token)
        assert client.get_identity(access_token).accounts


def test_fault_switch_rejects_nonsense(sim: Simulator) -> None:
    for body in ({"endpoint": "/nope", "status": 500}, {"endpoint": "/auth/get", "status": 418}, {"status": 500}):
        assert httpx.post(f"{sim.url}/_control/faults", json=body).status_code == 400


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
    converted = _nullable(copy.deepcopy({"type": "string", "nullable": True, "enum": ["a"]}))
    assert converted == {"type": ["string", "null"], "enum": ["a", None]}


def test_plaid_sdk_debug_log_is_silenced(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with sim.client() as client:
        access_token = _linked(client)
    assert all(access_token not in record.getMessage() for record in caplog.records)
