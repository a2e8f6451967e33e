"""SQLite's WAL is copied into the database file by a thread of its own, soon after commits, not by the writer."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from railbook.db import Database
from railbook.wal_checkpoints import WalCheckpointer
from tests.conftest import Token
from tests.support.workers import wait_until

THREAD_NAME = "wal-checkpoints"


def in_file_alone(path: Path, table: str, row_id: str, tmp_path: Path) -> bool:
    """Whether the database file, read without its WAL, holds the row."""
    copy = tmp_path / f"copy-{threading.get_ident()}.db"
    copy.unlink(missing_ok=True)
    shutil.copyfile(path, copy)  # the file only: what the WAL holds and the file does not is not there
    try:
        with closing(sqlite3.connect(copy)) as connection:
            return connection.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
    except sqlite3.DatabaseError:  # copied in the middle of a checkpoint's writes: look again
        return False
    finally:
        copy.unlink(missing_ok=True)


def checkpoint_threads() -> set[threading.Thread]:
    """The live checkpoint threads of this process."""
    return {thread for thread in threading.enumerate() if thread.name == THREAD_NAME}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_committed_writes_reach_the_database_file_without_the_writers_own_checkpoint(
    api: TestClient, database: Database, token: Token, tmp_path: Path
) -> None:
    path = Path(str(make_url(database.url).database))
    body = {"customerType": "INDIVIDUAL", "fullName": "Ada Lovelace", "platformCustomerId": "wal-1"}
    response = api.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer_id = response.json()["id"]
    # A few WAL pages each, far below the 4,000 at which the writer would checkpoint by itself, and
    # the pool keeps its connections open: only the background checkpoint copies them. The token was
    # written by a Session's transaction, the customer by the API.
    for table, row_id in (("api_tokens", token.id), ("customers", customer_id)):
        wait_until(
            lambda table=table, row_id=row_id: in_file_alone(path, table, row_id, tmp_path),
            5.0,
            lambda row_id=row_id: f"{row_id} is still only in the WAL",
        )


def test_the_checkpoint_thread_waits_for_commits_stops_when_closed_and_returns_with_the_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plain.db"
    others = checkpoint_threads()
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies the WAL
        writer.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        checkpoints = WalCheckpointer(str(path), delay=0.01)
        assert checkpoint_threads() == others  # nothing written yet: no thread
        for note in ("first", "second"):
            writer.execute("INSERT INTO notes VALUES (?)", (note,))
            checkpoints.written()
            assert len(checkpoint_threads() - others) == 1
            wait_until(lambda note=note: in_file_alone(path, "notes", note, tmp_path), 5.0, lambda: "not copied")
            checkpoints.close()
            assert checkpoint_threads() == others


def test_a_file_gone_or_not_in_wal_mode_is_left_alone(tmp_path: Path) -> None:
    others = checkpoint_threads()
    gone = tmp_path / "gone.db"
    checkpoints = WalCheckpointer(str(gone), delay=0.01)
    checkpoints.written()
    wait_until(lambda: checkpoint_threads() == others, 5.0, lambda: "the thread did not stop")
    checkpoints.close()
    assert not gone.exists()  # opened read-write: never created by the checkpointer

    rollback = tmp_path / "rollback.db"
    with closing(sqlite3.connect(rollback, isolation_level=None)) as writer:
        writer.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        checkpoints = WalCheckpointer(str(rollback), delay=0.01)
        checkpoints.written()
        wait_until(lambda: checkpoint_threads() == others, 5.0, lambda: "the thread did not stop")
        checkpoints.written()  # given up: no new thread
        assert checkpoint_threads() == others
        checkpoints.close()
    assert not (tmp_path / "rollback.db-wal").exists()


def test_frames_a_reader_kept_back_are_copied_once_it_ends_without_another_commit(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    with (
        closing(sqlite3.connect(path, isolation_level=None)) as writer,
        closing(sqlite3.connect(path, isolation_level=None)) as reader,
    ):
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        checkpoints = WalCheckpointer(str(path), delay=0.01)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM notes").fetchall()  # a snapshot from before the note
            writer.execute("INSERT INTO notes VALUES ('kept')")
            checkpoints.written()
            time.sleep(0.3)  # checkpoints come and go meanwhile: none may copy past the reader's snapshot
            assert not in_file_alone(path, "notes", "kept", tmp_path)
            reader.execute("COMMIT")
            # No commit follows: only the thread's own second look copies the note.
            wait_until(lambda: in_file_alone(path, "notes", "kept", tmp_path), 5.0, lambda: "left in the WAL")
        finally:
            checkpoints.close()
