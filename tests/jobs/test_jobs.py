"""The outbox and its worker: transactional enqueue, leases, retries, dead jobs, ordering, wake-ups."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.jobs.queue import enqueue
from railbook.jobs.registry import OutcomeWrites, PermanentFailure, Registry, RetryLater, RetryPolicy, TaskContext
from railbook.jobs.runner import Worker
from railbook.providers.http import Sender, build_sender
from railbook.providers.issuers import build_issuer_clients
from railbook.providers.plaid import build as build_plaid
from tests.conftest import TEST_KEYS

FAST = RetryPolicy(max_attempts=3, base_seconds=0.01, max_seconds=0.02)


@pytest.fixture
def sender() -> Iterator[Sender]:
    with build_sender() as transport:
        yield transport


def make_worker(
    database: Database,
    settings: Settings,
    sender: Sender,
    kinds: dict[str, Callable[..., None]],
    **options: Any,
) -> Worker:
    registry = Registry()
    policy = options.pop("retry", FAST)
    lease = options.pop("lease_seconds", 30.0)
    cap = options.pop("max_concurrent_per_key", None)
    prepare = options.pop("prepare", None)
    for name, handler in kinds.items():
        registry.register(name, handler, retry=policy, lease_seconds=lease, max_concurrent_per_key=cap, prepare=prepare)
    context = TaskContext(
        database=database, settings=settings, keys=TEST_KEYS, sender=sender, plaid=build_plaid(settings),
        issuers=build_issuer_clients(settings),
    )  # fmt: skip
    return Worker(database, registry, context, **options)


def jobs(database: Database) -> list[Job]:
    with database.reading() as session:
        return list(session.scalars(select(Job).order_by(Job.seq)))


def drain(worker: Worker, until: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "jobs did not finish in time"
        worker.run_once()
        time.sleep(0.02)


def test_enqueue_commits_or_rolls_back_with_the_caller(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        enqueue(session, "noop", {"n": 1})
        raise RuntimeError("the change failed")
    assert jobs(database) == []
    with database.transaction() as session:
        enqueue(session, "noop", {"n": 2})
    assert [job.payload for job in jobs(database)] == [{"n": 2}]


def test_a_job_runs_once_and_is_done(database: Database, settings: Settings, sender: Sender) -> None:
    seen: list[dict[str, Any]] = []
    worker = make_worker(database, settings, sender, {"record": lambda _, payload: seen.append(payload)})
    with database.transaction() as session:
        enqueue(session, "record", {"n": 1})
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert seen == [{"n": 1}]
    [job] = jobs(database)
    assert (job.status, job.attempts, job.locked_by, job.lease_until) == ("done", 1, None, None)


def test_failures_are_retried_with_backoff_then_succeed(database: Database, settings: Settings, sender: Sender) -> None:
    calls: list[int] = []

    def flaky(_: TaskContext, payload: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError(f"attempt {len(calls)} failed")

    worker = make_worker(database, settings, sender, {"flaky": flaky})
    with database.transaction() as session:
        enqueue(session, "flaky", {})
    worker.run_once()
    [job] = jobs(database)
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.run_at > job.created_at
    assert "attempt 1 failed" in (job.last_error or "")
    drain(worker, lambda: jobs(database)[0].status == "done")
    assert len(calls) == 3
    assert jobs(database)[0].attempts == 3


def test_exhausted_and_permanent_failures_are_parked_dead(
    database: Database, settings: Settings, sender: Sender
) -> None:
    def always(_: TaskContext, __: dict[str, Any]) -> None:
        raise ValueError("receiver is gone")

    def hopeless(_: TaskContext, __: dict[str, Any]) -> None:
        raise PermanentFailure("bad credentials")

    worker = make_worker(database, settings, sender, {"always": always, "hopeless": hopeless})
    with database.transaction() as session:
        enqueue(session, "always", {})
        enqueue(session, "hopeless", {})
    drain(worker, lambda: all(job.status == "dead" for job in jobs(database)))
    always_job, hopeless_job = jobs(database)
    assert always_job.attempts == 3 and "receiver is gone" in (always_job.last_error or "")
    assert hopeless_job.attempts == 1 and "bad credentials" in (hopeless_job.last_error or "")


def test_an_expired_lease_lets_another_worker_finish_the_job(
    database: Database, settings: Settings, sender: Sender
) -> None:
    runs: list[str] = []
    kinds = {"work": lambda _, payload: runs.append(payload["who"])}
    crashed = make_worker(database, settings, sender, kinds, lease_seconds=0.3)
    rescuer = make_worker(database, settings, sender, kinds, lease_seconds=0.3, poll_seconds=1.0)
    with database.transaction() as session:
        enqueue(session, "work", {"who": "x"})
    [held] = crashed.claim(1)  # ... and then this worker "dies" without finishing.
    looked = time.monotonic()
    assert rescuer.claim(1) == []
    time.sleep(0.4)
    # The lease has run out, but expired leases are looked for once a poll, not on every claim.
    assert rescuer.claim(1) == []
    assert time.monotonic() - looked < 1.0, "the machine was too slow for this check to mean anything"
    # Past the poll from the rescuer's first claim (which set its next look a moment after `looked`).
    time.sleep(max(0.0, looked + 1.3 - time.monotonic()))
    assert rescuer.run_once() == 1
    [job] = jobs(database)
    assert (job.status, job.attempts) == ("done", 2)
    # The dead worker's late finish must not overwrite the rescuer's outcome.
    crashed.run(held)
    [job] = jobs(database)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, None)


def test_jobs_sharing_an_ordering_key_run_in_order(database: Database, settings: Settings, sender: Sender) -> None:
    order: list[int] = []
    lock = threading.Lock()

    def step(_: TaskContext, payload: dict[str, Any]) -> None:
        time.sleep(0.02 * (5 - payload["n"]))  # later jobs are quicker: only ordering keeps them in line
        with lock:
            order.append(payload["n"])

    worker = make_worker(database, settings, sender, {"step": step}, concurrency=4, poll_seconds=0.05)
    with database.transaction() as session:
        for n in range(5):
            enqueue(session, "step", {"n": n}, ordering_key="account-1")
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while len(order) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert order == [0, 1, 2, 3, 4]


def test_concurrency_cap_per_key(database: Database, settings: Settings, sender: Sender) -> None:
    active = {"now": 0, "most": 0, "done": 0}
    lock = threading.Lock()

    def slow(_: TaskContext, __: dict[str, Any]) -> None:
        with lock:
            active["now"] += 1
            active["most"] = max(active["most"], active["now"])
        time.sleep(0.05)
        with lock:
            active["now"] -= 1
            active["done"] += 1

    worker = make_worker(
        database, settings, sender, {"slow": slow}, concurrency=6, poll_seconds=0.05, max_concurrent_per_key=2
    )
    with database.transaction() as session:
        for _ in range(6):
            enqueue(session, "slow", {}, concurrency_key="platform-a")
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while active["done"] < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert active["done"] == 6
    assert active["most"] == 2


def test_a_commit_wakes_the_worker_without_waiting_for_the_poll(
    database: Database, settings: Settings, sender: Sender
) -> None:
    done = threading.Event()
    worker = make_worker(database, settings, sender, {"ping": lambda _, __: done.set()}, poll_seconds=60)
    database.on_jobs_committed.append(worker.wake)
    worker.start()
    try:
        time.sleep(0.1)  # the worker is now idle, waiting up to a minute for the next poll
        with database.transaction() as session:
            enqueue(session, "ping", {})
        # Only the wake-up signal can make this happen before the 60 s poll.
        assert done.wait(timeout=10)
    finally:
        worker.stop()


def test_jobs_queued_on_a_plain_connection_wake_the_worker_once_committed(database: Database) -> None:
    woken: list[str] = []
    database.on_jobs_committed.append(lambda: woken.append("woken"))
    with database.writing() as connection:
        enqueue(connection, "ping", {"on": "connection"})
        assert woken == []  # not before the commit
    assert woken == ["woken"]
    # The group commit's writes are connection writes too: a write that queues a job wakes the worker.
    database.grouped.run(lambda connection: enqueue(connection, "ping", {"on": "group"}))
    assert woken == ["woken", "woken"]
    # A rolled-back write queued nothing and wakes nobody, and leaves no mark for the next transaction.
    with pytest.raises(RuntimeError), database.writing() as connection:
        enqueue(connection, "ping", {"on": "rolled back"})
        raise RuntimeError("changed my mind")
    with database.writing() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert woken == ["woken", "woken"]
    assert sorted(job.payload["on"] for job in jobs(database)) == ["connection", "group"]


def test_a_new_job_starts_at_once_while_others_run(database: Database, settings: Settings, sender: Sender) -> None:
    # A busy worker waits for a few jobs to finish before searching the queue again; a commit of new
    # work must still be picked up at once, not after the running jobs or the poll.
    started, release, done = threading.Event(), threading.Event(), threading.Event()

    def stuck(_: TaskContext, __: dict[str, Any]) -> None:
        started.set()
        release.wait(timeout=30)

    worker = make_worker(
        database, settings, sender, {"stuck": stuck, "ping": lambda _, __: done.set()}, poll_seconds=60, concurrency=8
    )
    database.on_jobs_committed.append(worker.wake)
    with database.transaction() as session:
        enqueue(session, "stuck", {})
    worker.start()
    try:
        assert started.wait(timeout=10)
        with database.transaction() as session:
            enqueue(session, "ping", {})
        assert done.wait(timeout=10)
    finally:
        release.set()
        worker.stop()


def test_what_a_handler_leaves_is_written_with_every_outcome(
    database: Database, settings: Settings, sender: Sender
) -> None:
    def note(label: str) -> OutcomeWrites:
        def write(connection: Connection) -> None:
            with Session(bind=connection) as session:
                enqueue(session, "note", {"label": label})

        return write

    def fine(_: TaskContext, __: dict[str, Any]) -> OutcomeWrites:
        return note("done")

    def later(_: TaskContext, __: dict[str, Any]) -> None:
        raise RetryLater("not yet", delay_seconds=3600, writes=note("retry"))

    def hopeless(_: TaskContext, __: dict[str, Any]) -> None:
        raise PermanentFailure("never", writes=note("dead"))

    worker = make_worker(
        database, settings, sender, {"fine": fine, "later": later, "hopeless": hopeless, "note": lambda _, __: None}
    )
    with database.transaction() as session:
        for kind in ("fine", "later", "hopeless"):
            enqueue(session, kind, {})
    assert worker.run_once() == 3
    by_kind = {job.kind: job for job in jobs(database) if job.kind != "note"}
    assert {kind: job.status for kind, job in by_kind.items()} == {
        "fine": "done",
        "later": "queued",
        "hopeless": "dead",
    }
    notes = sorted(job.payload["label"] for job in jobs(database) if job.kind == "note")
    assert notes == ["dead", "done", "retry"]


def test_graceful_stop_releases_a_job_that_does_not_finish(
    database: Database, settings: Settings, sender: Sender
) -> None:
    started, release = threading.Event(), threading.Event()

    def stuck(_: TaskContext, __: dict[str, Any]) -> None:
        started.set()
        release.wait(timeout=10)

    worker = make_worker(database, settings, sender, {"stuck": stuck}, poll_seconds=0.05, shutdown_grace_seconds=0.2)
    with database.transaction() as session:
        enqueue(session, "stuck", {})
    worker.start()
    assert started.wait(timeout=10)
    worker.stop()
    [job] = jobs(database)
    assert (job.status, job.attempts, job.locked_by) == ("queued", 0, None)
    release.set()
