"""SQLite checkpoints off the writer's path: committed pages reach the database file from a thread of their own."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

log = logging.getLogger("railbook.db")

# How long the writes after a commit may gather before one checkpoint copies them all. Shorter than
# the writer's own checkpoints came under load (every ~50 ms), so a power cut (synchronous=NORMAL
# syncs the WAL only at checkpoints) risks no more recent commits than before; 50 ms measured the
# same creates/s but a p99 5 ms higher (docs/performance.md).
CHECKPOINT_DELAY_SECONDS = 0.02


class WalCheckpointer:
    """Runs passive WAL checkpoints on its own thread, shortly after each burst of commits.

    SQLite's writer checkpoints by itself when the WAL reaches `wal_autocheckpoint` frames, and until
    that checkpoint has copied every frame into the database file, no other write of the process can
    commit: under load that cost a tenth of the creates per second (docs/performance.md). A passive
    checkpoint here copies the frames while the writer goes on, so the writer's own checkpoint, when
    it comes, has only the last moment's frames left to copy, and then the WAL starts over.

    The thread checkpoints the database file at `path` on a connection of its own, outside the
    engine's pool. `written` is called after every commit (cheap when a checkpoint is already due).
    Idle: no commits, no checkpoints, the thread waits.
    """

    def __init__(self, path: str, *, delay: float = CHECKPOINT_DELAY_SECONDS) -> None:
        self._path = path
        self._delay = delay
        self._changed = threading.Condition()
        self._due = False
        self._closing = False
        self._thread: threading.Thread | None = None

    def written(self) -> None:
        """Note a commit: a checkpoint follows within `delay` seconds."""
        # Read without the lock: the thread clears the flag before it checkpoints, so a commit that
        # saw it set ended before that checkpoint began, and the checkpoint copies it.
        if self._due:
            return
        with self._changed:
            self._due = True
            if self._thread is None:
                self._closing = False
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
            self._thread = None

    def _run(self) -> None:
        # Autocommit: inside a transaction SQLite cannot checkpoint.
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while self._next_due():
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # the next commit tries again; the writer's own checkpoint still runs
                    log.warning("background WAL checkpoint failed", exc_info=True)
        finally:
            connection.close()

    def _next_due(self) -> bool:
        """Wait for a commit to checkpoint after (True), or for close (False)."""
        with self._changed:
            while not (self._due or self._closing):
                self._changed.wait()
            if self._closing:
                return False
        # Let the commits of the next moments gather: one checkpoint copies them all.
        time.sleep(self._delay)
        with self._changed:
            self._due = False
        return True
