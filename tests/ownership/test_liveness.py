"""LIVENESS over real HTTP: the simulated hosted page in Chromium, the outcome applied by a job, the webhook sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database
from tests.conftest import TEST_SECRET_KEYS, Token
from tests.support import loopback
from tests.support.cli_runner import clean_env, ok
from tests.support.receiver import Receiver, running_receiver
from tests.support.screenshots import screenshot
from tests.support.servers import bound_socket, serving
from tests.support.wallets import Wallet, new_wallet


@pytest.fixture
def url(settings: Settings, database: Database) -> Iterator[str]:
    """Railbook on a real port with its worker."""
    served = settings.model_copy(update={"embedded_worker": True, "job_poll_seconds": 0.05})
    with serving(create_app(served, database), bound_socket(), lifespan="on") as base:
        yield base


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def platform(url: str, token: Token, receiver: Receiver) -> Iterator[httpx.Client]:
    """The platform's API client, with ownership proofs required and a webhook receiver set."""
    with loopback.client(base_url=f"{url}{API_PREFIX}", headers=token.headers, timeout=10) as client:
        config = {"ownershipVerificationRequired": True, "webhookEndpoint": receiver.url}
        assert client.patch("/config", json=config).status_code == 200
        receiver.wait_for(1)  # the TEST webhook
        yield client


def pending_wallet(platform: httpx.Client, account_type: str = "SOLANA_WALLET") -> tuple[str, str]:
    """A new wallet waiting for its proof, and the LIVENESS link it is given."""
    wallet = new_wallet(account_type)
    body = {"currency": wallet.currency, "ownershipType": "FIRST_PARTY", "accountInfo": wallet.info()}
    account = platform.post("/platform/external-accounts", json=body).json()
    assert account["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    challenge = platform.post(f"/platform/external-accounts/{account['id']}/challenge", json={"method": "LIVENESS"})
    assert challenge.status_code == 201, challenge.text
    link: str = challenge.json()["verificationLink"]
    return account["id"], link


@pytest.mark.parametrize(("button", "status"), [("pass", "ACTIVE"), ("fail", "UNVERIFIED")])
def test_the_hosted_liveness_page_settles_the_account_with_a_webhook(
    platform: httpx.Client, receiver: Receiver, chromium: Browser, button: str, status: str
) -> None:
    account_id, link = pending_wallet(platform)
    page = chromium.new_page()
    page.goto(link)
    expect(page.locator("#address")).to_be_visible()
    screenshot(page, "liveness-session")
    page.click(f"#{button}")
    expect(page.locator("#message")).to_contain_text("on its way")
    screenshot(page, f"liveness-{button}")
    [delivery] = receiver.wait_for(2)[1:]
    data = delivery.json["data"]
    assert (delivery.json["type"], data["id"], data["previousStatus"], data["status"]) == (
        "EXTERNAL_ACCOUNT.STATUS_UPDATED", account_id, "PENDING_OWNERSHIP_VERIFICATION", status
    )  # fmt: skip
    assert platform.get(f"/platform/external-accounts/{account_id}").json()["status"] == status
    # The link is used up: opening it again says so, and a second answer changes nothing.
    page.goto(link)
    expect(page.locator("#message")).to_contain_text("already completed")
    page.close()
    again = loopback.post(link, data={"outcome": "pass"})
    assert again.status_code == 409


def failed_once(platform: httpx.Client) -> tuple[Wallet, str, str]:
    """A wallet whose first proof failed (another key signed): the wallet, its account path, that signature."""
    wallet = new_wallet("ETHEREUM_WALLET")
    body = {"currency": "USDC", "ownershipType": "FIRST_PARTY", "accountInfo": wallet.info()}
    proofs = f"/platform/external-accounts/{platform.post('/platform/external-accounts', json=body).json()['id']}"
    message = platform.post(f"{proofs}/challenge", json={"method": "WALLET_SIGNATURE"}).json()["messageToSign"]
    impostor = new_wallet("ETHEREUM_WALLET").sign(message)
    assert platform.post(f"{proofs}/verify", json={"signature": impostor}).status_code == 400
    return wallet, proofs, impostor


def test_a_failed_retry_of_an_unverified_wallet_is_announced(platform: httpx.Client, receiver: Receiver) -> None:
    _, proofs, _ = failed_once(platform)
    link = platform.post(f"{proofs}/challenge", json={"method": "LIVENESS"}).json()["verificationLink"]
    assert loopback.post(link, data={"outcome": "fail"}).status_code == 200
    # The platform waits for the outcome: it is sent though the status stays UNVERIFIED.
    moves = [(d.json["data"]["previousStatus"], d.json["data"]["status"]) for d in receiver.wait_for(3)[1:]]
    assert moves == [("PENDING_OWNERSHIP_VERIFICATION", "UNVERIFIED"), ("UNVERIFIED", "UNVERIFIED")]


def test_an_expired_link_is_refused(settings: Settings, database: Database, token: Token) -> None:
    served = settings.model_copy(update={"ownership_challenge_seconds": 0.3})
    with (
        serving(create_app(served, database), bound_socket(), lifespan="on") as base,
        loopback.client(base_url=f"{base}{API_PREFIX}", headers=token.headers, timeout=10) as client,
    ):
        client.patch("/config", json={"ownershipVerificationRequired": True})
        account_id, link = pending_wallet(client)
        time.sleep(0.4)
        assert loopback.get(link).status_code == 410
        assert loopback.post(link, data={"outcome": "pass"}).status_code == 410
        status = client.get(f"/platform/external-accounts/{account_id}").json()["status"]
        assert status == "PENDING_OWNERSHIP_VERIFICATION"


def test_a_link_no_one_issued_and_a_missing_outcome_are_refused(platform: httpx.Client, url: str) -> None:
    account_id, link = pending_wallet(platform)
    assert loopback.get(f"{url}/_simulators/liveness/forged-token").status_code == 404
    assert loopback.post(f"{url}/_simulators/liveness/forged-token", data={"outcome": "pass"}).status_code == 404
    assert loopback.post(link, data={"outcome": "maybe"}).status_code == 400
    answer = loopback.get(link)
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert (
        platform.get(f"/platform/external-accounts/{account_id}").json()["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    )


def test_the_audit_command_shows_the_proofs_without_the_signatures(
    platform: httpx.Client, database_url: str, tmp_path: Path
) -> None:
    wallet, proofs, wrong = failed_once(platform)
    account_id = proofs.rsplit("/", 1)[1]
    second = platform.post(f"{proofs}/challenge", json={"method": "WALLET_SIGNATURE"}).json()["messageToSign"]
    right = wallet.sign(second)
    assert platform.post(f"{proofs}/verify", json={"signature": right}).json()["status"] == "ACTIVE"
    output = ok(
        clean_env(database_url, tmp_path / "cli", secret_keys=TEST_SECRET_KEYS), "accounts", "audit", account_id
    )
    proof_lines = output.split("ownership proofs:\n", 1)[1].splitlines()
    assert [line.split("\t")[1:3] for line in proof_lines] == [["WALLET_SIGNATURE", "FAILED"],
                                                                ["WALLET_SIGNATURE", "VERIFIED"]]  # fmt: skip
    assert "was made by" in proof_lines[0] and "signature sha256:" in proof_lines[0]
    for signature in (wrong, right):
        assert signature.removeprefix("0x") not in output
    assert "PENDING_OWNERSHIP_VERIFICATION\tUNVERIFIED" in output and "UNVERIFIED\tACTIVE" in output
