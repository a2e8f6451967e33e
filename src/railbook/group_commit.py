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
    # In a turn's batch: its caller waits for that turn instead of taking one of its own.
    taken: bool = False
    result: T | None = None
    error: BaseException | None = None
    # Set for a caller on an event loop (`run_async`): resolved on that loop once the turn ends.
    future: asyncio.Future[T] | None = None


class GroupCommit:
    """Runs write functions of many callers in shared write transactions; each caller waits for its own.

    A caller queues its write and waits for a commit turn. Whoever gets a turn commits every write
    queued by then, its own and those of callers that finished meanwhile, so under load one
    transaction (one BEGIN, one COMMIT, one fsync on PostgreSQL) serves several creates or job
    outcomes. `turns` transactions may run at once (one on SQLite), each on its own connection.
    Threads call `run` and may take a turn themselves; the event loop calls `run_async`, whose
    writes `committers` threads take turns for (at most `turns`). `begin` opens a write transaction
    (`Database.writing`).

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

    def __init__(
        self, begin: Callable[[], AbstractContextManager[Connection]], *, turns: int = 1, committers: int | None = None
    ) -> None:
        self._begin = begin
        # How many write transactions may run at once: one on SQLite (one writer at a time anyway);
        # several on PostgreSQL, where a worker thread's turn mostly waits on round trips and another
        # connection's transaction can use the time (docs/performance.md).
        self._turns = turns
        # Threads committing the event loop's writes (all of `turns` when not given). Requests arrive
        # together: one committer gathers them into larger groups, cheaper per write than several
        # smaller ones committed side by side (docs/performance.md).
        self._committer_count = min(turns, committers or turns)
        self._queue: list[_Queued[Any]] = []
        lock = threading.Lock()
        # Guards the queue and the turns. A caller whose write another turn committed returns as
        # soon as that turn ends, without waiting for a turn of its own.
        self._changed = threading.Condition(lock)
        # Wakes a committer thread: writes of the event loop are queued and a turn is free.
        self._pending = threading.Condition(lock)
        self._active = 0
        self._committers: list[threading.Thread] = []
        self._closed = False

    def run(self, write: Callable[[Connection], T]) -> T:
        """Run `write` in a write transaction and return what it returned, once that transaction has committed."""
        mine = _Queued(write)
        with self._changed:
            self._queue.append(mine)
            while not mine.done and (mine.taken or self._active >= self._turns):
                self._changed.wait()
            batch: list[_Queued[Any]] = []
            if not mine.done:
                batch = self._start_turn()
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
            while len(self._committers) < self._committer_count:
                committer = threading.Thread(target=self._commit_queued, name="group-commit", daemon=True)
                self._committers.append(committer)
                committer.start()
            self._pending.notify()
        return await future

    def close(self) -> None:
        """Stop the committer threads once the writes queued by now are committed; `run_async` starts others."""
        with self._changed:
            committers = list(self._committers)
            if not committers:
                return
            self._closed = True
            self._pending.notify_all()
        for committer in committers:
            committer.join()

    def _start_turn(self) -> list[_Queued[Any]]:
        """Take every queued write for a new turn (the lock held, a turn free)."""
        self._active += 1
        batch, self._queue = self._queue, []
        for queued in batch:
            queued.taken = True
        return batch

    def _commit_queued(self) -> None:
        while True:
            with self._changed:
                while self._active >= self._turns or not self._queue:
                    if self._closed and not self._queue:
                        # Under the lock: once the last one is gone, a `run_async` starts new committers.
                        self._committers.remove(threading.current_thread())
                        if not self._committers:
                            self._closed = False
                        return
                    self._pending.wait()
                batch = self._start_turn()
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
                self._active -= 1
                self._changed.notify_all()
                if self._closed:
                    self._pending.notify_all()
                elif self._queue:
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
