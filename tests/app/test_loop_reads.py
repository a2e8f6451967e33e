"""Reads on PostgreSQL run on the serving event loop's async connections; elsewhere, in the thread pool."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

from railbook.app import create_app
from railbook.config import Settings
from railbook.db import Database

MARKER = "SELECT 'railbook-loop-read-marker'"


def _where_it_ran(connection: Connection) -> int:
    connection.execute(text(MARKER)).scalar_one()
    return threading.get_ident()


async def _read_from_the_loop(database: Database) -> tuple[int, int]:
    """(the loop's thread, the thread the read ran on)."""
    return threading.get_ident(), await database.read(_where_it_ran)


def _backends_that_ran_the_marker(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # This run's database only: parallel test processes each have their own.
            query = text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE query = :marker AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            return int(connection.execute(query, {"marker": MARKER}).scalar_one())
    finally:
        engine.dispose()


def test_a_served_loop_reads_without_a_thread_on_postgres(settings: Settings, database: Database) -> None:
    with TestClient(create_app(settings, database)) as client:
        assert client.portal is not None
        loop_thread, read_thread = client.portal.call(_read_from_the_loop, database)
        if database.is_sqlite:
            assert read_thread != loop_thread  # a list-sized read on SQLite still leaves the loop
            return
        assert read_thread == loop_thread
        assert _backends_that_ran_the_marker(database.url) >= 1
    # The lifespan's end closes the loop's connections.
    assert _backends_that_ran_the_marker(database.url) == 0


def test_a_loop_no_app_serves_reads_in_the_thread_pool(database: Database) -> None:
    loop_thread, read_thread = asyncio.run(_read_from_the_loop(database))
    assert read_thread != loop_thread


def test_reads_on_a_served_loop_see_committed_writes_at_once(settings: Settings, database: Database) -> None:
    # Autocommit reads: no transaction kept open across requests, so nothing stale.
    if database.is_sqlite:
        pytest.skip("PostgreSQL only")
    with database.writing() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS loop_read_probe (n integer)"))
        connection.execute(text("DELETE FROM loop_read_probe"))

    async def count() -> int:
        return await database.read(lambda c: int(c.execute(text("SELECT count(*) FROM loop_read_probe")).scalar_one()))

    try:
        with TestClient(create_app(settings, database)) as client:
            assert client.portal is not None
            assert client.portal.call(count) == 0
            with database.writing() as connection:
                connection.execute(text("INSERT INTO loop_read_probe VALUES (1)"))
            assert client.portal.call(count) == 1
    finally:
        with database.writing() as connection:
            connection.execute(text("DROP TABLE loop_read_probe"))
