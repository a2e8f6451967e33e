"""Group commit: the writes of threads that finish together share one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection

from railbook.db import Database

T = TypeVar("T")


@dataclass(eq=False)
class _Queued(Generic[T]):
    write: Callable[[Connection], T]
    done: bool = False
    result: T | None = None
    error: BaseException | None = None


class GroupCommit:
    """Runs write functions of many threads in shared write transactions; each caller waits for its own.

    A caller queues its write and waits for the commit turn. Whoever gets the turn commits every
    write queued by then, its own and those of threads that finished meanwhile, so under load one
    transaction (one BEGIN, one COMMIT, one fsync on PostgreSQL) serves several job outcomes.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._queue: list[_Queued[Any]] = []
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()

    def run(self, write: Callable[[Connection], T]) -> T:
        """Run `write` in a write transaction and return what it returned, once that transaction has committed."""
        mine = _Queued(write)
        with self._queue_lock:
            self._queue.append(mine)
        with self._turn:
            # Done already when the previous turn took it with its own batch.
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if mine.error is not None:
            raise mine.error
        return cast(T, mine.result)

    def _commit(self, batch: list[_Queued[Any]]) -> None:
        results: list[Any]
        try:
            with self._database.writing() as connection:
                results = [queued.write(connection) for queued in batch]
        except Exception as exc:
            if len(batch) > 1:
                # One failing write must not take the others down with it: each again, alone.
                for queued in batch:
                    self._commit([queued])
                return
            batch[0].error = exc
            results = [None]
        for queued, result in zip(batch, results, strict=True):
            queued.result = result
            queued.done = True
