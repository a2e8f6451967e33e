"""`railbook worker` as real processes: a worker killed mid-delivery, and three workers sharing a queue."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import or_, select

from railbook import API_PREFIX
from railbook.app import create_app
from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.jobs.models import Job
from railbook.webhooks.events import EXTERNAL_ACCOUNT_STATUS_UPDATED, TEST, emit
from railbook.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from tests.conftest import Token, make_token
from tests.support.receiver import HELD, Receiver, running_receiver
from tests.support.workers import WorkerProcess, start_worker, wait_until, worker_env


def point_at(settings: Settings, database: Database, token: Token, receiver: Receiver) -> None:
    """Arm the receiver's key, then set acme sandbox's endpoint through the API (which queues a TEST webhook)."""
    # The key first: a running worker may deliver the TEST webhook before the PATCH returns.
    with database.reading() as session:
        receiver.public_key_pem = session.scalar(
            select(WebhookEndpoint.public_key_pem).where(
                WebhookEndpoint.platform_id == token.platform_id, WebhookEndpoint.mode == token.mode.value
            )
        )
    assert receiver.public_key_pem
    app = create_app(settings, database)
    assert not settings.embedded_worker  # Only the worker processes deliver.
    with TestClient(app, base_url=f"http://testserver{API_PREFIX}") as client:
        response = client.patch("/config", json={"webhookEndpoint": receiver.url}, headers=token.headers)
    assert response.status_code == 200, response.text


def emit_status(database: Database, token: Token, resources: list[str]) -> list[str]:
    """One EXTERNAL_ACCOUNT.STATUS_UPDATED event per resource, in one transaction; their ids."""
    with database.transaction() as session:
        return [
            emit(
                session, token.platform_id, token.mode, EXTERNAL_ACCOUNT_STATUS_UPDATED,
                {"id": resource, "status": "ACTIVE"}, resource_key=resource,
            ).id
            for resource in resources
        ]  # fmt: skip


def all_jobs(database: Database) -> list[Job]:
    """The jobs these tests made (periodic housekeeping jobs left out)."""
    with database.reading() as session:
        mine = select(Job).where(or_(Job.ordering_key.is_(None), ~Job.ordering_key.startswith("periodic:")))
        return list(session.scalars(mine.order_by(Job.seq)))


def job_for(database: Database, event_id: str) -> Job:
    [job] = [job for job in all_jobs(database) if job.payload == {"eventId": event_id}]
    return job


def all_done(database: Database) -> bool:
    return all(job.status == "done" for job in all_jobs(database))


@pytest.mark.subprocess
def test_killed_worker_mid_delivery_loses_nothing(
    settings: Settings, database: Database, token: Token, tmp_path: Path
) -> None:
    env = worker_env(
        settings, tmp_path / "worker-data", RAILBOOK_JOB_LEASE_SECONDS="2", RAILBOOK_WEBHOOK_TIMEOUT_SECONDS="3"
    )
    workers: list[WorkerProcess] = []
    with running_receiver() as receiver:
        try:
            point_at(settings, database, token, receiver)
            a = start_worker(env, tmp_path / "worker-a.log", workers)
            # Worker A delivers the TEST webhook first: it is up, and only the event is left.
            [test] = receiver.wait_for(1, timeout=30)
            assert test.json["type"] == TEST and test.signature_valid
            wait_until(lambda: all_done(database), 10, lambda: f"TEST job not done: {all_jobs(database)}")
            a_id = a.worker_id()
            with receiver.lock:
                receiver.deliveries.clear()
                receiver.hang_next = 1

            [event_id] = emit_status(database, token, ["ExternalAccount:1"])
            [held] = receiver.wait_for(1, timeout=10, status=HELD)
            assert held.json["id"] == event_id

            # Killed with the request in flight: no chance to record anything or release its claim.
            os.kill(a.pid, signal.SIGKILL)
            assert a.process.wait(timeout=10) == -signal.SIGKILL
            job = job_for(database, event_id)
            assert (job.status, job.locked_by, job.attempts) == ("running", a_id, 1)
            assert job.lease_until is not None
            with database.reading() as session:
                assert session.get(WebhookEvent, event_id).state == "pending"  # type: ignore[union-attr]

            # Worker B takes the job over once A's lease (max(2, 3 + 1) = 4 s) has run out.
            b = start_worker(env, tmp_path / "worker-b.log", workers)
            receiver.wait_for(1, timeout=20, status=200)
            wait_until(
                lambda: job_for(database, event_id).status == "done",
                10,
                lambda: f"job not done: {job_for(database, event_id).__dict__}",
            )
            job = job_for(database, event_id)
            assert (job.status, job.attempts, job.locked_by, job.lease_until) == ("done", 2, None, None)
            with database.reading() as session:
                assert session.get(WebhookEvent, event_id).state == "delivered"  # type: ignore[union-attr]
                outcomes = session.scalars(
                    select(WebhookAttempt.outcome).where(WebhookAttempt.event_id == event_id)
                ).all()
            # A died before recording its attempt; B recorded the delivery.
            assert outcomes == ["delivered"]

            with receiver.lock:
                deliveries = list(receiver.deliveries)
            assert [d.status_answered for d in deliveries] == [HELD, 200]
            assert all(d.json["id"] == event_id and d.signature_valid for d in deliveries)
            assert len({d.body for d in deliveries}) == 1
            assert job.locked_by is None and b.worker_id() != a_id

            assert b.terminate() == 0, b.log()
            assert b.problems() == []
        finally:
            for started in workers:
                started.reap()


@pytest.mark.subprocess
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_three_workers_drain_500_jobs_on_postgres(
    settings: Settings, database: Database, token: Token, tmp_path: Path
) -> None:
    count = 500
    # A per-platform cap of 3 x 8 threads, so that all three workers deliver at once; a timeout longer
    # than the receiver holds deliveries (below).
    overrides = {"RAILBOOK_WEBHOOK_CONCURRENCY_PER_PLATFORM": "24", "RAILBOOK_WEBHOOK_TIMEOUT_SECONDS": "60"}
    env = worker_env(settings, tmp_path / "worker-data", **overrides)
    workers: list[WorkerProcess] = []
    with running_receiver() as receiver:
        try:
            point_at(settings, database, token, receiver)  # queues a TEST webhook: 501 jobs in all
            emitted = emit_status(database, token, [f"ExternalAccount:{n}" for n in range(count)])
            # Which worker holds which job is visible only while it runs: the receiver holds every
            # delivery until jobs of more than one worker are seen running (three workers drained
            # 501 jobs before a sample once caught one).
            receiver.gate.clear()
            for n in range(3):
                start_worker(env, tmp_path / f"worker-{n}.log", workers)
            ids = {worker.worker_id(): worker for worker in workers}
            assert len(ids) == 3
            seen_holders: set[str] = set()

            def shared() -> bool:
                seen_holders.update(str(job.locked_by) for job in all_jobs(database) if job.locked_by is not None)
                return len(seen_holders) > 1

            wait_until(shared, 30, lambda: f"jobs held by {seen_holders}")
            receiver.gate.set()

            def drained() -> bool:
                return sum(job.status == "done" for job in all_jobs(database)) == count + 1

            def progress() -> str:
                statuses = Counter(job.status for job in all_jobs(database))
                return f"{len(receiver.ids(200))} of {count + 1} delivered; jobs: {statuses}"

            wait_until(drained, 90, progress)
            codes = [worker.terminate() for worker in workers]
            assert codes == [0, 0, 0], [worker.log() for worker in workers]
            for worker in workers:
                assert worker.problems() == []

            with receiver.lock:
                deliveries = list(receiver.deliveries)
            assert all(d.status_answered == 200 and d.signature_valid for d in deliveries)
            received = Counter(d.json["id"] for d in deliveries)
            assert len(deliveries) == count + 1
            assert all(received[event_id] == 1 for event_id in emitted)
            assert sorted(d.json["type"] for d in deliveries).count(TEST) == 1

            jobs = all_jobs(database)
            assert len(jobs) == count + 1
            assert {(job.status, job.attempts, job.locked_by) for job in jobs} == {("done", 1, None)}
            with database.reading() as session:
                states = Counter(session.scalars(select(WebhookEvent.state)).all())
                outcomes = Counter(session.scalars(select(WebhookAttempt.outcome)).all())
            assert states == {"delivered": count + 1}
            assert outcomes == {"delivered": count + 1}
            # Every holder seen was one of ours, and the work was shared.
            assert seen_holders <= set(ids)
            assert len(seen_holders) > 1, seen_holders
        finally:
            for started in workers:
                started.reap()


@pytest.mark.subprocess
def test_a_backlog_behind_a_hanging_receiver_does_not_hold_up_other_platforms(
    settings: Settings, database: Database, token: Token, tmp_path: Path
) -> None:
    # Default caps: 8 worker threads, at most 4 deliveries in flight per platform and mode.
    env = worker_env(settings, tmp_path / "worker-data", RAILBOOK_WEBHOOK_TIMEOUT_SECONDS="8")
    other = make_token(database, "globex", Mode.SANDBOX)
    workers: list[WorkerProcess] = []
    with running_receiver() as slow, running_receiver() as fast:
        try:
            slow.hang_next = 1_000
            point_at(settings, database, token, slow)
            point_at(settings, database, other, fast)
            emit_status(database, token, [f"ExternalAccount:slow-{n}" for n in range(40)])
            # Queued behind acme's whole backlog, which is far more than one claim looks at.
            [event_id] = emit_status(database, other, ["ExternalAccount:fast"])
            worker = start_worker(env, tmp_path / "worker.log", workers)

            delivered = fast.wait_for(2, timeout=30)
            assert sorted(d.json["id"] for d in delivered if d.json["type"] != TEST) == [event_id]
            wait_until(
                lambda: job_for(database, event_id).status == "done",
                10,
                lambda: f"job not done: {job_for(database, event_id).__dict__}",
            )
            # globex got through while acme's first deliveries were still hanging (none has timed
            # out and been recorded yet), and acme never had more than its cap in flight.
            with database.reading() as session:
                recorded = session.scalars(
                    select(WebhookAttempt.event_id)
                    .join(WebhookEvent, WebhookEvent.id == WebhookAttempt.event_id)
                    .where(WebhookEvent.platform_id == token.platform_id)
                ).all()
            assert recorded == []
            assert len(slow.deliveries) == 4
            assert all(d.status_answered == HELD and d.signature_valid for d in slow.deliveries)

            slow.stopped.set()  # The held requests end without an answer; their jobs go back to the queue.
            assert worker.terminate() == 0, worker.log()
        finally:
            for started in workers:
                started.reap()
