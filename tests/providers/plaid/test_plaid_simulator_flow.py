"""The Plaid simulator and client: the Link flow, token lifetimes and credentials, as Plaid answers them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from railbook.providers.plaid.client import (
    PlaidInvalidToken,
    PlaidRequestRejected,
)
from railbook.providers.plaid.simulator.errors import PlaidFault
from tests.support import loopback
from tests.support.plaid_simulator import CLIENT_ID, SECRET, Simulator, assert_plaid_response, linked

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
        access_token = linked(client)
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
    response = loopback.post(f"{sim.url}/sandbox/public_token/create", json=body, headers=headers)
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
        response = loopback.post(url, json=body)
        assert (response.status_code, response.json()["error_code"]) == (400, code), response.text
    garbled = loopback.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert (garbled.status_code, garbled.json()["error_code"]) == (400, "INVALID_BODY")
    assert_plaid_response("/item/public_token/exchange", 400, garbled.json())
