"""Ownership proofs of self-custody wallets: challenges signed with real keys of every wallet family."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.external_accounts.models import StatusChange
from railbook.external_accounts.operator import Decision, DecisionRefused, decide
from railbook.ownership.models import OwnershipChallenge
from railbook.webhooks.models import WebhookEvent
from tests.conftest import Token, make_token
from tests.support.clients import api_client
from tests.support.receiver import Receiver, running_receiver
from tests.support.spec import assert_error, conform
from tests.support.wallets import Wallet, new_wallet

FAMILIES = [
    pytest.param("ETHEREUM_WALLET", False, id="ethereum"),
    pytest.param("BASE_WALLET", False, id="base"),
    pytest.param("SOLANA_WALLET", False, id="solana"),
    pytest.param("TRON_WALLET", False, id="tron"),
    pytest.param("SPARK_WALLET", False, id="spark-der"),
    pytest.param("SPARK_WALLET", True, id="spark-compact"),
]


def app_for(settings: Settings, database: Database, token: Token, **changes: Any) -> TestClient:
    configured = settings.model_copy(update={"embedded_worker": False, "job_poll_seconds": 0.05, **changes})
    client = api_client(configured, database)
    client.headers.update(token.headers)
    return client


@pytest.fixture
def proving(settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app for a platform that requires ownership proofs."""
    with app_for(settings, database, token) as client:
        answer = client.patch("/config", json={"ownershipVerificationRequired": True})
        assert answer.status_code == 200, answer.text
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def customer_of(api: TestClient) -> str:
    answer = api.post("/customers", json={"customerType": "INDIVIDUAL", "fullName": "Satoshi Holder"})
    assert answer.status_code == 201, answer.text
    customer_id: str = answer.json()["id"]
    return customer_id


def create_wallet(api: TestClient, wallet: Wallet, *, platform: bool = False, **envelope: Any) -> dict[str, Any]:
    body = {"currency": wallet.currency, "ownershipType": "FIRST_PARTY", "accountInfo": wallet.info(), **envelope}
    if not platform:
        body["customerId"] = customer_of(api)
    answer = api.post("/platform/external-accounts" if platform else "/customers/external-accounts", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = conform(answer)
    return created


def challenge(api: TestClient, account_id: str, method: str = "WALLET_SIGNATURE", side: str = "customers") -> Any:
    return api.post(f"/{side}/external-accounts/{account_id}/challenge", json={"method": method})


def verify(api: TestClient, account_id: str, signature: Any, side: str = "customers") -> Any:
    return api.post(f"/{side}/external-accounts/{account_id}/verify", json={"signature": signature})


def status_of(api: TestClient, account_id: str) -> str:
    status: str = api.get(f"/customers/external-accounts/{account_id}").json()["status"]
    return status


def signature_error(answer: Any) -> str:
    body = assert_error(answer, 400, "INVALID_INPUT")
    [error] = body["details"]["errors"]
    assert error["field"] == "signature"
    message: str = error["message"]
    return message


@pytest.mark.parametrize(("account_type", "compact"), FAMILIES)
def test_only_the_wallets_own_signature_of_an_open_challenge_makes_it_active(
    proving: TestClient, account_type: str, compact: bool
) -> None:
    wallet, impostor = new_wallet(account_type, compact=compact), new_wallet(account_type, compact=compact)
    account = create_wallet(proving, wallet)
    assert account["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    answer = challenge(proving, account["id"])
    assert answer.status_code == 201, answer.text
    issued = conform(answer)
    message = issued["messageToSign"]
    assert issued["method"] == "WALLET_SIGNATURE"
    # The message names the platform, the account, the address, a nonce and its expiry.
    assert "Platform: acme" in message and f"Account: {account['id']}" in message
    assert f"Address: {account['accountInfo']['address']}" in message
    assert re.search(r"Nonce: [0-9a-f]{32}", message)
    assert f"Expires: {issued['expiresAt']}" in message
    # A signature of another message (one character added to the nonce) fails and uses the challenge up.
    tampered = message.replace("Nonce: ", "Nonce: 0")
    assert "signature" in signature_error(verify(proving, account["id"], wallet.sign(tampered)))
    assert status_of(proving, account["id"]) == "UNVERIFIED"
    # The challenge was used by the failed attempt: the right signature of it no longer counts.
    assert "already used" in signature_error(verify(proving, account["id"], wallet.sign(message)))
    # A new challenge leaves the account UNVERIFIED until a verify succeeds; another key fails it too.
    second = conform(challenge(proving, account["id"]))["messageToSign"]
    assert second != message
    assert status_of(proving, account["id"]) == "UNVERIFIED"
    assert "signature" in signature_error(verify(proving, account["id"], impostor.sign(second)))
    assert status_of(proving, account["id"]) == "UNVERIFIED"
    third = conform(challenge(proving, account["id"]))["messageToSign"]
    verified = verify(proving, account["id"], wallet.sign(third))
    assert verified.status_code == 200, verified.text
    body = conform(verified)
    assert (body["id"], body["status"]) == (account["id"], "ACTIVE")
    # Verified: nothing more to prove, and a replayed signature changes nothing.
    assert_error(challenge(proving, account["id"]), 409, "CONFLICT")
    assert_error(verify(proving, account["id"], wallet.sign(third)), 409, "CONFLICT")
    assert status_of(proving, account["id"]) == "ACTIVE"


def test_an_expired_challenge_fails_even_with_the_right_signature(
    settings: Settings, database: Database, token: Token
) -> None:
    with app_for(settings, database, token, ownership_challenge_seconds=0.5) as api:
        api.patch("/config", json={"ownershipVerificationRequired": True})
        wallet = new_wallet("ETHEREUM_WALLET")
        account = create_wallet(api, wallet)
        first = conform(challenge(api, account["id"]))
        time.sleep(0.6)
        assert "expired" in signature_error(verify(api, account["id"], wallet.sign(first["messageToSign"])))
        assert status_of(api, account["id"]) == "UNVERIFIED"
        # After expiry a new challenge is issued, not the old one.
        second = conform(challenge(api, account["id"]))
        assert second["messageToSign"] != first["messageToSign"]
        assert conform(verify(api, account["id"], wallet.sign(second["messageToSign"])))["status"] == "ACTIVE"


def test_asking_again_returns_the_open_challenge_and_another_method_replaces_it(proving: TestClient) -> None:
    wallet = new_wallet("SOLANA_WALLET")
    account = create_wallet(proving, wallet)
    first = conform(challenge(proving, account["id"]))
    assert conform(challenge(proving, account["id"])) == first
    liveness = conform(challenge(proving, account["id"], "LIVENESS"))
    assert liveness["method"] == "LIVENESS" and "/_simulators/liveness/" in liveness["verificationLink"]
    assert conform(challenge(proving, account["id"], "LIVENESS")) == liveness
    # The signature challenge was replaced: its signature has nothing to answer.
    assert_error(verify(proving, account["id"], wallet.sign(first["messageToSign"])), 409, "CONFLICT")
    assert status_of(proving, account["id"]) == "PENDING_OWNERSHIP_VERIFICATION"
    again = conform(challenge(proving, account["id"]))
    assert again["messageToSign"] != first["messageToSign"]
    assert conform(verify(proving, account["id"], wallet.sign(again["messageToSign"])))["status"] == "ACTIVE"


def test_status_changes_are_audited_and_sent_as_webhooks(
    settings: Settings, database: Database, receiver: Receiver, token: Token
) -> None:
    with app_for(settings, database, token, embedded_worker=True) as proving:
        statuses_sent(proving, database, receiver, token)


def statuses_sent(proving: TestClient, database: Database, receiver: Receiver, token: Token) -> None:
    config = {"ownershipVerificationRequired": True, "webhookEndpoint": receiver.url}
    assert proving.patch("/config", json=config).status_code == 200
    receiver.wait_for(1)  # the TEST webhook
    wallet = new_wallet("TRON_WALLET")
    account = create_wallet(proving, wallet)
    message = challenge(proving, account["id"]).json()["messageToSign"]
    signature_error(verify(proving, account["id"], new_wallet("TRON_WALLET").sign(message)))
    fresh = challenge(proving, account["id"]).json()["messageToSign"]
    assert verify(proving, account["id"], wallet.sign(fresh)).status_code == 200
    deliveries = receiver.wait_for(3)[1:]
    moves = [(d.json["data"]["previousStatus"], d.json["data"]["status"]) for d in deliveries]
    assert moves == [("PENDING_OWNERSHIP_VERIFICATION", "UNVERIFIED"), ("UNVERIFIED", "ACTIVE")]
    assert {d.json["type"] for d in deliveries} == {"EXTERNAL_ACCOUNT.STATUS_UPDATED"}
    with database.reading() as session:
        trail = session.execute(
            select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor)
            .where(StatusChange.external_account_id == account["id"])
            .order_by(StatusChange.seq)
        ).all()
    actor = f"token:{token.id}"
    assert [tuple(row) for row in trail] == [
        (None, "PENDING_OWNERSHIP_VERIFICATION", actor),
        ("PENDING_OWNERSHIP_VERIFICATION", "UNVERIFIED", actor),
        ("UNVERIFIED", "ACTIVE", actor),
    ]


def test_the_platform_side_proves_its_own_wallets(proving: TestClient) -> None:
    wallet = new_wallet("POLYGON_WALLET")
    account = create_wallet(proving, wallet, platform=True)
    assert account["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    # Each side reaches only its own accounts.
    assert_error(challenge(proving, account["id"], side="customers"), 404, "REFERENCE_NOT_FOUND")
    message = conform(challenge(proving, account["id"], side="platform"))["messageToSign"]
    assert_error(verify(proving, account["id"], wallet.sign(message), side="customers"), 404, "REFERENCE_NOT_FOUND")
    assert conform(verify(proving, account["id"], wallet.sign(message), side="platform"))["status"] == "ACTIVE"


def test_which_accounts_enter_the_flow(proving: TestClient) -> None:
    customer = customer_of(proving)

    def created(currency: str, info: dict[str, Any], **envelope: Any) -> dict[str, Any]:
        body = {"customerId": customer, "currency": currency, "accountInfo": info, **envelope}
        answer = proving.post("/customers/external-accounts", json=body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    self_custody = create_wallet(proving, new_wallet("BASE_WALLET"))
    assert self_custody["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    bank = {
        "accountType": "USD_ACCOUNT", "accountNumber": "123456789", "routingNumber": "011401533",
        "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Jane Doe"},
    }  # fmt: skip
    outside = [
        created("USDC", new_wallet("ETHEREUM_WALLET").info(), ownershipType="THIRD_PARTY"),
        created("USDC", new_wallet("ETHEREUM_WALLET").info()),
        created("USDC", new_wallet("BASE_WALLET").info(vaspName="Coinbase"), ownershipType="FIRST_PARTY"),
        created("USD", bank, ownershipType="FIRST_PARTY"),
    ]
    for account in outside:
        assert account["status"] == "ACTIVE", account
        assert_error(challenge(proving, account["id"]), 409, "CONFLICT")
        assert_error(verify(proving, account["id"], "0x" + "11" * 65), 409, "CONFLICT")
    # A verify before any challenge: nothing is outstanding.
    assert_error(verify(proving, self_custody["id"], "0x" + "11" * 65), 409, "CONFLICT")
    assert status_of(proving, self_custody["id"]) == "PENDING_OWNERSHIP_VERIFICATION"
    assert_error(challenge(proving, "ExternalAccount:nope"), 404, "REFERENCE_NOT_FOUND")


def test_the_flag_is_off_by_default_strict_and_per_mode(api: TestClient, database: Database) -> None:
    assert conform(api.get("/config"))["ownershipVerificationRequired"] is False
    assert create_wallet(api, new_wallet("SOLANA_WALLET"))["status"] == "ACTIVE"
    for wrong in ("yes", 1, "true", "false", 0):
        answer = api.patch("/config", json={"ownershipVerificationRequired": wrong})
        body = assert_error(answer, 400, "INVALID_INPUT")
        assert [error["field"] for error in body["details"]["errors"]] == ["ownershipVerificationRequired"]
    assert conform(api.patch("/config", json={"ownershipVerificationRequired": True}))["ownershipVerificationRequired"]
    assert create_wallet(api, new_wallet("SOLANA_WALLET"))["status"] == "PENDING_OWNERSHIP_VERIFICATION"
    production = make_token(database, "acme", Mode.PRODUCTION)
    answer = api.get("/config", headers=production.headers)
    assert answer.json()["ownershipVerificationRequired"] is False


def test_liveness_is_refused_in_production(api: TestClient, database: Database) -> None:
    production = make_token(database, "acme", Mode.PRODUCTION)
    api.headers.update(production.headers)
    api.patch("/config", json={"ownershipVerificationRequired": True})
    wallet = new_wallet("ETHEREUM_WALLET")
    account = create_wallet(api, wallet)
    body = assert_error(challenge(api, account["id"], "LIVENESS"), 400, "INVALID_INPUT")
    assert [error["field"] for error in body["details"]["errors"]] == ["method"]
    message = conform(challenge(api, account["id"]))["messageToSign"]
    assert conform(verify(api, account["id"], wallet.sign(message)))["status"] == "ACTIVE"


def _hex(length: int) -> str:
    return "0x" + "ab" * length


# Per family: (signature, words its error must contain). Wrong lengths, non-hex, non-base58, bad v, not DER.
MALFORMED: dict[str, list[tuple[str, str]]] = {
    "ETHEREUM_WALLET": [
        ("0xnothex" + "0" * 122, "hexadecimal"), (_hex(64), "65 bytes"), (_hex(66), "65 bytes"),
        ("0x" + "ab" * 64 + "05", "recovery byte"), ("0x" + "a" * 129, "odd"), ("0x" + " ab" * 65, "hexadecimal"),
        ("0x" + "ff" * 64 + "1b", "outside"), ("0x" + "00" * 64 + "1c", "outside"),
    ],
    "TRON_WALLET": [("zz" * 65, "hexadecimal"), (_hex(32), "65 bytes"), ("ff" * 64 + "1b", "outside")],
    "SOLANA_WALLET": [("0OIl" * 22, "base58"), ("3" * 40, "64 bytes"), ("0x" + "ab" * 64, "base58")],
    "SPARK_WALLET": [
        ("not hex at all", "hexadecimal"), ("31" * 70, "DER"), ("30" * 80, "DER"), ("3002" + "00" * 2, "DER"),
        ("ff" * 64, "outside"), ("00" * 64, "outside"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("account_type", sorted(MALFORMED))
def test_a_malformed_signature_is_refused_with_nothing_changed(
    proving: TestClient, database: Database, account_type: str
) -> None:
    wallet = new_wallet(account_type)
    account = create_wallet(proving, wallet)
    message = challenge(proving, account["id"]).json()["messageToSign"]
    for signature, named in MALFORMED[account_type]:
        assert named in signature_error(verify(proving, account["id"], signature)), signature
        assert status_of(proving, account["id"]) == "PENDING_OWNERSHIP_VERIFICATION"
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    # The challenge is still open: the wallet's real signature of it succeeds.
    assert conform(verify(proving, account["id"], wallet.sign(message)))["status"] == "ACTIVE"


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("verify", {}, "signature"),
    ("verify", {"signature": ""}, "signature"),
    ("verify", {"signature": 12345}, "signature"),
    ("verify", {"signature": ["0x00"]}, "signature"),
    ("verify", {"signature": "0x" + "a" * 2000}, "signature"),
    ("verify", {"signature": "0x00", "signatureScheme": "bip322"}, "signatureScheme"),
    ("verify", {"signature": "0x00", "nonce": "1"}, "nonce"),
    ("challenge", {}, "method"),
    ("challenge", {"method": "SMS_OTP"}, "method"),
    ("challenge", {"method": "wallet_signature"}, "method"),
    ("challenge", {"method": 1}, "method"),
    ("challenge", {"method": "LIVENESS", "wallet": "x"}, "wallet"),
]


def test_a_bad_body_is_refused_by_name_with_nothing_changed(proving: TestClient, database: Database) -> None:
    account = create_wallet(proving, new_wallet("ETHEREUM_WALLET"))
    message = challenge(proving, account["id"]).json()["messageToSign"]
    with database.reading() as session:
        before = session.execute(select(OwnershipChallenge.id, OwnershipChallenge.state)).all()
    for operation, body, field in BAD_BODIES:
        answer = proving.post(f"/customers/external-accounts/{account['id']}/{operation}", json=body)
        error = assert_error(answer, 400, "INVALID_INPUT")
        assert field in [item["field"] for item in error["details"]["errors"]], (operation, body)
    assert status_of(proving, account["id"]) == "PENDING_OWNERSHIP_VERIFICATION"
    with database.reading() as session:
        assert session.execute(select(OwnershipChallenge.id, OwnershipChallenge.state)).all() == before
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert challenge(proving, account["id"]).json()["messageToSign"] == message


def test_an_operator_cannot_deactivate_a_wallet_awaiting_its_proof(proving: TestClient, database: Database) -> None:
    # Deactivating and then reactivating would make it ACTIVE without any proof.
    account = create_wallet(proving, new_wallet("SOLANA_WALLET"))
    with pytest.raises(DecisionRefused), database.transaction() as session:
        decide(session, account["id"], Decision.DEACTIVATE, reason="suspicious", actor="operator:olivia")
    assert status_of(proving, account["id"]) == "PENDING_OWNERSHIP_VERIFICATION"
