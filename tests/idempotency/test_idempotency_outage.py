"""A create retried with its Idempotency-Key across a database outage at its commit happens once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from railbook.config import Settings
from railbook.customers.models import Customer
from railbook.db import Database
from railbook.external_accounts.models import ExternalAccount
from railbook.idempotency.models import IdempotencyRecord
from tests.conftest import Token
from tests.idempotency.test_idempotency import ALICE, USD_ACCOUNT, count
from tests.support.clients import api_client
from tests.support.postgres_proxy import Moment, postgres_proxy

# No platformCustomerId: nothing but the key can then tell a customer created twice.
ANONYMOUS = {key: value for key, value in ALICE.items() if key != "platformCustomerId"}
CREATES = [
    pytest.param("/customers", ANONYMOUS, "INSERT INTO customers", Customer, id="customer"),
    pytest.param("/platform/external-accounts", USD_ACCOUNT, "INSERT INTO external_accounts", ExternalAccount,
                 id="external-account"),
]  # fmt: skip
OUTAGE_SECONDS = 1.0


@pytest.mark.parametrize("moment", ["after_reply", "before_reply"])
@pytest.mark.parametrize(("path", "body", "statement", "model"), CREATES)
def test_a_create_retried_across_an_outage_at_its_commit_is_created_once(
    settings: Settings,
    database: Database,
    token: Token,
    moment: Moment,
    path: str,
    body: dict[str, Any],
    statement: str,
    model: type,
) -> None:
    """The outage strikes once the create's transaction has committed: after or before the app hears so."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL only: the outage is cut into the database's network connection")
    key = f"outage-{moment}-{path}"
    with postgres_proxy(settings.effective_database_url) as (proxy, relayed_url):
        # Short provider timeouts make the key's lock short (1.5 s), so a key left running by the
        # first request would be taken over, and the create run again, within the test's retries.
        configured = settings.model_copy(
            update={"database_url": relayed_url, "brale_timeout_seconds": 0.5, "plaid_timeout_seconds": 0.5}
        )
        relayed = Database(configured.effective_database_url)
        try:
            with api_client(configured, relayed, token) as api:
                struck = proxy.outage_at_commit(statement, moment, seconds=OUTAGE_SECONDS)
                answers = [api.post(path, json=body, headers={"Idempotency-Key": key})]
                assert struck.is_set(), "the outage did not strike at the create's commit"
                after_return: list[int] = []  # statuses of the retries sent once the database was back
                while answers[-1].status_code != 201 and time.monotonic() < proxy.back_at + 10:
                    time.sleep(0.1)
                    sent_after_return = time.monotonic() >= proxy.back_at
                    answers.append(api.post(path, json=body, headers={"Idempotency-Key": key}))
                    if sent_after_return:
                        after_return.append(answers[-1].status_code)
        finally:
            relayed.dispose()
    statuses = [answer.status_code for answer in answers]
    assert statuses[-1] == 201, statuses
    assert set(statuses[:-1]) <= {503}, statuses  # no 409 "still being processed" once the database is back
    # Once the database is back the very next retry is answered: no stale pooled connection, no
    # key left running until its lock expires. Counted in requests, not seconds, so a busy machine
    # cannot fail it.
    assert after_return in ([], [201]), statuses
    assert count(database, model) == 1, statuses
    with database.reading() as session:
        states = session.scalars(select(IdempotencyRecord.state).where(IdempotencyRecord.key == key)).all()
    assert states == ["done"]
    if moment == "after_reply":
        assert statuses == [201]  # the commit that carried the work carried its answer
    else:
        assert answers[-1].headers.get("Idempotent-Replayed") == "true"
