"""Railbook's Brale client against the simulator: listing, credentials and tokens, limits and outages, settings."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
)
from tests.support.serve_process import free_port
from tests.support.servers import serving

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
    header = basic(SEED_ID, secret)["Authorization"]
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
