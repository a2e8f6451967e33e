"""Railbook wired to a Plaid simulator on its own HTTP server, with an embedded worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from railbook.config import Settings
from railbook.db import Database
from railbook.providers.plaid.simulator import create_simulator
from tests.conftest import Token
from tests.support import loopback
from tests.support.clients import api_client
from tests.support.plaid_link import CLIENT_ID, SECRET
from tests.support.receiver import Receiver, running_receiver
from tests.support.servers import serving


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    """A Plaid simulator on its own uvicorn server (a real HTTP peer)."""
    with serving(create_simulator(CLIENT_ID, SECRET)) as url:
        yield url


@pytest.fixture
def plaid_settings(settings: Settings, simulator_url: str) -> Settings:
    """Settings for an app that calls the simulator and runs its jobs at once."""
    loopback.post(f"{simulator_url}/_control/reset", timeout=5)
    return settings.model_copy(
        update={"plaid_simulator_url": simulator_url, "embedded_worker": True, "job_poll_seconds": 0.05,
                "plaid_retry_base_seconds": 0.05}
    )  # fmt: skip


@pytest.fixture
def plaid_app(plaid_settings: Settings, database: Database, token: Token) -> Iterator[TestClient]:
    """The app, as the `acme` sandbox platform."""
    with api_client(plaid_settings, database, token) as client:
        yield client


@pytest.fixture
def receiver(plaid_app: TestClient, database: Database) -> Iterator[Receiver]:
    """A webhook receiver registered for the platform, its TEST delivery already taken."""
    with running_receiver() as running:
        assert plaid_app.patch("/config", json={"webhookEndpoint": running.url}).status_code == 200
        running.wait_for(1)
        running.deliveries.clear()
        yield running
