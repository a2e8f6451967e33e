"""Kinds with a preparer: the jobs of one claim made ready together, and the handler as the fallback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import pytest

from railbook.config import Settings
from railbook.db import Database
from railbook.jobs.queue import enqueue
from railbook.jobs.registry import PreparedRun, Registry, RetryLater, TaskContext
from railbook.jobs.runner import Worker
from railbook.providers.http import Sender, build_sender
from railbook.providers.issuers import build_issuer_clients
from railbook.providers.plaid import build as build_plaid
from tests.conftest import TEST_KEYS
from tests.jobs.test_jobs import FAST, jobs


@pytest.fixture
def sender() -> Iterator[Sender]:
    with build_sender() as transport:
        yield transport


class PreparedRecorder:
    """A kind's preparer and handler that note each batch prepared and how each job ran."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.ran: list[tuple[str, int]] = []

    def prepare(self, _: TaskContext, payloads: Sequence[dict[str, Any]]) -> list[PreparedRun]:
        self.batches.append([payload["n"] for payload in payloads])
        return [partial(self.ran.append, ("prepared", payload["n"])) for payload in payloads]

    def handler(self, _: TaskContext, payload: dict[str, Any]) -> None:
        self.ran.append(("handler", payload["n"]))


def prepared_worker(database: Database, settings: Settings, transport: Sender, handler: Any, prepare: Any) -> Worker:
    registry = Registry()
    registry.register("batched", handler, retry=FAST, prepare=prepare)
    context = TaskContext(
        database=database, settings=settings, keys=TEST_KEYS, sender=transport, plaid=build_plaid(settings),
        issuers=build_issuer_clients(settings),
    )  # fmt: skip
    return Worker(database, registry, context)


def enqueue_numbers(database: Database, *numbers: int) -> None:
    with database.transaction() as session:
        for number in numbers:
            enqueue(session, "batched", {"n": number})


def test_a_claim_is_prepared_with_one_call_and_runs_its_prepared_jobs(
    database: Database, settings: Settings, sender: Sender
) -> None:
    recorder = PreparedRecorder()
    worker = prepared_worker(database, settings, sender, recorder.handler, recorder.prepare)
    enqueue_numbers(database, 1, 2, 3)
    assert worker.run_once() == 3
    assert recorder.batches == [[1, 2, 3]]
    assert recorder.ran == [("prepared", 1), ("prepared", 2), ("prepared", 3)]
    assert [job.status for job in jobs(database)] == ["done", "done", "done"]


@pytest.mark.parametrize("failure", ["raises", "miscounts"])
def test_a_failing_preparer_leaves_each_job_to_its_handler(
    database: Database, settings: Settings, sender: Sender, failure: str
) -> None:
    ran: list[int] = []

    def prepare(_: TaskContext, payloads: Sequence[dict[str, Any]]) -> list[PreparedRun]:
        if failure == "raises":
            raise ConnectionError("the batch read failed")
        return [lambda: None]  # one run for two jobs

    worker = prepared_worker(database, settings, sender, lambda _, payload: ran.append(payload["n"]), prepare)
    enqueue_numbers(database, 1, 2)
    assert worker.run_once() == 2
    assert ran == [1, 2]
    assert [job.status for job in jobs(database)] == ["done", "done"]


def test_a_prepared_run_that_asks_for_a_retry_is_requeued_with_its_writes(
    database: Database, settings: Settings, sender: Sender
) -> None:
    written: list[int] = []

    def retry(number: int) -> None:
        raise RetryLater(f"receiver {number} is down", writes=lambda _: written.append(number))

    def prepare(_: TaskContext, payloads: Sequence[dict[str, Any]]) -> list[PreparedRun]:
        return [partial(retry, payload["n"]) for payload in payloads]

    worker = prepared_worker(database, settings, sender, lambda _, __: None, prepare)
    enqueue_numbers(database, 7)
    worker.run_once()
    [job] = jobs(database)
    assert (job.status, job.attempts, job.last_error) == ("queued", 1, "receiver 7 is down")
    assert written == [7]
