"""A finishing job of a capped key hands its place to the next job of that key, without a claim between."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.models import Job, JobStatus
from railbook.jobs.queue import enqueue
from railbook.jobs.registry import RetryLater, TaskContext
from railbook.jobs.runner import ClaimedJob, Worker
from railbook.kit.clock import utcnow
from railbook.providers.http import Sender, build_sender
from tests.jobs.test_jobs import jobs, make_worker
from tests.jobs.test_prepare import PreparedRecorder


@pytest.fixture
def sender() -> Iterator[Sender]:
    with build_sender() as transport:
        yield transport


def nothing(_: TaskContext, __: dict[str, Any]) -> None:
    """A job that succeeds."""


def queue_jobs(database: Database, count: int, *, key: str | None = "platform-a", kind: str = "send") -> list[int]:
    with database.transaction() as session:
        for n in range(count):
            enqueue(session, kind, {"n": n}, concurrency_key=key)
    return [job.seq for job in jobs(database)][-count:]


def by_seq(database: Database) -> dict[int, Job]:
    return {job.seq: job for job in jobs(database)}


def capped_worker(database: Database, settings: Settings, sender: Sender, cap: int = 1) -> Worker:
    return make_worker(database, settings, sender, {"send": nothing}, max_concurrent_per_key=cap)


class CountingWorker(Worker):
    """A worker that notes how many jobs each of its claims took."""

    def __init__(self, template: Worker, *, concurrency: int) -> None:
        super().__init__(template.database, template.registry, template.context, concurrency=concurrency,
                         poll_seconds=0.05)  # fmt: skip
        self.claims: list[int] = []

    def claim(self, limit: int) -> list[ClaimedJob]:
        taken = super().claim(limit)
        self.claims.append(len(taken))
        return taken


def run_until(worker: Worker, finished: Callable[[], bool], timeout: float) -> None:
    """Start the worker's threads, wait until `finished()` (or the timeout), and stop them."""
    worker.start()
    try:
        deadline = time.monotonic() + timeout
        while not finished() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()


def test_a_finishing_job_takes_the_next_job_of_its_key_in_its_outcome(
    database: Database, settings: Settings, sender: Sender
) -> None:
    first, second, third = queue_jobs(database, 3)
    worker = capped_worker(database, settings, sender)
    [claimed] = worker.claim(4)  # the cap lets one run; the claim keeps the other two for later
    assert claimed.seq == first

    successor = worker.run(claimed, take_successor=True)

    assert successor is not None and successor.seq == second and successor.attempts == 1
    assert successor.payload == {"n": 1} and successor.concurrency_key == "platform-a"
    rows = by_seq(database)
    assert rows[first].status == JobStatus.DONE
    assert (rows[second].status, rows[second].locked_by, rows[second].attempts) == (
        JobStatus.RUNNING, worker.worker_id, 1,
    )  # fmt: skip
    assert rows[third].status == JobStatus.QUEUED
    last = worker.run(successor, take_successor=True)
    assert last is not None and last.seq == third
    assert worker.run(last, take_successor=True) is None
    assert {job.status for job in jobs(database)} == {JobStatus.DONE}


def test_without_being_asked_or_without_a_cap_a_job_takes_no_successor(
    database: Database, settings: Settings, sender: Sender
) -> None:
    queue_jobs(database, 2)
    worker = capped_worker(database, settings, sender)
    [claimed] = worker.claim(4)
    assert worker.run(claimed, take_successor=False) is None

    uncapped = make_worker(database, settings, sender, {"free": nothing})
    queue_jobs(database, 3, key="platform-b", kind="free")
    [one] = uncapped.claim(1)
    assert uncapped.run(one, take_successor=True) is None
    assert [job.status for job in jobs(database) if job.kind == "free"].count(JobStatus.QUEUED) == 2


def test_a_successor_runs_what_the_claim_prepared_for_it(
    database: Database, settings: Settings, sender: Sender
) -> None:
    recorder = PreparedRecorder()
    queue_jobs(database, 3)
    worker = make_worker(
        database, settings, sender, {"send": recorder.handler}, max_concurrent_per_key=1, prepare=recorder.prepare
    )
    [claimed] = worker.claim_and_prepare(4)
    # One preparation for the claimed job and the two its key holds back.
    assert recorder.batches == [[0, 1, 2]]

    successor = worker.run(claimed, take_successor=True)
    assert successor is not None and successor.prepared is not None and successor.attempts == 1
    last = worker.run(successor, take_successor=True)
    assert last is not None and last.prepared is not None
    assert worker.run(last, take_successor=True) is None
    assert recorder.ran == [("prepared", 0), ("prepared", 1), ("prepared", 2)]
    assert recorder.batches == [[0, 1, 2]]
    assert {job.status for job in jobs(database)} == {JobStatus.DONE}


def test_a_job_taken_or_rescheduled_since_the_claim_is_passed_over(
    database: Database, settings: Settings, sender: Sender
) -> None:
    _, taken_elsewhere, rescheduled, fourth = queue_jobs(database, 4)
    worker = capped_worker(database, settings, sender)
    [claimed] = worker.claim(4)
    with database.transaction() as session:
        session.execute(
            update(Job).where(Job.seq == taken_elsewhere).values(status=JobStatus.RUNNING, locked_by="another")
        )
        session.execute(update(Job).where(Job.seq == rescheduled).values(run_at=utcnow() + timedelta(hours=1)))

    successor = worker.run(claimed, take_successor=True)

    assert successor is not None and successor.seq == fourth
    rows = by_seq(database)
    assert rows[taken_elsewhere].locked_by == "another"
    assert rows[rescheduled].status == JobStatus.QUEUED


def test_a_job_held_back_by_an_earlier_job_of_its_ordering_key_is_passed_over(
    database: Database, settings: Settings, sender: Sender
) -> None:
    _, blocked, free = queue_jobs(database, 3)
    worker = capped_worker(database, settings, sender)
    [claimed] = worker.claim(4)
    # An earlier unfinished job with the second one's ordering key appears after the claim.
    with database.transaction() as session:
        enqueue(session, "elsewhere", {}, ordering_key="resource-1")
        session.execute(update(Job).where(Job.seq == blocked).values(ordering_key="resource-1"))
        session.execute(update(Job).where(Job.kind == "elsewhere").values(seq=0))

    successor = worker.run(claimed, take_successor=True)

    assert successor is not None and successor.seq == free
    assert by_seq(database)[blocked].status == JobStatus.QUEUED


def test_the_next_job_of_the_finishing_jobs_own_ordering_key_follows_it_unless_it_is_retried(
    database: Database, settings: Settings, sender: Sender
) -> None:
    def send(_: TaskContext, payload: dict[str, Any]) -> None:
        if payload["n"] == 2:  # the third job's receiver is busy
            raise RetryLater("receiver busy", delay_seconds=60)

    worker = make_worker(database, settings, sender, {"send": send}, max_concurrent_per_key=1)
    first, second, third, fourth = queue_jobs(database, 4)
    [claimed] = worker.claim(4)
    # After the claim, each pair becomes about one resource: the later job of a pair waits for the earlier.
    with database.transaction() as session:
        session.execute(update(Job).where(Job.seq.in_((first, second))).values(ordering_key="resource-1"))
        session.execute(update(Job).where(Job.seq.in_((third, fourth))).values(ordering_key="resource-2"))

    # Finished: its own outcome releases the next job of its resource, which it takes.
    successor = worker.run(claimed, take_successor=True)
    assert successor is not None and successor.seq == second

    # Finished too: it takes the third, whose resource has nothing before it.
    third_run = worker.run(successor, take_successor=True)
    assert third_run is not None and third_run.seq == third

    # Retried: it is still before the fourth in its resource's order, so the fourth stays queued.
    assert worker.run(third_run, take_successor=True) is None
    rows = by_seq(database)
    assert (rows[third].status, rows[fourth].status) == (JobStatus.QUEUED, JobStatus.QUEUED)


def test_chained_deliveries_keep_the_cap_and_each_resources_order(
    database: Database, settings: Settings, sender: Sender
) -> None:
    running = {"now": 0, "most": 0}
    order: dict[str, list[int]] = {f"r{index}": [] for index in range(8)}
    lock = threading.Lock()

    def send(_: TaskContext, payload: dict[str, Any]) -> None:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep(0.01 * (payload["n"] % 3))
        with lock:
            running["now"] -= 1
            order[payload["resource"]].append(payload["n"])

    template = make_worker(database, settings, sender, {"send": send}, max_concurrent_per_key=2)
    worker = CountingWorker(template, concurrency=6)
    with database.transaction() as session:
        for n in range(24):
            resource = f"r{n % 8}"  # three jobs about each of eight resources
            payload = {"n": n, "resource": resource}
            enqueue(session, "send", payload, ordering_key=resource, concurrency_key="platform-a")
    run_until(worker, lambda: sum(map(len, order.values())) >= 24, timeout=20)
    assert order == {f"r{index}": [index, index + 8, index + 16] for index in range(8)}
    assert running["most"] <= 2
    # Most jobs were taken by the job before them, not by a claim.
    assert sum(worker.claims) < 24 / 2


def test_with_every_thread_busy_the_claim_chooses_what_runs_next(
    database: Database, settings: Settings, sender: Sender
) -> None:
    done: list[int] = []
    template = make_worker(
        database, settings, sender, {"send": lambda _, payload: done.append(payload["n"])}, max_concurrent_per_key=1
    )
    # One thread: while it runs a job none is idle, so a finishing job hands nothing on.
    worker = CountingWorker(template, concurrency=1)
    queue_jobs(database, 4)
    run_until(worker, lambda: len(done) >= 4, timeout=10)
    assert done == [0, 1, 2, 3]
    assert sum(worker.claims) == 4
