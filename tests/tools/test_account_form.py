"""The self-building account form in a real headless Chromium: EUR to Germany, typed as a person types it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Request, expect

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database
from tests.conftest import Token
from tests.support import loopback
from tests.support.screenshots import screenshot
from tests.support.servers import bound_socket, serving


@pytest.fixture
def railbook_url(settings: Settings, database: Database) -> Iterator[str]:
    """Railbook on a real port, as `make serve` runs it."""
    sock = bound_socket()
    with serving(create_app(settings, database), sock, lifespan="on") as url:
        yield url


def open_form(page: Page, url: str, token: Token) -> list[str]:
    """Load the page, hand it the token, and return the list every request the page makes is added to."""
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    page.on("request", remember)
    page.goto(f"{url}/_tools/account-form")
    page.fill("#token-id", token.id)
    page.fill("#token-secret", token.secret)
    page.click("#use-token")
    return requested


def test_a_person_fills_the_eur_form_sees_the_bank_and_creates_the_account(
    railbook_url: str, token: Token, chromium: Browser
) -> None:
    page = chromium.new_page()
    try:
        requested = open_form(page, railbook_url, token)
        page.fill("#currency", "EUR")
        page.fill("#country", "DE")
        page.select_option("#beneficiary-type", "INDIVIDUAL")
        page.click("#load")
        page.wait_for_selector("#f-accountInfo-iban")
        assert page.is_checked("input[value=EUR_ACCOUNT]")
        assert page.text_content("label[for=f-accountInfo-iban]") == "IBAN"
        screenshot(page, "account-form-1-eur-requirements")
        # A wrong IBAN is named under its field while typing, before anything is sent to be stored.
        page.fill("#f-accountInfo-iban", "DE00 1234")
        expect(page.locator("#f-accountInfo-iban-error")).not_to_have_text("")
        page.fill("#f-accountInfo-iban", "de89 3704 0044 0532 0130 00")
        page.fill("#f-accountInfo-beneficiary-fullName", "Anna Schmidt")
        page.select_option("#f-accountInfo-beneficiary-countryOfResidence", label="DE")
        page.wait_for_selector("#valid")
        assert page.text_content("#derived-bank-name") == "Commerzbank"
        assert page.text_content("#derived-bic") == "COBADEFFXXX"
        assert page.text_content("#f-accountInfo-iban-error") == ""
        screenshot(page, "account-form-2-valid-with-derived-bank")
        page.click("#create")
        expect(page.locator("#result-status")).not_to_have_text("")
        assert page.text_content("#result-status") == "201"
        account_id = page.text_content("#result-id") or ""
        screenshot(page, "account-form-3-created")
        assert token.secret not in page.content()
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        assert page.context.cookies() == []
    finally:
        page.close()
    # The page loaded nothing from anywhere else.
    assert requested and all(url.startswith(railbook_url) for url in requested), requested
    with loopback.client(base_url=f"{railbook_url}{API_PREFIX}", headers=token.headers, timeout=10) as api:
        account = api.get(f"/platform/external-accounts/{account_id}").json()
    assert account["accountInfo"]["iban"] == "DE89370400440532013000"
    assert account["accountInfo"]["swiftCode"] == "COBADEFFXXX"
    assert account["accountInfo"]["beneficiary"]["fullName"] == "Anna Schmidt"


def test_a_corridor_error_is_shown_and_a_wrong_token_gets_nothing(
    railbook_url: str, token: Token, chromium: Browser
) -> None:
    page = chromium.new_page()
    try:
        open_form(page, railbook_url, token)
        page.fill("#currency", "EURO")
        page.click("#load")
        expect(page.locator("#corridor-error")).not_to_have_text("")
        assert "(currency: must be an ISO 4217 code" in (page.text_content("#corridor-error") or "")
        page.fill("#token-secret", "not-the-secret")
        page.click("#use-token")
        page.fill("#currency", "EUR")
        page.click("#load")
        expect(page.locator("#corridor-error")).to_have_text("Invalid API credentials")
        assert page.query_selector("input[name=account-type]") is None
        screenshot(page, "account-form-wrong-token")
    finally:
        page.close()


def test_the_page_and_its_script_come_with_a_policy_that_allows_this_server_only(client: TestClient) -> None:
    # The client's base URL is the API prefix; the page sits beside it.
    page = client.get("http://testserver/_tools/account-form")
    script = client.get("http://testserver/_tools/account-form.js")
    assert page.status_code == script.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "default-src 'none'" in policy
    assert f'data-api="{API_PREFIX}"' in page.text
    assert "http://" not in page.text + script.text and "https://" not in page.text + script.text
    assert "localStorage" not in script.text and "cookie" not in script.text


def test_changing_the_beneficiary_type_asks_again_and_keeps_what_was_typed(
    railbook_url: str, token: Token, chromium: Browser
) -> None:
    page = chromium.new_page()
    try:
        open_form(page, railbook_url, token)
        page.click("#load")
        page.wait_for_selector("#f-accountInfo-beneficiary-fullName")
        page.fill("#f-accountInfo-iban", "DE89 3704 0044 0532 0130 00")
        page.select_option("#beneficiary-type", "BUSINESS")
        # No click: the corridor changed, so the page asked for the BUSINESS requirements itself.
        page.wait_for_selector("#f-accountInfo-beneficiary-legalName")
        assert page.query_selector("#f-accountInfo-beneficiary-fullName") is None
        assert page.input_value("#f-accountInfo-iban") == "DE89 3704 0044 0532 0130 00"
        assert page.is_checked("input[value=EUR_ACCOUNT]")
        # EUR businesses need more than a name (Grid PR #880): the page lists what is still missing.
        expect(page.locator("#form-messages")).to_contain_text("accountInfo.beneficiary.registrationNumber")
        screenshot(page, "account-form-4-business-requirements")
    finally:
        page.close()
