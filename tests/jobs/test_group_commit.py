"""Group commit: writes that finish together share a transaction, and one bad write spoils none of the others."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, select

from railbook.db import Database
from railbook.group_commit import GroupCommit
from railbook.jobs.models import Job
from railbook.jobs.queue import enqueue


def queue_note(label: str) -> Any:
    """A write that queues a job called `label` and returns the transaction it ran in."""

    def write(connection: Connection) -> Any:
        enqueue(connection, "note", {"label": label})
        return connection.get_transaction()

    return write


def notes(database: Database) -> list[str]:
    with database.reading() as session:
        return sorted(job.payload["label"] for job in session.scalars(select(Job).where(Job.kind == "note")))


class Held:
    """A write that holds its commit turn from the moment it starts until released, then writes `then`."""

    def __init__(self, then: Any = None) -> None:
        self.started, self.release, self.then = threading.Event(), threading.Event(), then

    def __call__(self, connection: Connection) -> None:
        self.started.set()
        assert self.release.wait(timeout=10)
        if self.then is not None:
            self.then(connection)


def run_behind_a_held_turn(group: GroupCommit, writes: dict[str, Any]) -> dict[str, Any]:
    """Hold the commit turn with one write while `writes` queue up from their own threads; then let go."""
    hold = Held()
    holding, release = hold.started, hold.release
    outcomes: dict[str, Any] = {}

    def call(name: str, write: Any) -> None:
        try:
            outcomes[name] = group.run(write)
        except BaseException as exc:  # the outcome under test, whatever it is
            outcomes[name] = exc

    holder = threading.Thread(target=call, args=("holder", hold))
    holder.start()
    assert holding.wait(timeout=10)
    threads = [threading.Thread(target=call, args=(name, write)) for name, write in writes.items()]
    for thread in threads:
        thread.start()
    # The callers are queued once they wait for the turn; give their threads time to get there.
    deadline = time.monotonic() + 10
    while len(group._queue) < len(writes) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in [holder, *threads]:
        thread.join(timeout=20)
    return outcomes


def test_writes_queued_behind_a_commit_share_the_next_transaction(database: Database) -> None:
    group = GroupCommit(database.writing)
    outcomes = run_behind_a_held_turn(group, {label: queue_note(label) for label in ("a", "b", "c")})
    transactions = [outcomes[label] for label in ("a", "b", "c")]
    assert all(transaction is transactions[0] for transaction in transactions)
    assert notes(database) == ["a", "b", "c"]


def test_one_failing_write_does_not_undo_the_others(database: Database) -> None:
    def broken(connection: Connection) -> None:
        queue_note("never")(connection)
        raise ValueError("this write fails")

    group = GroupCommit(database.writing)
    outcomes = run_behind_a_held_turn(group, {"a": queue_note("a"), "broken": broken, "c": queue_note("c")})
    assert isinstance(outcomes["broken"], ValueError)
    assert not isinstance(outcomes["a"], Exception) and not isinstance(outcomes["c"], Exception)
    assert notes(database) == ["a", "c"]


def test_a_lone_write_commits_and_returns_its_result(database: Database) -> None:
    group = GroupCommit(database.writing)
    assert group.run(queue_note("alone")) is not None
    assert notes(database) == ["alone"]


class _Interrupted(BaseException):
    """Not an Exception: what a write may raise that the group's per-write rerun does not catch."""


def test_a_turn_cut_short_fails_its_writers_instead_of_hanging(database: Database) -> None:
    def interrupted(connection: Connection) -> None:
        raise _Interrupted

    group = GroupCommit(database.writing)
    outcomes = run_behind_a_held_turn(group, {"a": queue_note("a"), "cut": interrupted, "c": queue_note("c")})
    assert set(outcomes) == {"holder", "a", "cut", "c"}  # every caller came back
    # Whoever ran the turn sees the interruption itself; the others learn that their write failed.
    assert sum(isinstance(outcome, _Interrupted) for outcome in outcomes.values()) == 1
    assert all(isinstance(outcomes[name], (_Interrupted, RuntimeError)) for name in ("a", "cut", "c"))
    assert notes(database) == []


def test_event_loop_writes_share_a_transaction_with_queued_thread_writes(database: Database) -> None:
    group = GroupCommit(database.writing)
    hold = Held()
    holder = threading.Thread(target=group.run, args=(hold,))
    holder.start()
    assert hold.started.wait(timeout=10)

    async def from_the_loop() -> list[Any]:
        pending = [asyncio.ensure_future(group.run_async(queue_note(label))) for label in ("x", "y")]
        thread = threading.Thread(target=lambda: outcomes.append(group.run(queue_note("t"))))
        thread.start()
        deadline = time.monotonic() + 10
        while len(group._queue) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        hold.release.set()
        results = await asyncio.gather(*pending)
        await asyncio.to_thread(thread.join, 10)
        return results

    outcomes: list[Any] = []
    loop_results = asyncio.run(from_the_loop())
    holder.join(timeout=10)
    assert loop_results[0] is loop_results[1] is outcomes[0]  # one transaction for all three
    assert notes(database) == ["t", "x", "y"]
    group.close()


def test_an_event_loop_write_that_fails_raises_in_its_caller_alone(database: Database) -> None:
    group = GroupCommit(database.writing)

    def broken(connection: Connection) -> None:
        raise ValueError("this write fails")

    async def both() -> Any:
        return await asyncio.gather(
            group.run_async(queue_note("kept")), group.run_async(broken), return_exceptions=True
        )

    kept, failed = asyncio.run(both())
    assert isinstance(failed, ValueError) and not isinstance(kept, BaseException)
    assert notes(database) == ["kept"]
    group.close()


def test_a_caller_that_goes_away_leaves_its_write_committed(database: Database) -> None:
    group = GroupCommit(database.writing)
    slow = Held(then=queue_note("slow"))

    async def cancel_while_committing() -> None:
        task = asyncio.ensure_future(group.run_async(slow))
        await asyncio.to_thread(slow.started.wait, 10)
        task.cancel()
        slow.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The loop goes on; the next write is answered as usual.
        assert await group.run_async(queue_note("next")) is not None

    asyncio.run(cancel_while_committing())
    assert notes(database) == ["next", "slow"]
    group.close()


def test_close_stops_the_committer_and_a_later_write_starts_another(database: Database) -> None:
    group = GroupCommit(database.writing)
    asyncio.run(group.run_async(queue_note("first")))
    committers = list(group._committers)
    group.close()
    assert committers and not any(committer.is_alive() for committer in committers) and not group._committers
    asyncio.run(group.run_async(queue_note("second")))
    assert notes(database) == ["first", "second"]
    group.close()


def test_an_interrupted_event_loop_write_fails_its_caller_and_the_next_write_goes_through(database: Database) -> None:
    def interrupted(connection: Connection) -> None:
        raise _Interrupted

    group = GroupCommit(database.writing)

    async def one_after_the_other() -> tuple[BaseException | None, Any]:
        try:
            await group.run_async(interrupted)
        except BaseException as exc:  # the outcome under test
            failure: BaseException | None = exc
        else:
            failure = None
        return failure, await asyncio.wait_for(group.run_async(queue_note("after")), timeout=10)

    failure, after = asyncio.run(one_after_the_other())
    assert isinstance(failure, RuntimeError) and after is not None
    assert notes(database) == ["after"]
    group.close()


def test_with_two_turns_a_write_commits_while_another_turn_is_held(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has one writer: its group commit has one turn")
    group = GroupCommit(database.writing, turns=2)
    hold = Held(then=queue_note("held"))
    holder = threading.Thread(target=group.run, args=(hold,))
    holder.start()
    assert hold.started.wait(timeout=10)
    # The first turn is still open; the second runs and commits on another connection meanwhile.
    passing = group.run(queue_note("passing"))
    assert notes(database) == ["passing"]
    hold.release.set()
    holder.join(timeout=10)
    assert notes(database) == ["held", "passing"] and passing is not None
    group.close()


def test_event_loop_writes_use_every_turn_and_close_stops_every_committer(database: Database) -> None:
    group = GroupCommit(database.writing, turns=3)

    async def many() -> None:
        await asyncio.gather(*(group.run_async(queue_note(f"note-{index}")) for index in range(12)))

    asyncio.run(many())
    assert len(group._committers) == 3
    committers = list(group._committers)
    group.close()
    assert not any(committer.is_alive() for committer in committers) and not group._committers
    assert notes(database) == sorted(f"note-{index}" for index in range(12))


def test_event_loop_writes_take_only_their_committers_turns_and_threads_the_rest(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has one writer: its group commit has one turn")
    group = GroupCommit(database.writing, turns=3, committers=1)
    hold = Held(then=queue_note("held"))

    async def loop_writes() -> None:
        held = asyncio.ensure_future(group.run_async(hold))
        assert await asyncio.to_thread(hold.started.wait, 10)
        # The one committer is inside the held turn: the loop's next writes wait for it, together.
        queued = [asyncio.ensure_future(group.run_async(queue_note(f"loop-{index}"))) for index in range(5)]
        await asyncio.sleep(0.2)
        assert len(group._committers) == 1 and not any(write.done() for write in queued)
        # A thread still takes one of the turns the committer left, and takes the loop's waiting writes along.
        await asyncio.to_thread(group.run, queue_note("thread"))
        assert all(write.done() for write in queued) and not held.done()
        hold.release.set()
        await asyncio.wait_for(held, timeout=10)
        transactions = {id(write.result()) for write in queued}
        assert len(transactions) == 1

    asyncio.run(loop_writes())
    assert notes(database) == sorted(["held", "thread", *(f"loop-{index}" for index in range(5))])
    group.close()
