"""Railbook's Brale client against the Brale simulator, both over real HTTP."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from railbook.config import Settings
from railbook.providers.brale.client import (
    LIVE_API_URL,
    LIVE_AUTH_URL,
    BraleClient,
    BraleCredentialsRejected,
    BraleFailure,
    BraleUnavailable,
)
from railbook.providers.brale.simulator import create_brale_simulator
from tests.cli_runner import RAILBOOK
from tests.serve_process import free_port
from tests.servers import serving

SEED_ID, SEED_SECRET = "provider_client_123", "provider_secret_456"
SEED_ACCOUNT = "2VcUIonJeVQzFoBuC7LdFT0dRe4"
TWO_ID, TWO_SECRET = "provider_client_two", "provider_secret_two"
TWO_ACCOUNTS = ["2Js1YFqlfxgNqC2KTPEjrWIwKU7", "2VcUIIsgARwVbEGlIYbhg6fGG57"]
TOKEN, ACCOUNTS, ACCOUNT = "/oauth2/token", "/accounts", "/accounts/{id}"


@dataclass
class Simulator:
    """The running simulator: its URL and its `/_control/*` switches."""

    url: str

    def control(self, path: str, **spec: Any) -> dict[str, Any]:
        """POST a control request and return its answer."""
        response = httpx.post(f"{self.url}/_control/{path}", json=spec)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def calls(self) -> dict[str, int]:
        """Requests received per endpoint since the last reset."""
        calls: dict[str, int] = httpx.get(f"{self.url}/_control/state").json()["calls"]
        return calls

    def client(self, **options: Any) -> BraleClient:
        """A Railbook client pointed at the simulator (short timeouts and waits, for quick tests)."""
        options = {"timeout_seconds": 2.0, "max_retry_after_seconds": 0.5} | options
        return BraleClient(self.url, self.url, **options)

    def token(self, client_id: str = SEED_ID, client_secret: str = SEED_SECRET) -> str:
        """An access token straight from the wire."""
        response = httpx.post(f"{self.url}{TOKEN}", data=_grant(), headers=_basic(client_id, client_secret))
        token: str = response.json()["access_token"]
        return token


def _grant() -> dict[str, str]:
    return {"grant_type": "client_credentials"}


def _basic(client_id: str, client_secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}


@pytest.fixture
def sim(brale_url: str) -> Simulator:
    """The run's Brale simulator (conftest's `brale_url`), reset."""
    simulator = Simulator(brale_url)
    simulator.control("reset")
    return simulator


# --- listing accounts ------------------------------------------------------------------------------------------


def test_seed_client_sees_exactly_its_one_account(sim: Simulator) -> None:
    with sim.client() as client:
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]


def test_object_shape_yields_the_ids_in_order(sim: Simulator) -> None:
    with sim.client() as client:
        assert client.list_account_ids(TWO_ID, TWO_SECRET) == TWO_ACCOUNTS


def test_added_client_is_listed_in_its_configured_shape(sim: Simulator) -> None:
    accounts = ["2s55NaiUtTNSIKKGy0iajrRyHq9", SEED_ACCOUNT, "2Js1YFqlfxgNqC2KTPEjrWIwKU7"]
    sim.control("clients", client_id="added", client_secret="added-secret", accounts=accounts, shape="objects")
    with sim.client() as client:
        assert client.list_account_ids("added", "added-secret") == accounts


def test_bare_list_answers_are_accepted_and_garbage_is_unavailable() -> None:
    """Another Brale-like peer: a bare JSON list of objects, then a body that is not JSON."""
    answers: list[Response] = [
        JSONResponse([{"id": "2s55NaiUtTNSIKKGy0iajrRyHq9", "name": "x"}, "2Js1YFqlfxgNqC2KTPEjrWIwKU7"]),
        PlainTextResponse("<html>gateway</html>", status_code=200),
        JSONResponse({"accounts": [{"name": "no id"}]}),
    ]

    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": "ory_at_peer", "expires_in": 3599, "scope": "", "token_type": "bearer"})

    async def accounts(request: Request) -> Response:
        return answers.pop(0)

    peer = Starlette(routes=[Route(TOKEN, token, methods=["POST"]), Route(ACCOUNTS, accounts)])
    with serving(peer) as url, BraleClient(url, url) as client:
        assert client.list_account_ids("a", "b") == ["2s55NaiUtTNSIKKGy0iajrRyHq9", "2Js1YFqlfxgNqC2KTPEjrWIwKU7"]
        with pytest.raises(BraleUnavailable, match="not JSON"):
            client.list_account_ids("a", "b")
        with pytest.raises(BraleUnavailable, match="without an id"):
            client.list_account_ids("a", "b")


# --- credentials -----------------------------------------------------------------------------------------------


def test_wrong_secret_is_rejected_without_leaking_it(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-secret-Zq81x"
    header = _basic(SEED_ID, secret)["Authorization"]
    with sim.client() as client, pytest.raises(BraleCredentialsRejected) as caught:
        client.list_account_ids(SEED_ID, secret)
    failure = caught.value
    assert failure.http_status == 401
    assert "invalid_client" in str(failure)
    for text in (str(failure), repr(failure), repr(failure.args), *(record.getMessage() for record in caplog.records)):
        assert secret not in text and header not in text and header.split()[1] not in text
    assert sim.calls()[ACCOUNTS] == 0


def test_unknown_client_is_rejected(sim: Simulator) -> None:
    with sim.client() as client, pytest.raises(BraleCredentialsRejected):
        client.list_account_ids("nobody", SEED_SECRET)


def test_token_is_cached_between_calls(sim: Simulator) -> None:
    with sim.client() as client:
        client.list_account_ids(SEED_ID, SEED_SECRET)
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
        client.list_account_ids(TWO_ID, TWO_SECRET)
    assert sim.calls() == {TOKEN: 2, ACCOUNTS: 3, ACCOUNT: 0}


def test_concurrent_callers_share_one_token(sim: Simulator) -> None:
    sim.control("faults", endpoint=TOKEN, latency_ms=200)
    with sim.client() as client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.list_account_ids(SEED_ID, SEED_SECRET), range(8)))
    assert results == [[SEED_ACCOUNT]] * 8
    assert sim.calls() == {TOKEN: 1, ACCOUNTS: 8, ACCOUNT: 0}


def test_cache_is_keyed_by_secret_too(sim: Simulator) -> None:
    with sim.client() as client:
        client.list_account_ids(SEED_ID, SEED_SECRET)
        with pytest.raises(BraleCredentialsRejected):
            client.list_account_ids(SEED_ID, "another-secret")
    assert sim.calls()[TOKEN] == 2


def test_expired_token_is_replaced_once(sim: Simulator) -> None:
    with sim.client() as client:
        client.list_account_ids(SEED_ID, SEED_SECRET)
        sim.control("clock", advance_seconds=3600)
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
    # The stale token earned one 401, then a new token served both later listings.
    assert sim.calls() == {TOKEN: 2, ACCOUNTS: 4, ACCOUNT: 0}


def test_token_shorter_than_the_margin_is_not_reused(sim: Simulator) -> None:
    sim.control("clients", client_id="brief", client_secret="s", accounts=[SEED_ACCOUNT], token_lifetime_seconds=30)
    with sim.client() as client:
        client.list_account_ids("brief", "s")
        client.list_account_ids("brief", "s")
    assert sim.calls() == {TOKEN: 2, ACCOUNTS: 2, ACCOUNT: 0}


def test_removed_client_cached_token_is_refetched_then_rejected(sim: Simulator) -> None:
    with sim.client() as client:
        client.list_account_ids(SEED_ID, SEED_SECRET)
        assert sim.control("clients/remove", client_id=SEED_ID) == {"removed": True}
        with pytest.raises(BraleCredentialsRejected, match="invalid_client"):
            client.list_account_ids(SEED_ID, SEED_SECRET)
    assert sim.calls() == {TOKEN: 2, ACCOUNTS: 2, ACCOUNT: 0}


def test_replaced_secret_revokes_the_old_one(sim: Simulator) -> None:
    with sim.client() as client:
        client.list_account_ids(SEED_ID, SEED_SECRET)
        sim.control("clients", client_id=SEED_ID, client_secret="rotated", accounts=[SEED_ACCOUNT])
        with pytest.raises(BraleCredentialsRejected):
            client.list_account_ids(SEED_ID, SEED_SECRET)
        assert client.list_account_ids(SEED_ID, "rotated") == [SEED_ACCOUNT]


def test_api_refusing_a_fresh_token_is_a_rejection() -> None:
    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": "ory_at_peer", "expires_in": 3599, "scope": "", "token_type": "bearer"})

    async def accounts(request: Request) -> Response:
        return JSONResponse({"errors": [{"code": "Forbidden", "status": "403"}]}, status_code=403)

    peer = Starlette(routes=[Route(TOKEN, token, methods=["POST"]), Route(ACCOUNTS, accounts)])
    with serving(peer) as url, BraleClient(url, url) as client, pytest.raises(BraleCredentialsRejected) as caught:
        client.list_account_ids("a", "b")
    assert caught.value.http_status == 403 and "ory_at_peer" not in str(caught.value)


# --- rate limits and outages -----------------------------------------------------------------------------------


def test_rate_limit_is_retried_after_the_announced_wait(sim: Simulator) -> None:
    sim.control("faults", endpoint=ACCOUNTS, status=429, times=2, retry_after=0.2)
    started = time.monotonic()
    with sim.client() as client:
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
    assert time.monotonic() - started >= 0.4
    assert sim.calls() == {TOKEN: 1, ACCOUNTS: 3, ACCOUNT: 0}


def test_rate_limited_token_endpoint_and_503_are_retried(sim: Simulator) -> None:
    sim.control("faults", endpoint=TOKEN, status=429, times=1)
    sim.control("faults", endpoint=ACCOUNTS, status=503, times=1, retry_after=0)
    with sim.client() as client:
        assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]
    assert sim.calls() == {TOKEN: 2, ACCOUNTS: 2, ACCOUNT: 0}


def test_persistent_rate_limit_is_unavailable_with_retry_after(sim: Simulator) -> None:
    sim.control("faults", endpoint="*", status=429, times=50, retry_after=30)
    started = time.monotonic()
    with sim.client(max_retry_after_seconds=0.1) as client, pytest.raises(BraleUnavailable) as caught:
        client.list_account_ids(SEED_ID, SEED_SECRET)
    # The announced 30 s wait is capped for the retries, but handed on to the caller.
    assert time.monotonic() - started < 2
    assert caught.value.retry_after == 30 and caught.value.http_status == 429
    assert sim.calls()[TOKEN] == 3


@pytest.mark.parametrize("endpoint", [TOKEN, ACCOUNTS])
def test_server_error_is_unavailable_without_retry(sim: Simulator, endpoint: str) -> None:
    sim.control("faults", endpoint=endpoint, status=500, times=5)
    with sim.client() as client, pytest.raises(BraleUnavailable) as caught:
        client.list_account_ids(SEED_ID, SEED_SECRET)
    assert caught.value.http_status == 500 and caught.value.retry_after is None
    assert sim.calls()[endpoint] == 1


def test_closed_port_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with BraleClient(url, url, timeout_seconds=2) as client, pytest.raises(BraleUnavailable, match="could not reach"):
        client.list_account_ids(SEED_ID, SEED_SECRET)


def test_slow_answer_beyond_the_timeout_is_unavailable(sim: Simulator) -> None:
    sim.control("faults", endpoint=ACCOUNTS, latency_ms=1000)
    with sim.client(timeout_seconds=0.3) as client, pytest.raises(BraleUnavailable, match="timed out"):
        client.list_account_ids(SEED_ID, SEED_SECRET)


def test_failures_share_one_base() -> None:
    assert issubclass(BraleCredentialsRejected, BraleFailure) and issubclass(BraleUnavailable, BraleFailure)


# --- settings --------------------------------------------------------------------------------------------------


def test_from_settings_live_and_overridden(tmp_path: Path) -> None:
    live = Settings(data_dir=tmp_path, brale_env="live", brale_auth_url="", brale_api_url="")
    with BraleClient.from_settings(live) as client:
        assert (client.auth_url, client.api_url) == (LIVE_AUTH_URL, LIVE_API_URL)
    custom = Settings(data_dir=tmp_path, brale_env="live", brale_auth_url="http://a/", brale_api_url="http://b")
    with BraleClient.from_settings(custom) as client:
        assert (client.auth_url, client.api_url) == ("http://a", "http://b")


def test_from_settings_simulator_finds_the_mounted_simulator(tmp_path: Path) -> None:
    server = Starlette(routes=[Mount("/_simulators/brale", create_brale_simulator())])
    with serving(server) as url:
        port = int(url.rsplit(":", 1)[1])
        settings = Settings(
            data_dir=tmp_path, brale_env="simulator", brale_auth_url="", brale_api_url="", host="0.0.0.0", port=port
        )
        with BraleClient.from_settings(settings) as client:
            assert client.list_account_ids(SEED_ID, SEED_SECRET) == [SEED_ACCOUNT]


# --- the simulator's wire shapes -------------------------------------------------------------------------------


def test_token_endpoint_takes_body_credentials(sim: Simulator) -> None:
    form = _grant() | {"client_id": TWO_ID, "client_secret": TWO_SECRET}
    response = httpx.post(f"{sim.url}{TOKEN}", data=form)
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
    missing = httpx.post(f"{sim.url}{TOKEN}", data=_grant())
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert "Client credentials missing or malformed" in missing.json()["error_description"]
    wrong = httpx.post(f"{sim.url}{TOKEN}", data=_grant(), headers=_basic(SEED_ID, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_description"].startswith("Client authentication failed")
    grant = httpx.post(f"{sim.url}{TOKEN}", data={"grant_type": "password"}, headers=_basic(SEED_ID, SEED_SECRET))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_accounts_without_a_valid_bearer_is_a_jsonapi_401(sim: Simulator) -> None:
    for headers in ({}, {"Authorization": "Bearer ory_at_unknown"}, _basic(SEED_ID, SEED_SECRET)):
        response = httpx.get(f"{sim.url}{ACCOUNTS}", headers=headers)
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
    seed = httpx.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {sim.token()}"})
    assert seed.json() == {"accounts": [SEED_ACCOUNT]}
    two = httpx.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {sim.token(TWO_ID, TWO_SECRET)}"})
    entries = two.json()["accounts"]
    assert [entry["id"] for entry in entries] == TWO_ACCOUNTS
    assert set(entries[0]) == {"id", "name", "status", "created", "updated"} and entries[0]["status"] == "complete"


def test_single_account_is_found_or_404(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.token()}"}
    found = httpx.get(f"{sim.url}/accounts/{SEED_ACCOUNT}", headers=headers)
    assert found.status_code == 200 and found.json()["id"] == SEED_ACCOUNT and found.json()["status"] == "complete"
    missing = httpx.get(f"{sim.url}/accounts/{TWO_ACCOUNTS[0]}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NotFound" and missing.json()["errors"][0]["status"] == "404"
    assert httpx.get(f"{sim.url}/accounts/{SEED_ACCOUNT}").status_code == 401
    assert sim.calls()[ACCOUNT] == 3


def test_rate_limit_fault_carries_retry_after(sim: Simulator) -> None:
    sim.control("faults", endpoint=TOKEN, status=429, retry_after=7)
    response = httpx.post(f"{sim.url}{TOKEN}", data=_grant(), headers=_basic(SEED_ID, SEED_SECRET))
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    state = httpx.get(f"{sim.url}/_control/state").json()
    assert state["faults"] == [] and state["calls"][TOKEN] == 1 and state["tokens"] == 0


def test_reset_forgets_tokens_faults_clients_and_clock(sim: Simulator) -> None:
    token = sim.token()
    sim.control("faults", endpoint="*", status=500, times=3)
    sim.control("clients/remove", client_id=TWO_ID)
    sim.control("clock", advance_seconds=10)
    sim.control("reset")
    state = httpx.get(f"{sim.url}/_control/state").json()
    assert state["tokens"] == 0 and state["faults"] == [] and set(state["calls"].values()) == {0}
    assert httpx.get(f"{sim.url}{ACCOUNTS}", headers={"Authorization": f"Bearer {token}"}).status_code == 401
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
    assert httpx.post(f"{sim.url}/_control/{path}", json=spec).status_code == 400


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
                response = httpx.post(f"{url}{TOKEN}", data=_grant(), headers=_basic(SEED_ID, SEED_SECRET))
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
