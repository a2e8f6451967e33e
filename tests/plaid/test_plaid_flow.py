"""Plaid Link end to end over real HTTP: link token, public token, 202 PENDING, identity job, webhook."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from railbook import API_PREFIX
from railbook.db import Database
from railbook.plaid.models import PlaidItem
from tests.support import loopback
from tests.support.documents import seed
from tests.support.plaid_link import DECIDED, customer, link, public_token, wait_status
from tests.support.receiver import Receiver
from tests.support.spec import assert_error, assert_schema, conform


def test_link_flow_ends_active_with_the_holder_verified(
    plaid_app: TestClient, receiver: Receiver, simulator_url: str, database: Database
) -> None:
    customer_id = customer(plaid_app, "Alberta Bobbeth Charleson")
    linked = link(plaid_app, customer_id)
    assert linked["linkToken"].startswith("link-sandbox-")
    assert linked["callbackUrl"] == f"http://testserver{API_PREFIX}/plaid/callback/{linked['linkToken']}"
    callback = plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)}, headers={})
    assert callback.status_code == 202, callback.text
    pending = conform(callback)
    assert (pending["status"], pending["customerId"]) == ("PENDING", customer_id)
    info = pending["accountInfo"]
    assert (info["accountType"], info["accountNumber"], info["routingNumber"], info["bankAccountType"]) == (
        "USD_ACCOUNT", "1111222233330000", "011401533", "CHECKING")  # fmt: skip
    active = wait_status(plaid_app, pending["id"], *DECIDED)
    assert (active["status"], active["beneficiaryVerificationStatus"]) == ("ACTIVE", "MATCHED")
    assert active["beneficiaryVerifiedData"]["fullName"] == "Alberta Bobbeth Charleson"
    assert active["accountInfo"]["beneficiary"]["fullName"] == "Alberta Bobbeth Charleson"
    [delivery] = receiver.wait_for(1)
    assert delivery.json["type"] == "EXTERNAL_ACCOUNT.STATUS_UPDATED"
    assert delivery.json["data"]["status"] == "ACTIVE"
    assert_schema(delivery.json, "ExternalAccountStatusWebhook")
    # The access token is kept encrypted.
    with database.reading() as session:
        item = session.scalars(select(PlaidItem)).one()
    assert item.access_token.startswith("v1:") and "access-sandbox" not in item.access_token
    # A link token works once.
    again = plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)})
    assert_error(again, 409, "CONFLICT")


def test_a_bank_account_already_added_through_the_api_is_a_conflict_naming_it(
    plaid_app: TestClient, simulator_url: str, database: Database
) -> None:
    customer_id = customer(plaid_app, "Alberta Bobbeth Charleson")
    # The simulator's user_good checking account, added by hand first.
    added = plaid_app.post(
        "/customers/external-accounts",
        json={
            "customerId": customer_id, "currency": "USD",
            "accountInfo": {
                "accountType": "USD_ACCOUNT", "accountNumber": "1111222233330000", "routingNumber": "011401533",
                "beneficiary": {"beneficiaryType": "INDIVIDUAL", "fullName": "Alberta Bobbeth Charleson"},
            },
        },
    )  # fmt: skip
    assert added.status_code == 201, added.text
    linked = link(plaid_app, customer_id)
    again = plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)})
    assert assert_error(again, 409, "CONFLICT")["details"]["existingId"] == added.json()["id"]
    with database.reading() as session:
        [kept] = session.scalars(select(PlaidItem)).all()
    # No account holds the Item: it stays with the link token until it succeeds or expires.
    assert (kept.external_account_id, kept.link_token) == (None, linked["linkToken"])


def test_a_different_name_goes_to_review(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, "Zed Quux"))
    pending = conform(plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)}))
    reviewed = wait_status(plaid_app, pending["id"], *DECIDED)
    assert (reviewed["status"], reviewed["beneficiaryVerificationStatus"]) == ("UNDER_REVIEW", "NOT_MATCHED")


def test_callback_errors(plaid_app: TestClient, simulator_url: str) -> None:
    assert_error(plaid_app.post("/plaid/link-tokens", json={"customerId": "Customer:nope"}), 404, "USER_NOT_FOUND")
    response = plaid_app.post("/plaid/callback/link-sandbox-unknown", json={"publicToken": "public-sandbox-x"})
    assert_error(response, 404, "REFERENCE_NOT_FOUND")
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    response = plaid_app.post(
        linked["callbackUrl"], json={"publicToken": "public-sandbox-00000000-0000-0000-0000-000000000000"}
    )
    assert_error(response, 400, "INVALID_INPUT")
    # Plaid failing: a retryable 5xx, and the link token is still usable afterwards.
    loopback.post(f"{simulator_url}/_control/faults", json={"endpoint": "/item/public_token/exchange", "status": 500,
                                                         "times": 1}, timeout=5)  # fmt: skip
    token = public_token(simulator_url)
    failed = plaid_app.post(linked["callbackUrl"], json={"publicToken": token})
    assert failed.status_code == 503 and "retried" in failed.json()["message"]
    assert plaid_app.post(linked["callbackUrl"], json={"publicToken": token}).status_code == 202


def fault(simulator_url: str, **spec: Any) -> None:
    response = loopback.post(f"{simulator_url}/_control/faults", json=spec, timeout=5)
    assert response.status_code < 300, response.text


def test_rate_limited_identity_is_retried_until_it_completes(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    fault(simulator_url, endpoint="/identity/get", status=429, times=2)
    pending = conform(plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)}))
    assert pending["status"] == "PENDING"
    done = wait_status(plaid_app, pending["id"], *DECIDED)
    assert (done["status"], done["beneficiaryVerificationStatus"]) == ("ACTIVE", "MATCHED")


def test_login_required_ends_inactive_with_a_webhook(
    plaid_app: TestClient, receiver: Receiver, simulator_url: str
) -> None:
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    fault(simulator_url, endpoint="/identity/get", error_code="ITEM_LOGIN_REQUIRED", times=1)
    pending = conform(plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)}))
    assert wait_status(plaid_app, pending["id"], *DECIDED)["status"] == "INACTIVE"
    [delivery] = receiver.wait_for(1)
    assert delivery.json["data"]["status"] == "INACTIVE"


def test_deleting_a_linked_account_removes_the_plaid_item(
    plaid_app: TestClient, simulator_url: str, database: Database
) -> None:
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    pending = conform(plaid_app.post(linked["callbackUrl"], json={"publicToken": public_token(simulator_url)}))
    wait_status(plaid_app, pending["id"], *DECIDED)
    assert plaid_app.delete(f"/customers/external-accounts/{pending['id']}").status_code == 204
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with database.reading() as session:
            item = session.scalars(select(PlaidItem)).one()
        if item.removed_at is not None:
            break
        time.sleep(0.05)
    assert item.removed_at is not None


def test_an_expired_public_token_is_invalid_input(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    token = public_token(simulator_url)
    loopback.post(f"{simulator_url}/_control/clock", json={"advance_seconds": 31 * 60}, timeout=5)
    response = plaid_app.post(linked["callbackUrl"], json={"publicToken": token})
    assert assert_error(response, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "publicToken"


def test_the_documented_callback_example_works_verbatim(plaid_app: TestClient) -> None:
    text = seed("001_e6cd8b24ef1502d2.txt")
    path = re.search(r"--url https://\S+?/grid/2025-10-13(/plaid/callback/\{plaid_link_token\})", text)
    body = re.search(r"--data '\s*(\{.*?\})\s*'", text, re.S)
    assert path and body, "seed 001 lost its curl example"
    linked = link(plaid_app, customer(plaid_app, "Alberta Bobbeth Charleson"))
    # Only the path's placeholder needs a real value; the body's placeholders are simulator values.
    url = path.group(1).replace("{plaid_link_token}", linked["linkToken"])
    response = plaid_app.post(url, content=body.group(1), headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text
    pending = conform(response)
    assert (pending["accountInfo"]["accountNumber"], pending["status"]) == ("1111222233330000", "PENDING")
    assert wait_status(plaid_app, pending["id"], *DECIDED)["status"] == "ACTIVE"
