"""The simulator's Link page in a real headless Chromium: pick an account, send the public token, see it go ACTIVE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database
from tests.conftest import Token
from tests.support import loopback
from tests.support.plaid_link import DECIDED, wait_status
from tests.support.screenshots import screenshot
from tests.support.servers import bound_socket, serving


@pytest.fixture
def railbook_url(settings: Settings, database: Database) -> Iterator[str]:
    """Railbook on a real port as `make serve` runs it: simulator mounted on the same server, worker embedded."""
    sock = bound_socket()
    host, port = sock.getsockname()
    served = settings.model_copy(
        update={"host": host, "port": port, "plaid_simulator_url": "", "embedded_worker": True,
                "job_poll_seconds": 0.05}
    )  # fmt: skip
    with serving(create_app(served, database), sock, lifespan="on") as url:
        yield url


def _link_token(api: httpx.Client) -> dict[str, Any]:
    """A link token for a new customer named as the simulator's account holder."""
    customer = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Alberta Bobbeth Charleson"})
    linked: dict[str, Any] = api.post("/plaid/link-tokens", json={"customerId": customer.json()["id"]}).json()
    return linked


def test_a_person_links_a_savings_account_through_the_page(railbook_url: str, token: Token, chromium: Browser) -> None:
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=10) as api:
        linked = _link_token(api)
        page = chromium.new_page()
        try:
            page.goto(f"{railbook_url}/_simulators/plaid/link?token={linked['linkToken']}")
            assert page.get_by_label("First Platypus Bank").is_checked()
            page.get_by_label("Plaid Saving (savings, ••••1111)").check()
            screenshot(page, "plaid-link-1-choose-account")
            page.click("#continue")
            public_token = page.text_content("#public-token") or ""
            assert public_token.startswith("public-sandbox-")
            screenshot(page, "plaid-link-2-linked")
            # onSuccess: the token goes to the platform's side, whose back end calls with its credentials.
            page.click("#to-platform")
            assert page.text_content("#callback-url") == f"{API_PREFIX}/plaid/callback/{linked['linkToken']}"
            page.fill("#token-id", token.id)
            page.fill("#token-secret", token.secret)
            screenshot(page, "plaid-link-3-platform-back-end")
            page.click("#send")
            assert page.text_content("#callback-status") == "202"
            assert token.secret not in page.content()
            screenshot(page, "plaid-link-4-callback-answer")
            pending = json.loads(page.text_content("#callback-body") or "{}")
        finally:
            page.close()
        assert pending["status"] == "PENDING"
        info = pending["accountInfo"]
        assert (info["accountNumber"], info["bankAccountType"]) == ("1111222233331111", "SAVINGS")
        active = wait_status(api, pending["id"], *DECIDED)
        assert (active["status"], active["beneficiaryVerificationStatus"]) == ("ACTIVE", "MATCHED")
        # The token was spent by the page: the platform's own retry of it is refused.
        again = api.post(linked["callbackUrl"], json={"publicToken": public_token})
        assert again.status_code == 409


def test_the_platform_page_without_credentials_gets_the_callbacks_401(
    railbook_url: str, token: Token, chromium: Browser
) -> None:
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=10) as api:
        linked = _link_token(api)
    page = chromium.new_page()
    try:
        page.goto(f"{railbook_url}/_simulators/plaid/link?token={linked['linkToken']}")
        page.click("#continue")
        page.click("#to-platform")
        page.fill("#token-id", token.id)
        page.fill("#token-secret", "not-the-secret")
        page.click("#send")
        assert page.text_content("#callback-status") == "401"
        screenshot(page, "plaid-link-wrong-credentials")
    finally:
        page.close()


def test_the_page_refuses_an_unknown_link_token(railbook_url: str, chromium: Browser) -> None:
    page = chromium.new_page()
    try:
        response = page.goto(f"{railbook_url}/_simulators/plaid/link?token=link-sandbox-unknown")
        assert response is not None and response.status == 404
        assert "unknown or has expired" in (page.text_content("#error") or "")
        assert page.query_selector("#continue") is None
    finally:
        page.close()
