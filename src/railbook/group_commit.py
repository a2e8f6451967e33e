"""Group commit: the writes of threads that finish together share one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection

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
    transaction (one BEGIN, one COMMIT, one fsync on PostgreSQL) serves several creates or job outcomes.
    `begin` opens a write transaction (`Database.writing`). A write must not call `run` itself:
    the turn is not re-entrant, so it would wait for its own turn to end.
    """

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._begin = begin
        self._queue: list[_Queued[Any]] = []
        # Guards the queue and the turn. A caller whose write another turn committed returns as
        # soon as that turn ends, without waiting for a turn of its own.
        self._changed = threading.Condition()
        self._committing = False

    def run(self, write: Callable[[Connection], T]) -> T:
        """Run `write` in a write transaction and return what it returned, once that transaction has committed."""
        mine = _Queued(write)
        with self._changed:
            self._queue.append(mine)
            while self._committing and not mine.done:
                self._changed.wait()
            batch: list[_Queued[Any]] = []
            if not mine.done:
                self._committing = True
                batch, self._queue = self._queue, []
        if batch:
            try:
                self._commit(batch)
            finally:
                with self._changed:
                    for queued in batch:
                        if not queued.done:
                            # The turn was cut short (not by an Exception: those are handled in
                            # _commit); its writers must not wait, or report success, forever.
                            queued.error = RuntimeError("the write transaction was interrupted")
                            queued.done = True
                    self._committing = False
                    self._changed.notify_all()
        if mine.error is not None:
            raise mine.error
        return cast(T, mine.result)

    def _commit(self, batch: list[_Queued[Any]]) -> None:
        results: list[Any]
        try:
            with self._begin() as connection:
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
