"""The app under test in-process, its API prefix already in the client's base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database

if TYPE_CHECKING:
    # Only for the annotation: tests/conftest.py itself builds its client here.
    from tests.conftest import Token


def api_client(settings: Settings, database: Database, token: Token | None = None) -> TestClient:
    """A TestClient on a new app for these settings (use it as a context manager to run its lifespan)."""
    client = TestClient(create_app(settings, database), base_url=f"http://testserver{API_PREFIX}")
    if token is not None:
        client.headers.update(token.headers)
    return client
