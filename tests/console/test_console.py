"""The operator console over real HTTP: sign-in, the review queue, decisions with webhooks, tokens, CSRF, throttling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.console.models import Operator, OperatorAction
from railbook.console.operators import create as create_operator
from railbook.db import Database
from railbook.kit.clock import utcnow
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.service import seal_credentials
from railbook.webhooks.models import WebhookEvent
from tests.conftest import TEST_KEYS, TEST_SECRET_KEYS, Token
from tests.support import loopback
from tests.support.cli_runner import clean_env, fails, ok
from tests.support.clients import api_client
from tests.support.receiver import Receiver, running_receiver
from tests.support.screenshots import screenshot
from tests.support.servers import bound_socket, serving
from tests.webhooks.test_webhooks import cli_public_key, emit_status, wait_for_state

PASSWORD = "correct horse battery staple"
UNDER_REVIEW_USD = {  # sandbox: an account number ending in 102 fails the name check: UNDER_REVIEW
    "accountType": "USD_ACCOUNT", "accountNumber": "000123456102", "routingNumber": "011401533",
    "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Alberta Charleson"},
}  # fmt: skip


@pytest.fixture
def url(settings: Settings, database: Database, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Railbook on a real port with its worker, and an operator `olivia` made with the command line."""
    env = clean_env(database_url, tmp_path / "cli", secret_keys=TEST_SECRET_KEYS)
    ok(env, "operators", "create", "olivia", "--password-stdin", stdin=PASSWORD + "\n")
    served = settings.model_copy(update={"embedded_worker": True, "job_poll_seconds": 0.05})
    with serving(create_app(served, database), bound_socket(), lifespan="on") as base:
        yield base


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def api(url: str, token: Token) -> httpx.Client:
    return loopback.client(base_url=f"{url}{API_PREFIX}", headers=token.headers, timeout=10)


@contextmanager
def signed_in(url: str) -> Iterator[httpx.Client]:
    """An httpx client holding an operator's session cookie."""
    with loopback.client(base_url=f"{url}/console", timeout=10) as client:
        answer = client.post("/sign-in", data={"name": "olivia", "password": PASSWORD})
        assert answer.status_code == 303 and answer.headers["location"] == "/console/"
        yield client


def test_an_operator_approves_an_account_and_the_platform_hears_of_it(
    url: str, token: Token, chromium: Browser, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    with api(url, token) as platform:
        receiver.public_key_pem = cli_public_key(database_url, "acme", "sandbox", tmp_path)
        assert platform.patch("/config", json={"webhookEndpoint": receiver.url}).status_code == 200
        receiver.wait_for(1)  # the endpoint's TEST webhook
        account = platform.post(
            "/platform/external-accounts", json={"currency": "USD", "accountInfo": UNDER_REVIEW_USD}
        )
        account_id = account.json()["id"]
        assert account.json()["status"] == "UNDER_REVIEW"
    page = chromium.new_page()
    try:
        page.goto(f"{url}/console/")
        page.fill("#name", "olivia")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        expect(page.locator("#queue")).to_contain_text(account_id)
        expect(page.locator("#queue")).to_contain_text("NOT_MATCHED")
        screenshot(page, "console-1-review-queue")
        page.click(f"text={account_id}")
        expect(page.locator("#status")).to_have_text("UNDER_REVIEW")
        page.select_option("#decision", "approve")
        page.fill("#reason", "holder name confirmed by phone")
        page.click("#apply")
        expect(page.locator("#status")).to_have_text("ACTIVE")
        expect(page.locator("#audit")).to_contain_text("operator:olivia")
        expect(page.locator("#audit")).to_contain_text("holder name confirmed by phone")
        [_, update] = receiver.wait_for(2)
        assert update.signature_valid and update.json["type"] == "EXTERNAL_ACCOUNT.STATUS_UPDATED"
        assert (update.json["data"]["status"], update.json["data"]["previousStatus"]) == ("ACTIVE", "UNDER_REVIEW")
        page.reload()
        expect(page.locator("#events")).to_contain_text(update.json["id"])
        page.click(".redeliver")
        expect(page.locator("#message")).to_have_text("redelivery queued")
        [*_, again] = receiver.wait_for(3)
        assert again.body == update.body
        screenshot(page, "console-2-account-page")
        # Revoke the platform's token in the console: the API refuses it from then on.
        page.click("text=API tokens")
        page.click(f"button.revoke[data-token='{token.id}']")
        expect(page.locator("#tokens")).to_contain_text(token.id)
        screenshot(page, "console-3-tokens")
    finally:
        page.close()
    with api(url, token) as platform:
        assert platform.get("/customers").status_code == 401


def test_a_post_without_the_forms_csrf_token_is_refused(url: str, token: Token) -> None:
    with api(url, token) as platform:
        account_id = platform.post(
            "/platform/external-accounts", json={"currency": "USD", "accountInfo": UNDER_REVIEW_USD}
        ).json()["id"]
    with signed_in(url) as console:
        for form in ({"decision": "approve", "reason": "r"}, {"decision": "approve", "reason": "r", "csrf": "forged"}):
            refused = console.post(f"/accounts/{account_id}/decision", data=form)
            assert refused.status_code == 403
        page = console.get(f"/accounts/{account_id}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        accepted = console.post(
            f"/accounts/{account_id}/decision", data={"decision": "reject", "reason": "r", "csrf": csrf[1]}
        )
        assert accepted.status_code == 303
    with api(url, token) as platform:
        assert platform.get(f"/platform/external-accounts/{account_id}").json()["status"] == "INACTIVE"


def test_five_wrong_passwords_slow_the_next_sign_in_down(url: str, database: Database) -> None:
    with loopback.client(base_url=f"{url}/console", timeout=10) as client:
        for _ in range(4):
            assert client.post("/sign-in", data={"name": "olivia", "password": "wrong"}).status_code == 401
        fifth = client.post("/sign-in", data={"name": "olivia", "password": "wrong"})
        assert fifth.status_code == 429 and int(fifth.headers["retry-after"]) >= 1
        # Even the right password waits its turn.
        waiting = client.post("/sign-in", data={"name": "olivia", "password": PASSWORD})
        assert waiting.status_code == 429 and "Too many failed sign-ins" in waiting.text
    with database.reading() as session:
        assert session.scalar(select(Operator.failed_sign_ins).where(Operator.name == "olivia")) == 5


def test_api_tokens_do_not_open_the_console_nor_sessions_the_api(url: str, token: Token) -> None:
    with loopback.client(base_url=f"{url}/console", headers=token.headers, timeout=10) as client:
        answer = client.get("/")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    with signed_in(url) as console:
        cookies = dict(console.cookies)
    assert "railbook_console" in cookies
    with loopback.client(base_url=f"{url}{API_PREFIX}", cookies=cookies, timeout=10) as client:
        assert client.get("/customers").status_code == 401


def test_the_session_cookie_is_http_only_and_strict(url: str) -> None:
    with loopback.client(base_url=f"{url}/console", timeout=10) as client:
        answer = client.post("/sign-in", data={"name": "olivia", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_operators_are_stored_as_argon2_hashes_and_actions_audited(
    url: str, database: Database, database_url: str, tmp_path: Path
) -> None:
    env = clean_env(database_url, tmp_path / "cli2", secret_keys=TEST_SECRET_KEYS)
    assert "exists already" in fails(env, "operators", "create", "olivia", "--password-stdin", stdin=PASSWORD + "\n")
    assert "at least 12" in fails(env, "operators", "create", "oscar", "--password-stdin", stdin="short\n")
    with database.reading() as session:
        stored = session.scalar(select(Operator.password_hash).where(Operator.name == "olivia"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    with signed_in(url):
        pass
    with database.reading() as session:
        actions = session.scalars(select(OperatorAction.action).where(OperatorAction.operator_name == "olivia")).all()
    assert actions == ["sign-in"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_the_delivery_log_lists_failed_events_and_redelivers_them(url: str, database: Database, token: Token) -> None:
    # No endpoint is configured: the worker records the event as skipped.
    event_id = emit_status(database, token, "ExternalAccount:log", 1)
    with signed_in(url) as console:
        wait_for_state(database, event_id, "skipped")
        failed = console.get("/deliveries", params={"failed": "true"}).text
        assert event_id in failed and "skipped" in failed
        answer = console.post(f"/events/{event_id}/redeliver", data={"csrf": _csrf(failed)})
        assert answer.status_code == 303 and answer.headers["location"] == "/console/deliveries"
    with database.reading() as session:
        attempts = session.scalar(select(WebhookEvent.attempt_count).where(WebhookEvent.id == event_id))
        actions = session.scalars(select(OperatorAction.target).where(OperatorAction.action == "event.redeliver")).all()
    assert actions == [event_id] and attempts is not None and attempts >= 1


def test_revoking_a_stablecoin_link_erases_its_credentials(url: str, database: Database, token: Token) -> None:
    link_id = "StablecoinProviderAccount:01900000-0000-7000-8000-000000000001"
    now = utcnow()
    with database.transaction() as session:
        session.add(
            StablecoinProviderAccount(
                id=link_id, platform_id=token.platform_id, mode=token.mode.value, provider="BRALE",
                provider_account_id="acct_1", status="ACTIVE", created_at=now, updated_at=now,
                credentials=seal_credentials(TEST_KEYS, link_id, "client", "client-secret"),
            )
        )  # fmt: skip
    with signed_in(url) as console:
        page = console.get("/stablecoin-links").text
        assert link_id in page and "ACTIVE" in page
        refused = console.post(f"/stablecoin-links/{link_id}/revoke", data={"csrf": _csrf(page), "reason": ""})
        assert "A%20reason%20is%20required" in refused.headers["location"]
        revoked = console.post(f"/stablecoin-links/{link_id}/revoke", data={"csrf": _csrf(page), "reason": "leaked"})
        assert revoked.status_code == 303
    with database.reading() as session:
        link = session.get(StablecoinProviderAccount, link_id)
        assert link is not None and (link.status, link.credentials, link.status_reason) == ("REVOKED", None, "leaked")


def test_behind_an_https_public_url_the_session_cookie_is_secure(settings: Settings, database: Database) -> None:
    with database.transaction() as session:
        create_operator(session, "olivia", PASSWORD)
    public = settings.model_copy(update={"public_url": "https://railbook.example.com"})
    with api_client(public, database) as client:
        answer = client.post(
            "http://testserver/console/sign-in", data={"name": "olivia", "password": PASSWORD}, follow_redirects=False
        )
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()


def test_signing_out_ends_every_copy_of_the_cookie(url: str) -> None:
    with signed_in(url) as console:
        copied = dict(console.cookies)
        page = console.get("/").text
        assert console.post("/sign-out", data={"csrf": _csrf(page)}).status_code == 303
    with loopback.client(base_url=f"{url}/console", cookies=copied, timeout=10) as thief:
        answer = thief.get("/")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"


def test_a_token_is_minted_only_for_an_existing_platform(url: str, token: Token) -> None:
    with signed_in(url) as console:
        page = console.get("/tokens").text
        refused = console.post("/tokens", data={"csrf": _csrf(page), "platform": "acmee", "mode": "SANDBOX"})
        assert refused.status_code == 400 and "No platform called acmee" in refused.text
        minted = console.post("/tokens", data={"csrf": _csrf(page), "platform": "acme", "mode": "SANDBOX"})
        secret = re.search(r'id="new-token-secret">([^<]+)<', minted.text)
        token_id = re.search(r'id="new-token-id">([^<]+)<', minted.text)
        assert secret is not None and token_id is not None
    fresh = Token(token_id[1], secret[1], token.platform_id, token.mode)
    with api(url, fresh) as platform:
        assert platform.get("/customers").status_code == 200
