"""The Plaid callback trusts only what Grid's documents grant: the platform's credentials, its own Link session."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from railbook.db import Database
from railbook.jobs.models import Job, JobStatus
from railbook.kit.clock import utcnow
from railbook.plaid.models import LinkSession, PlaidItem
from railbook.plaid.tasks import SWEEP_KIND
from railbook.principal import Mode
from tests.conftest import make_token
from tests.support import loopback
from tests.support.plaid_link import customer, link, link_session_public_token, public_token, wait_status
from tests.support.spec import assert_error, conform
from tests.support.workers import wait_until

ALBERTA = "Alberta Bobbeth Charleson"


def test_the_callback_needs_the_platforms_credentials(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, ALBERTA))
    token, _ = link_session_public_token(simulator_url, linked["linkToken"])
    body = {"publicToken": token}
    anonymous = plaid_app.post(linked["callbackUrl"], json=body, headers={"Authorization": ""})
    assert_error(anonymous, 401, "UNAUTHORIZED")
    bogus = {"Authorization": "Basic " + base64.b64encode(b"bogus:bogus").decode()}
    assert_error(plaid_app.post(linked["callbackUrl"], json=body, headers=bogus), 401, "UNAUTHORIZED")
    # Nothing was spent: the platform's own call still works.
    assert plaid_app.post(linked["callbackUrl"], json=body).status_code == 202


def test_another_platform_or_mode_sees_an_unknown_link_token(
    plaid_app: TestClient, simulator_url: str, database: Database
) -> None:
    linked = link(plaid_app, customer(plaid_app, ALBERTA))
    token, _ = link_session_public_token(simulator_url, linked["linkToken"])
    for intruder in (make_token(database, "globex", Mode.SANDBOX), make_token(database, "acme", Mode.PRODUCTION)):
        response = plaid_app.post(linked["callbackUrl"], json={"publicToken": token}, headers=intruder.headers)
        assert_error(response, 404, "REFERENCE_NOT_FOUND")
    assert plaid_app.post(linked["callbackUrl"], json={"publicToken": token}).status_code == 202


def test_a_public_token_of_another_link_tokens_session_is_refused_and_not_spent(
    plaid_app: TestClient, simulator_url: str
) -> None:
    alberta, zed = customer(plaid_app, ALBERTA), customer(plaid_app, "Zed Quux")
    first, second = link(plaid_app, alberta), link(plaid_app, zed)
    token, _ = link_session_public_token(simulator_url, first["linkToken"])
    stolen = plaid_app.post(second["callbackUrl"], json={"publicToken": token})
    error = assert_error(stolen, 400, "INVALID_INPUT")
    assert [entry["field"] for entry in error["details"]["errors"]] == ["publicToken"]
    # The token was checked before it was exchanged, so its own link token can still use it.
    own = conform(plaid_app.post(first["callbackUrl"], json={"publicToken": token}))
    assert own["customerId"] == alberta


def test_a_public_token_made_without_link_is_sandbox_only(
    plaid_app: TestClient, simulator_url: str, database: Database
) -> None:
    sandbox = link(plaid_app, customer(plaid_app, ALBERTA))
    assert plaid_app.post(sandbox["callbackUrl"], json={"publicToken": public_token(simulator_url)}).status_code == 202
    production = make_token(database, "acme", Mode.PRODUCTION)
    plaid_app.headers.update(production.headers)
    live = link(plaid_app, customer(plaid_app, ALBERTA))
    refused = plaid_app.post(live["callbackUrl"], json={"publicToken": public_token(simulator_url)})
    assert assert_error(refused, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "publicToken"
    token, _ = link_session_public_token(simulator_url, live["linkToken"])
    assert plaid_app.post(live["callbackUrl"], json={"publicToken": token}).status_code == 202


def test_a_wrong_account_id_does_not_burn_the_link_session(plaid_app: TestClient, simulator_url: str) -> None:
    linked = link(plaid_app, customer(plaid_app, ALBERTA))
    token, account_id = link_session_public_token(simulator_url, linked["linkToken"])
    wrong = plaid_app.post(linked["callbackUrl"], json={"publicToken": token, "accountId": "bogus"})
    assert assert_error(wrong, 400, "INVALID_INPUT")["details"]["errors"][0]["field"] == "accountId"
    right = plaid_app.post(linked["callbackUrl"], json={"publicToken": token, "accountId": account_id})
    assert right.status_code == 202, right.text
    assert wait_status(plaid_app, right.json()["id"], "ACTIVE", "UNDER_REVIEW")["status"] == "ACTIVE"


def test_a_used_link_token_and_an_account_linked_twice_name_the_existing_account(
    plaid_app: TestClient, simulator_url: str
) -> None:
    alberta = customer(plaid_app, ALBERTA)
    linked = link(plaid_app, alberta)
    token, _ = link_session_public_token(simulator_url, linked["linkToken"])
    created = conform(plaid_app.post(linked["callbackUrl"], json={"publicToken": token}))
    again = plaid_app.post(linked["callbackUrl"], json={"publicToken": token})
    assert assert_error(again, 409, "CONFLICT")["details"]["existingId"] == created["id"]
    second = link(plaid_app, alberta)
    token, _ = link_session_public_token(simulator_url, second["linkToken"])
    twice = plaid_app.post(second["callbackUrl"], json={"publicToken": token})
    assert assert_error(twice, 409, "CONFLICT")["details"]["existingId"] == created["id"]


def _items(database: Database) -> list[PlaidItem]:
    with database.reading() as session:
        return list(session.scalars(select(PlaidItem).order_by(PlaidItem.created_at)))


def _wait_removed(database: Database, item_id: str) -> None:
    def removed() -> bool:
        return next(item for item in _items(database) if item.id == item_id).removed_at is not None

    wait_until(removed, 15, lambda: f"{item_id} was not removed at Plaid")


def test_abandoned_items_are_removed_at_plaid(plaid_app: TestClient, simulator_url: str, database: Database) -> None:
    linked = link(plaid_app, customer(plaid_app, ALBERTA))
    first, _ = link_session_public_token(simulator_url, linked["linkToken"])
    plaid_app.post(linked["callbackUrl"], json={"publicToken": first, "accountId": "bogus"})
    # A second Link session replaces the first Item, which is removed at once.
    second, _ = link_session_public_token(simulator_url, linked["linkToken"])
    plaid_app.post(linked["callbackUrl"], json={"publicToken": second, "accountId": "bogus"})
    replaced, kept = _items(database)
    _wait_removed(database, replaced.id)
    assert kept.removed_at is None
    # The link token expires with its Item unused; the periodic sweep's next run (brought forward) removes it.
    with database.transaction() as session:
        session.execute(update(LinkSession).values(expires_at=utcnow()))
        session.execute(
            update(Job).where(Job.kind == SWEEP_KIND, Job.status == JobStatus.QUEUED).values(run_at=utcnow())
        )
    database.on_jobs_committed[-1]()
    _wait_removed(database, kept.id)
    assert loopback.get(f"{simulator_url}/_control/state", timeout=5).json()["items"] == 0
