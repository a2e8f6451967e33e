"""SQLite's WAL is copied into the database file by a thread of its own, soon after commits, not by the writer."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from railbook.db import Database
from railbook.wal_checkpoints import WalCheckpointer
from tests.support.workers import wait_until


def database_file(database: Database) -> Path:
    """The SQLite database's file (the test is skipped on PostgreSQL)."""
    if not database.is_sqlite:
        pytest.skip("a SQLite file and its WAL")
    return Path(str(make_url(database.url).database))


def in_file_alone(path: Path, table: str, row_id: str, tmp_path: Path) -> bool:
    """Whether the database file, read without its WAL, holds the row."""
    copy = tmp_path / f"copy-{threading.get_ident()}.db"
    copy.unlink(missing_ok=True)
    shutil.copyfile(path, copy)  # the file only: what the WAL holds and the file does not is not there
    try:
        with sqlite3.connect(copy) as connection:
            return connection.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
    except sqlite3.DatabaseError:  # copied in the middle of a checkpoint's writes: look again
        return False
    finally:
        copy.unlink(missing_ok=True)


def threads_named(name: str) -> list[threading.Thread]:
    """The live threads of this process with that name."""
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_a_committed_create_reaches_the_database_file_without_the_writers_own_checkpoint(
    api: TestClient, database: Database, tmp_path: Path
) -> None:
    path = database_file(database)
    body = {"customerType": "INDIVIDUAL", "fullName": "Ada Lovelace", "platformCustomerId": "wal-1"}
    response = api.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer_id = response.json()["id"]
    # One create is a few WAL pages, far below the 4,000 at which the writer would checkpoint by
    # itself, and the pool keeps its connections open: only the background checkpoint copies it.
    wait_until(
        lambda: in_file_alone(path, "customers", customer_id, tmp_path),
        5.0,
        lambda: f"{customer_id} is still only in the WAL",
    )


def test_the_checkpoint_thread_waits_for_commits_stops_with_the_database_and_returns_with_the_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plain.db"
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies the WAL
        writer.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        checkpoints = WalCheckpointer(str(path), delay=0.01)
        assert threads_named("wal-checkpoints") == []  # nothing written yet: no thread
        for note in ("first", "second"):
            writer.execute("INSERT INTO notes VALUES (?)", (note,))
            checkpoints.written()
            assert len(threads_named("wal-checkpoints")) == 1
            wait_until(lambda note=note: in_file_alone(path, "notes", note, tmp_path), 5.0, lambda: "not copied")
            checkpoints.close()
            assert threads_named("wal-checkpoints") == []
