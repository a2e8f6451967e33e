"""SQLite checkpoints off the writer's path: committed pages reach the database file from a thread of their own."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger("railbook.db")

# How long the writes after a commit may gather before one checkpoint copies them all: checkpoints
# come this long plus a copy apart under load, about as often as the writer's own did (every ~50 ms),
# so a power cut (synchronous=NORMAL syncs the WAL at checkpoints) risks no more recent commits than
# before; 50 ms measured the same creates/s but a p99 5 ms higher (docs/performance.md).
CHECKPOINT_DELAY_SECONDS = 0.02


class WalCheckpointer:
    """Runs passive WAL checkpoints on its own thread, `delay` seconds after the first commit since the last one.

    SQLite's writer checkpoints by itself when the WAL reaches `wal_autocheckpoint` frames, and until
    that checkpoint has copied every frame into the database file, no other write of the process can
    commit: under load that cost a seventh of the creates per second (docs/performance.md). A passive
    checkpoint here copies the frames while the writer goes on, so the writer's own checkpoint, when
    it comes, has only the last moment's frames left to copy, and then the WAL starts over.

    The thread checkpoints the database file at `path` (which must exist, in WAL mode) on a
    connection of its own, outside the engine's pool. `written` is called after every commit (cheap
    when a checkpoint is already due). Idle: no commits, no checkpoints, the thread waits.
    """

    def __init__(self, path: str, *, delay: float = CHECKPOINT_DELAY_SECONDS) -> None:
        # Resolved now, as the engine resolved it: a later change of directory must not move it.
        self._path = os.path.abspath(path)
        self._delay = delay
        self._changed = threading.Condition()
        self._due = False
        self._closing = False
        # Set when the file cannot be checkpointed (gone, or not in WAL mode): nothing more is tried.
        self._given_up = False
        self._thread: threading.Thread | None = None

    def written(self) -> None:
        """Note a commit: a checkpoint follows within `delay` seconds."""
        # Read without the lock: the thread clears the flag before it checkpoints, so a commit that
        # saw it set ended before that checkpoint began, and the checkpoint copies it.
        if self._due or self._given_up:
            return
        with self._changed:
            self._due = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
                self._thread.start()
            self._changed.notify()

    def close(self) -> None:
        """Stop the thread (a later commit starts another); the last connection to close checkpoints the rest."""
        with self._changed:
            thread = self._thread
            if thread is None:
                return
            self._closing = True
            self._changed.notify()
        thread.join()
        with self._changed:
            # A commit noted while the thread was stopping is copied by the next thread or the last close.
            self._thread, self._closing, self._due = None, False, False

    def _run(self) -> None:
        try:
            # Read-write, never create: a file that is gone is not made again, empty, by a checkpoint.
            # Autocommit: inside a transaction SQLite cannot checkpoint.
            connection = sqlite3.connect(f"file:{quote(self._path)}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error:
            self._give_up("cannot open the database file")
            return
        try:
            if connection.execute("PRAGMA journal_mode").fetchall() != [("wal",)]:
                self._give_up("the database is not in WAL mode")
                return
            while self._next_due():
                try:
                    # Every row fetched: a statement left unfinished would hold a read snapshot open,
                    # and the writer could never start the WAL over.
                    [(busy, frames, copied)] = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # the next commit tries again; the writer's own checkpoint still runs
                    log.warning("background WAL checkpoint failed", exc_info=True)
                    continue
                if busy or copied < frames:
                    # Another checkpoint was running (the writer's), or a reader's snapshot kept frames
                    # back: look again, so idle commits are not left out of the file (nor out of a
                    # power cut's reach) until the next write.
                    self._again()
        finally:
            connection.close()

    def _next_due(self) -> bool:
        """Wait for a commit to checkpoint after (True), or for close (False)."""
        with self._changed:
            while not (self._due or self._closing):
                self._changed.wait()
            # Let the commits of the next moments gather: one checkpoint copies them all.
            if self._changed.wait_for(lambda: self._closing, timeout=self._delay):
                return False
            self._due = False
        return True

    def _again(self) -> None:
        with self._changed:
            self._due = True

    def _give_up(self, reason: str) -> None:
        log.warning("background WAL checkpoints stopped: %s (%s)", reason, self._path)
        with self._changed:
            self._given_up = True
