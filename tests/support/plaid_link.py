"""Plaid Link in tests: link tokens from Railbook, public tokens from the simulator (with or without Link)."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from fastapi.testclient import TestClient

from railbook.providers.plaid.client import PlaidClient
from tests.support import loopback
from tests.support.spec import conform

CLIENT_ID, SECRET = "railbook-sandbox", "railbook-sandbox-secret"
INSTITUTION = "ins_109508"
# The simulator's user_good checking account, as the link page labels it.
CHECKING_MASK = "0000"


def public_token(simulator_url: str) -> str:
    """A public token made without Link (`/sandbox/public_token/create`): it belongs to no Link session."""
    with PlaidClient("simulator", CLIENT_ID, SECRET, base_url=simulator_url) as plaid:
        return plaid.create_sandbox_public_token(INSTITUTION)


def link_session_public_token(simulator_url: str, link_token: str, mask: str = CHECKING_MASK) -> tuple[str, str]:
    """Go through the simulator's Link page for this link token: (public token, chosen account id)."""
    form = {"token": link_token, "institution": INSTITUTION, "mask": mask, "callbackUrl": ""}
    page = loopback.post(f"{simulator_url}/link", data=form, timeout=5)
    assert page.status_code == 200, page.text
    found = re.search(r'id="public-token">([^<]+)<', page.text), re.search(r'id="account-id">([^<]+)<', page.text)
    assert found[0] and found[1], page.text
    return found[0].group(1), found[1].group(1)


def customer(api: TestClient | httpx.Client, name: str) -> str:
    """A new individual customer's id."""
    customer_id: str = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": name}).json()["id"]
    return customer_id


def link(api: TestClient, customer_id: str) -> dict[str, Any]:
    """A link token for the customer (the response, checked against the contract)."""
    response = api.post("/plaid/link-tokens", json={"customerId": customer_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = conform(response)
    return body


# Where a linked account goes once its holder is checked.
DECIDED = ("ACTIVE", "UNDER_REVIEW", "INACTIVE")


def wait_status(api: httpx.Client, account_id: str, *statuses: str, timeout: float = 15.0) -> dict[str, Any]:
    """The account once its status is one of `statuses` (`timeout` seconds at most); any TestClient too."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {"status": "unread"}
    while time.monotonic() < deadline:
        try:
            body = api.get(f"/customers/external-accounts/{account_id}").json()
        except httpx.RemoteProtocolError:
            # The server closed an idle kept-alive connection just as this poll reused it (its
            # keep-alive ran out while the test drove the browser): a polling client asks again.
            continue
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{account_id} stayed {body['status']}")
