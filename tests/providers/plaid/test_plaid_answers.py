"""Plaid's answers are read strictly: a missing or mistyped field Railbook uses is refused, a new field ignored."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from railbook.providers.plaid.answers import PublicTokenExchanged, SandboxPublicToken
from railbook.providers.plaid.client import PlaidClient, PlaidUnavailable
from tests.support.plaid_simulator import CLIENT_ID, SECRET
from tests.support.servers import serving

ACCESS_TOKEN = "access-sandbox-8c1d0e7a-2b4f-4f4e-9a51-3f3c2a0d9e11"
ACCOUNT = {
    "account_id": "acc-1", "name": "Plaid Checking", "official_name": None, "mask": "0000",
    "type": "depository", "subtype": "checking", "balances": {"current": 110},
}  # fmt: skip
ITEM = {"item_id": "item-1", "institution_id": "ins_109508", "institution_name": "First Platypus Bank"}
OWNER = {
    "names": ["Alberta Bobbeth Charleson"],
    "addresses": [{"data": {"street": "2992 Cameron Road", "city": "Malakoff", "region": "NY",
                            "postal_code": "14236", "country": "US"}, "primary": True}],
    "emails": [{"data": "accountholder0@example.com", "primary": True, "type": "primary"}],
    "phone_numbers": [{"data": "1112223333", "primary": False, "type": "home"}],
}  # fmt: skip
ANSWERS: dict[str, dict[str, Any]] = {
    "/identity/get": {"item": ITEM, "accounts": [{**ACCOUNT, "owners": [OWNER]}], "request_id": "r1"},
    "/auth/get": {
        "item": ITEM, "accounts": [ACCOUNT], "request_id": "r2",
        "numbers": {"ach": [{"account_id": "acc-1", "account": "1111222233330000", "routing": "011401533",
                             "wire_routing": "021000021"}], "eft": [], "international": [], "bacs": []},
    },
    "/accounts/get": {"item": ITEM, "accounts": [ACCOUNT], "request_id": "r3"},
    "/item/public_token/exchange": {"access_token": ACCESS_TOKEN, "item_id": "item-1", "request_id": "r4"},
    "/link/token/create": {"link_token": "link-sandbox-1", "expiration": "2026-01-05T16:00:00Z", "request_id": "r5"},
}  # fmt: skip
CALLS: dict[str, Callable[[PlaidClient], Any]] = {
    "/identity/get": lambda client: client.get_identity(ACCESS_TOKEN),
    "/auth/get": lambda client: client.get_auth(ACCESS_TOKEN),
    "/accounts/get": lambda client: client.get_accounts(ACCESS_TOKEN),
    "/item/public_token/exchange": lambda client: client.exchange_public_token("public-sandbox-1"),
    "/link/token/create": lambda client: client.create_link_token("Customer:1"),
}
# Per endpoint: a field Railbook reads, given a value of another type ("yes" is not true, 0 is not "0").
MISTYPED: dict[str, Callable[[dict[str, Any]], None]] = {
    "/identity/get": lambda answer: answer["accounts"][0]["owners"][0]["addresses"][0].update(primary="yes"),
    "/auth/get": lambda answer: answer["numbers"]["ach"][0].update(routing=11401533),
    "/accounts/get": lambda answer: answer["accounts"][0].update(mask=0),
    "/item/public_token/exchange": lambda answer: answer.update(item_id=["item-1"]),
    "/link/token/create": lambda answer: answer.update(expiration=1767628800),
}
# Per endpoint: a field Railbook needs, left out.
MISSING: dict[str, Callable[[dict[str, Any]], None]] = {
    "/identity/get": lambda answer: answer["accounts"][0].pop("account_id"),
    "/auth/get": lambda answer: answer.pop("numbers"),
    "/accounts/get": lambda answer: answer["item"].pop("item_id"),
    "/item/public_token/exchange": lambda answer: answer.pop("access_token"),
    "/link/token/create": lambda answer: answer.pop("link_token"),
}


class StandIn:
    """A stand-in Plaid host on a real server: answers each path with the body set for it."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}

    async def answer(self, request: Request) -> JSONResponse:
        return JSONResponse(self.answers[request.url.path])


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[StandIn, str]]:
    host = StandIn()
    app = Starlette(routes=[Route(path, host.answer, methods=["POST"]) for path in ANSWERS])
    with serving(app) as url:
        yield host, url


def call(stand_in: tuple[StandIn, str], path: str, answer: Any) -> Any:
    host, url = stand_in
    host.answers = {path: answer}
    with PlaidClient("simulator", CLIENT_ID, SECRET, base_url=url, timeout_seconds=5) as client:
        return CALLS[path](client)


@pytest.mark.parametrize("path", list(ANSWERS))
def test_a_mistyped_field_is_an_unreadable_answer(stand_in: tuple[StandIn, str], path: str) -> None:
    answer = copy.deepcopy(ANSWERS[path])
    MISTYPED[path](answer)
    with pytest.raises(PlaidUnavailable) as caught:
        call(stand_in, path, answer)
    assert str(caught.value) == f"Plaid {path}: unreadable answer (ValidationError)"
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize("path", list(ANSWERS))
def test_a_missing_field_is_an_unreadable_answer(stand_in: tuple[StandIn, str], path: str) -> None:
    answer = copy.deepcopy(ANSWERS[path])
    MISSING[path](answer)
    with pytest.raises(PlaidUnavailable, match="unreadable answer"):
        call(stand_in, path, answer)


@pytest.mark.parametrize("path", list(ANSWERS))
def test_fields_plaid_adds_later_are_ignored(stand_in: tuple[StandIn, str], path: str) -> None:
    answer = copy.deepcopy(ANSWERS[path]) | {"a_field_plaid_added": {"nested": [1, 2]}}
    assert call(stand_in, path, answer) is not None


def test_an_identity_answer_is_read_whole(stand_in: tuple[StandIn, str]) -> None:
    identity = call(stand_in, "/identity/get", copy.deepcopy(ANSWERS["/identity/get"]))
    entry = identity.for_account("acc-1")
    assert (identity.item_id, identity.institution_name) == ("item-1", "First Platypus Bank")
    assert (entry.account.name, entry.account.official_name, entry.account.ach) == ("Plaid Checking", None, None)
    owner = entry.owners[0]
    assert owner.names == ("Alberta Bobbeth Charleson",)
    assert owner.emails == ("accountholder0@example.com",) and owner.phone_numbers == ("1112223333",)
    assert owner.primary_address is not None and owner.primary_address.postal_code == "14236"


def test_an_answer_that_is_not_an_object_is_unreadable(stand_in: tuple[StandIn, str]) -> None:
    with pytest.raises(PlaidUnavailable, match="unreadable answer"):
        call(stand_in, "/accounts/get", ["not", "an", "object"])


def test_an_exchanged_answer_never_shows_its_tokens() -> None:
    exchanged = PublicTokenExchanged.model_validate_json(orjson.dumps(ANSWERS["/item/public_token/exchange"]))
    public = SandboxPublicToken.model_validate_json(b'{"public_token": "public-sandbox-5c6f", "request_id": "r6"}')
    assert exchanged.access_token == ACCESS_TOKEN and ACCESS_TOKEN not in repr(exchanged) + str(exchanged)
    assert "public-sandbox-5c6f" not in repr(public) + str(public)
