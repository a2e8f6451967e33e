"""Each API process serves requests on a thread pool sized for its database, or as configured."""

from __future__ import annotations

from anyio import to_thread
from fastapi.testclient import TestClient

from railbook.app import POSTGRES_REQUEST_THREADS, SQLITE_REQUEST_THREADS, create_app
from railbook.config import Settings
from railbook.db import Database


async def _limit() -> float:
    return to_thread.current_default_thread_limiter().total_tokens


def request_threads(client: TestClient) -> float:
    """The thread limit of the event loop the app serves on."""
    assert client.portal is not None
    return client.portal.call(_limit)


def test_the_pool_is_sized_for_the_database(settings: Settings, database: Database) -> None:
    with TestClient(create_app(settings, database)) as client:
        expected = SQLITE_REQUEST_THREADS if database.is_sqlite else POSTGRES_REQUEST_THREADS
        assert request_threads(client) == expected


def test_the_setting_wins(settings: Settings, database: Database) -> None:
    configured = settings.model_copy(update={"request_threads": 7})
    with TestClient(create_app(configured, database)) as client:
        assert request_threads(client) == 7
