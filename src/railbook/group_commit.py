"""Group commit: the writes of threads (and of the event loop) that finish together share one transaction."""

from __future__ import annotations

import asyncio
import contextlib
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
    # Set for a caller on an event loop (`run_async`): resolved on that loop once the turn ends.
    future: asyncio.Future[T] | None = None


class GroupCommit:
    """Runs write functions of many callers in shared write transactions; each caller waits for its own.

    A caller queues its write and waits for the commit turn. Whoever gets the turn commits every
    write queued by then, its own and those of callers that finished meanwhile, so under load one
    transaction (one BEGIN, one COMMIT, one fsync on PostgreSQL) serves several creates or job outcomes.
    Threads call `run` and may take the turn themselves; the event loop calls `run_async`, whose
    writes a committer thread takes turns for. `begin` opens a write transaction (`Database.writing`).

    What a write function must honour:

    - It may run twice. When any write of a group raises, the group's transaction is rolled back and
      every write of it runs again, alone, in a transaction of its own; so the first run's effects may
      be discarded and the function called again. It must not have effects outside the transaction
      (no HTTP call, no in-memory state the second run would double), and must compute from what it
      reads on the connection, not from what an earlier run saw.
    - It may touch only the connection it is given: no other connection, Session or transaction of
      its own (on SQLite another writer would wait for this very transaction, forever).
    - It must not call `run` itself: the turn is not re-entrant, so it would wait for its own turn to end.

    Jobs and webhooks may be queued from a write (`enqueue()` and `emit()` take the connection), and
    this process's worker is woken once the transaction commits.
    """

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._begin = begin
        self._queue: list[_Queued[Any]] = []
        lock = threading.Lock()
        # Guards the queue and the turn. A caller whose write another turn committed returns as
        # soon as that turn ends, without waiting for a turn of its own.
        self._changed = threading.Condition(lock)
        # Wakes the committer thread: writes of the event loop are queued and no turn is running.
        self._pending = threading.Condition(lock)
        self._committing = False
        self._committer: threading.Thread | None = None
        self._closed = False

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
            self._take_turn(batch)
        if mine.error is not None:
            raise mine.error
        return cast(T, mine.result)

    async def run_async(self, write: Callable[[Connection], T]) -> T:
        """`run` for the event loop: no thread waits on the caller's behalf, the loop serves others meanwhile."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        mine = _Queued(write, future=future)
        with self._changed:
            self._queue.append(mine)
            if self._committer is None:
                self._committer = threading.Thread(target=self._commit_queued, name="group-commit", daemon=True)
                self._committer.start()
            self._pending.notify()
        return await future

    def close(self) -> None:
        """Stop the committer thread once the writes queued by now are committed; `run_async` starts another."""
        with self._changed:
            committer = self._committer
            if committer is None:
                return
            self._closed = True
            self._pending.notify()
        committer.join()

    def _commit_queued(self) -> None:
        while True:
            with self._changed:
                while self._committing or not self._queue:
                    if self._closed and not self._committing:
                        # Under the lock: a `run_async` from now on starts a new committer.
                        self._committer, self._closed = None, False
                        return
                    self._pending.wait()
                self._committing = True
                batch, self._queue = self._queue, []
            # A write that raised a BaseException ends the turn (its callers are told: RuntimeError);
            # the writes queued after it still need this thread.
            with contextlib.suppress(BaseException):
                self._take_turn(batch)

    def _take_turn(self, batch: list[_Queued[Any]]) -> None:
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
                if self._queue or self._closed:
                    self._pending.notify()
            _settle_futures(batch)

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


def _settle_futures(batch: list[_Queued[Any]]) -> None:
    """Hand the outcomes of event-loop callers to their loops: one wake-up per loop, not per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Queued[Any]]] = {}
    for queued in batch:
        if queued.future is not None:
            by_loop.setdefault(queued.future.get_loop(), []).append(queued)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: list[_Queued[Any]]) -> None:
    for queued in settled:
        future = queued.future
        if future is None or future.done():
            continue  # the caller was cancelled (its client went away); the write stands
        if queued.error is not None:
            future.set_exception(queued.error)
        else:
            future.set_result(queued.result)
