"""The worker: claims jobs under a lease, runs them, retries with backoff, parks the hopeless as dead."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from railbook.db import Database, table_of
from railbook.jobs.listen import listen_for_jobs
from railbook.jobs.models import Job, JobStatus
from railbook.jobs.queue import enqueue
from railbook.jobs.registry import (
    OutcomeWrites,
    PermanentFailure,
    PreparedRun,
    Preparer,
    Registry,
    RetryLater,
    TaskContext,
    TaskKind,
)
from railbook.kit.clock import utcnow
from railbook.kit.driver_sql import DriverStatement
from railbook.kit.ids import new_uuid

log = logging.getLogger("railbook.jobs")

_ERROR_LIMIT = 2000
# With jobs still running, the worker searches for more once this many have finished (at most
# half its threads): fewer searches, more deliveries (docs/decisions.md, Performance).
CLAIM_BATCH = 4


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds; (locked_by, attempts) identifies the claim."""

    seq: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    concurrency_key: str | None = None
    # What runs instead of the kind's handler, when its kind prepared the claim's jobs together.
    prepared: PreparedRun | None = None


class _Candidate(NamedTuple):
    """A row of a claim search: the job's columns of these names, in this order."""

    seq: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    run_at: datetime
    created_at: datetime
    concurrency_key: str | None


_CLAIM_COLUMNS = tuple(getattr(Job, name) for name in _Candidate._fields)
_JOBS = table_of(Job)


def _due() -> Any:
    """Queued and due (at the `now` parameter)."""
    return and_(Job.status == JobStatus.QUEUED, Job.run_at <= bindparam("now"))


def _lease_expired() -> Any:
    """Running under a lease that has expired (its worker died)."""
    return and_(Job.status == JobStatus.RUNNING, Job.lease_until < bindparam("now"))


def _not_blocked_by_earlier() -> Any:
    """No earlier unfinished job shares the ordering key."""
    earlier = aliased(Job)
    blocked = exists().where(
        earlier.ordering_key == Job.ordering_key,
        earlier.seq < Job.seq,
        earlier.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
    )
    return or_(Job.ordering_key.is_(None), ~blocked)


# The worker's statements are built once, with parameters for what changes between runs: building
# and cache-keying SQLAlchemy expressions on every claim and finish was about a fifth of a busy
# worker's CPU (docs/decisions.md, Performance). The claim's queries are planned for each run's
# parameters: a generic plan PostgreSQL made while the jobs table was nearly empty took ~1 s per
# claim with a 3,000-job backlog (webhooks fell to 4/s). Asked per statement, not with a `SET LOCAL
# plan_cache_mode` before each claim, which cost a round trip (docs/performance.md).
_RUNNING_PER_KEY = DriverStatement(
    select(Job.concurrency_key, func.count())
    .where(Job.concurrency_key.is_not(None), Job.status == JobStatus.RUNNING, Job.lease_until >= bindparam("now"))
    .group_by(Job.concurrency_key),
    planned_each_run=True,
)
_TAKE_VALUES = {
    "status": JobStatus.RUNNING,
    "attempts": _JOBS.c.attempts + 1,
    "lease_until": bindparam("lease_until"),
    "locked_by": bindparam("owner"),
    "updated_at": bindparam("now"),
}
_TAKE = DriverStatement(update(_JOBS).where(_JOBS.c.seq.in_(bindparam("seqs", expanding=True))).values(_TAKE_VALUES))
# One job by its key, if it is still queued, due and not held back by an earlier job of its ordering
# key (the candidate a claim left for later may have been taken, rescheduled or blocked since): the
# job a finishing job of the same concurrency key hands its place to. Its attempts, once taken.
_TAKE_IF_STILL_RUNNABLE = DriverStatement(
    update(_JOBS)
    .where(_JOBS.c.seq == bindparam("job_seq"), _due(), _not_blocked_by_earlier())
    .values(_TAKE_VALUES)
    .returning(_JOBS.c.attempts)
)
# How many candidates left by the last claim a finishing job tries before it gives its place back.
_SUCCESSOR_TRIES = 3
_FINISH_STATEMENT = (
    update(_JOBS)
    .where(
        # Only the claim that is still ours: after an expired lease another worker owns the job.
        _JOBS.c.seq == bindparam("job_seq"),
        _JOBS.c.locked_by == bindparam("owner"),
        _JOBS.c.attempts == bindparam("job_attempts"),
        _JOBS.c.status == JobStatus.RUNNING,
    )
    .values(
        status=bindparam("new_status"),
        lease_until=None,
        locked_by=None,
        updated_at=bindparam("now"),
        last_error=bindparam("error"),
    )
)
# By whether the outcome reschedules the job.
_FINISH_STATEMENTS = {
    False: _FINISH_STATEMENT,
    True: _FINISH_STATEMENT.values(run_at=bindparam("new_run_at")),
}
# A job's outcome runs once per job: on the driver, without SQLAlchemy's per-run work.
_FINISH = {reschedules: DriverStatement(statement) for reschedules, statement in _FINISH_STATEMENTS.items()}


def _finish_and_take(finish: Any) -> DriverStatement:
    """`finish`, and the take of the `successor_seq` job if the finish was ours: (1 or 0, its attempts or None)."""
    finished = finish.returning(_JOBS.c.seq).cte("finished")
    taken = (
        update(_JOBS)
        .where(
            _JOBS.c.seq == bindparam("successor_seq"), _due(), _not_blocked_by_earlier(), exists(select(finished.c.seq))
        )
        .values(_TAKE_VALUES)
        .returning(_JOBS.c.attempts)
        .cte("taken")
    )
    return DriverStatement(
        select(select(func.count()).select_from(finished).scalar_subquery(), select(taken.c.attempts).scalar_subquery())
    )


# On PostgreSQL a chained job's outcome and its first successor's take are one statement (data-modifying
# WITH), by whether the outcome reschedules: a round trip and a statement's work fewer per delivery
# (docs/performance.md). Both parts see the table as it was before the statement, so a successor held
# back by the finishing job's own ordering key is not taken here but by `_TAKE_IF_STILL_RUNNABLE` after.
_FINISH_AND_TAKE = {reschedules: _finish_and_take(statement) for reschedules, statement in _FINISH_STATEMENTS.items()}


class _ClaimSearch:
    """The two candidate searches of a worker's claim, for its registry's kinds and caps."""

    def __init__(self, registry: Registry, *, skip_locked: bool) -> None:
        self.capped = [kind for kind in map(registry.get, registry.names()) if kind and kind.max_concurrent_per_key]
        filters = [Job.kind.in_(registry.names()), _not_blocked_by_earlier()]
        for index, kind in enumerate(self.capped):
            # Leave out jobs whose concurrency key is already at its kind's cap. Otherwise a backlog
            # behind one full key (a hanging receiver) fills the candidate window and jobs of every
            # other key wait behind it with free slots to spare.
            at_cap = and_(Job.kind == kind.name, Job.concurrency_key.in_(bindparam(f"full_{index}", expanding=True)))
            filters.append(or_(Job.concurrency_key.is_(None), ~at_cap))
        # Two searches rather than one with OR: each walks its index in claim order and stops at
        # the window, where an OR made the database sort the whole backlog on every claim.
        self.due = self._search(_due(), filters, skip_locked=skip_locked)
        self.lease_expired = self._search(_lease_expired(), filters, skip_locked=skip_locked)

    @staticmethod
    def _search(claimable: Any, filters: list[Any], *, skip_locked: bool) -> DriverStatement:
        statement = (
            select(*_CLAIM_COLUMNS)
            .where(claimable, *filters)
            .order_by(Job.run_at, Job.seq)
            .limit(bindparam("window", type_=Integer))
        )
        if skip_locked:
            # Other workers skip rows this one is claiming instead of waiting for them.
            statement = statement.with_for_update(skip_locked=True, of=_JOBS)
        return DriverStatement(statement, planned_each_run=True)

    def parameters(self, now: datetime, window: int, running: dict[str, int]) -> dict[str, Any]:
        """The searches' parameters: the time, the window and the keys at each capped kind's cap."""
        values: dict[str, Any] = {"now": now, "window": window}
        for index, kind in enumerate(self.capped):
            cap = kind.max_concurrent_per_key or 0
            values[f"full_{index}"] = [key for key, count in running.items() if count >= cap]
        return values


def _periodic_key(kind: str) -> str:
    # Runs of one periodic kind never overlap, even when two workers queued a first run at once.
    return f"periodic:{kind}"


def _has_pending(connection: Session | Connection, kind: str) -> bool:
    """Whether a job of this kind is queued or running (the one finishing has already left that state)."""
    pending = select(Job.seq).where(Job.kind == kind, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))).limit(1)
    return connection.scalar(pending) is not None


class Worker:
    """Runs jobs from the table with a pool of threads until stopped."""

    def __init__(
        self,
        database: Database,
        registry: Registry,
        context: TaskContext,
        *,
        concurrency: int = 8,
        poll_seconds: float = 1.0,
        shutdown_grace_seconds: float = 10.0,
    ) -> None:
        self.database = database
        self.registry = registry
        self.context = context
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.worker_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{new_uuid()[-12:]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._running = 0
        self._announced = False
        self._finished_since_claim = 0
        self._claim_batch = max(1, min(CLAIM_BATCH, concurrency // 2))
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._search: _ClaimSearch | None = None
        # Candidates the last claim found but left for later because their key was at its cap, by
        # (kind, concurrency key), in claim order: what a finishing job of that key takes next.
        self._held_back: dict[tuple[str, str], deque[ClaimedJob]] = {}
        # Their runs, by job, where their kind prepares runs: made with the claim's own (docs/performance.md).
        self._held_back_runs: dict[int, PreparedRun] = {}
        # When the claim next looks for jobs whose lease expired (time.monotonic()).
        self._next_lease_search = 0.0
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="railbook-job")
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for work now instead of at the next poll (new jobs were committed)."""
        with self._lock:
            self._announced = True
        self._wake.set()

    def start(self) -> None:
        """Run the claim loop in a background thread (and LISTEN for other processes' jobs on PostgreSQL)."""
        if not self.database.is_sqlite:
            listen_for_jobs(self.database.url, self.wake, self._stopping)
        self.schedule_periodic()
        self._thread = threading.Thread(target=self.run_until_stopped, name="railbook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop claiming, let running jobs finish for the grace period, then release the rest."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=self.shutdown_grace_seconds)
        self._release_held()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run_until_stopped(self) -> None:
        """The claim loop: claim what fits in the free slots, hand it to the pool, wait for a wake-up."""
        log.info("worker started", extra={"worker_id": self.worker_id, "kinds": self.registry.names()})
        should_claim = True
        while not self._stopping.is_set():
            if should_claim:
                claimed, wanted = self._claim_into_free_slots()
                # Claim again at once only when the claim was cut short by the free slots: fewer than
                # asked means nothing else is runnable now, and asking again would repeat the same
                # search under the write lock (with a backlog held back by a concurrency cap, that
                # second search cost as much as a delivery; docs/decisions.md, Performance).
                should_claim = claimed > 0 and claimed == wanted and self._free_slots() > 0
                if should_claim:
                    continue
            woken = self._wake.wait(timeout=self._wait_seconds())
            # Cleared before deciding, so a wake-up that comes after the decision is not lost.
            self._wake.clear()
            should_claim = not woken or self._claim_due()

    def _claim_into_free_slots(self) -> tuple[int, int]:
        """Claim up to the free slots and start the jobs: (claimed, wanted)."""
        with self._lock:
            self._announced = False
            self._finished_since_claim = 0
        wanted = self._free_slots()
        try:
            claimed = self.claim_and_prepare(wanted)
        except Exception:
            log.exception("claiming jobs failed; retrying")
            claimed = []
        for job in claimed:
            with self._lock:
                self._running += 1
            self._pool.submit(self._run_and_release_slot, job)
        return len(claimed), wanted

    def claim_and_prepare(self, limit: int) -> list[ClaimedJob]:
        """Claim up to `limit` jobs and prepare them, and the runs of the jobs the claim held back for their keys."""
        claimed = self.claim(limit)
        with self._lock:
            held_back = [job for waiting in self._held_back.values() for job in waiting]
        # One read for a claim's jobs and the jobs its keys run next: a successor that read for itself
        # spent a round trip of every delivery on it (docs/performance.md).
        prepared = self.prepare(claimed + held_back)
        runs = {job.seq: job.prepared for job in prepared[len(claimed) :] if job.prepared is not None}
        with self._lock:
            self._held_back_runs = runs
        return prepared[: len(claimed)]

    def _claim_due(self) -> bool:
        """After a wake-up: whether to search for jobs now or wait for more slots to free up."""
        with self._lock:
            return self._claim_is_due()

    def _claim_is_due(self) -> bool:
        # New jobs, or an idle worker: at once (latency). A backlog: once a few jobs have finished,
        # because each claim searches the queue, and claiming into every single freed slot was a
        # quarter of a busy worker's time (docs/decisions.md, Performance). Called with self._lock held.
        return self._announced or self._running == 0 or self._finished_since_claim >= self._claim_batch

    def _free_slots(self) -> int:
        with self._lock:
            return self.concurrency - self._running

    def _run_and_release_slot(self, job: ClaimedJob) -> None:
        try:
            current: ClaimedJob | None = job
            while current is not None and not self._stopping.is_set():
                # Only while some thread is idle: with every thread busy, the next claim decides, in
                # run_at order, which key's job runs next. (A job taken at stop is released then.)
                successor = self.run(current, take_successor=self._free_slots() > 0)
                current = successor if successor is None or successor.prepared else self.prepare([successor])[0]
        finally:
            with self._idle:
                self._running -= 1
                self._finished_since_claim += 1
                self._idle.notify_all()
                # Only when the loop would claim: waking it for every finished job to find nothing
                # to do cost a thread switch per job.
                wake = self._claim_is_due()
            if wake:
                self._wake.set()

    def _wait_seconds(self) -> float:
        """How long to sleep before looking for work again when nothing wakes the loop."""
        if self._free_slots() < self.concurrency:
            # A job of ours finishing wakes the loop anyway: asking the database when the next job
            # is due after every finished job was a visible share of a busy worker (docs/decisions.md, Performance).
            return self.poll_seconds
        return self._seconds_until_next_job()

    def _seconds_until_next_job(self) -> float:
        # Only moments still ahead count: what is due already was just offered to claim() and not
        # taken (no free slot, an earlier job with its ordering key, a concurrency cap). A job of
        # this process finishing wakes the loop; other processes' progress is seen at the next poll.
        # (Counting due jobs made the loop spin every 10 ms while any due job was held back.)
        now = utcnow()
        try:
            with self.database.reading() as session:
                next_run = session.scalar(
                    select(func.min(Job.run_at)).where(Job.status == JobStatus.QUEUED, Job.run_at > now)
                )
                next_lease = session.scalar(
                    select(func.min(Job.lease_until)).where(Job.status == JobStatus.RUNNING, Job.lease_until > now)
                )
        except Exception:
            return self.poll_seconds
        candidates = [moment for moment in (next_run, next_lease) if moment is not None]
        if not candidates:
            return self.poll_seconds
        wait = (min(candidates) - utcnow()).total_seconds()
        return min(self.poll_seconds, max(wait, 0.01))

    def schedule_periodic(self) -> None:
        """Queue a first run of every periodic kind that has none waiting (a fresh database, say)."""
        try:
            with self.database.transaction() as session:
                for kind in self.registry.periodic():
                    if not _has_pending(session, kind.name):
                        enqueue(session, kind.name, {}, ordering_key=_periodic_key(kind.name))
        except Exception:
            log.exception("scheduling periodic jobs failed; the next worker start will try again")

    # -- claiming --------------------------------------------------------------------------

    def claim(self, limit: int) -> list[ClaimedJob]:
        """Take up to `limit` runnable jobs under this worker's lease."""
        if limit <= 0 or not self.registry.names():
            return []
        if self._search is None:
            self._search = _ClaimSearch(self.registry, skip_locked=not self.database.is_sqlite)
        search = self._search
        now = utcnow()
        searches = [search.due]
        if time.monotonic() >= self._next_lease_search:
            # Expired leases (a worker died) are looked for at most once a poll: they are rare, a
            # lease runs for tens of seconds anyway, and searching on every claim was a round trip of
            # each one (docs/performance.md).
            searches.append(search.lease_expired)
            self._next_lease_search = time.monotonic() + self.poll_seconds
        with self.database.writing() as connection:
            window = limit * 4
            running = self._running_per_key(connection, now)
            parameters = search.parameters(now, window, running)
            # Plain rows and one UPDATE on the driver, not ORM objects: claims run once per batch of
            # jobs and were a third of a busy worker's time (docs/decisions.md, Performance).
            candidates: list[_Candidate] = []
            for statement in searches:
                candidates.extend(_Candidate(*row) for row in statement.rows(connection, parameters))
            candidates.sort(key=lambda row: (row.run_at, row.seq))
            chosen = self._within_concurrency_caps(candidates[:window], running)[:limit]
            self._hold_back(candidates[:window], chosen)
            for kind_name in {row.kind for row in chosen}:
                kind = self.registry.get(kind_name)
                assert kind is not None
                _TAKE.execute(
                    connection,
                    {
                        "seqs": [row.seq for row in chosen if row.kind == kind_name],
                        "lease_until": now + timedelta(seconds=kind.lease_seconds),
                        "owner": self.worker_id,
                        "now": now,
                    },
                )
        return [
            ClaimedJob(row.seq, row.kind, dict(row.payload), row.attempts + 1, row.created_at, row.concurrency_key)
            for row in chosen
        ]

    def _hold_back(self, candidates: list[_Candidate], chosen: list[_Candidate]) -> None:
        """Keep the due candidates of capped kinds that were not chosen, for their keys' successors."""
        taken = {row.seq for row in chosen}
        held_back: dict[tuple[str, str], deque[ClaimedJob]] = {}
        for row in candidates:
            kind = self.registry.get(row.kind)
            capped = kind is not None and kind.max_concurrent_per_key is not None
            if capped and row.concurrency_key is not None and row.seq not in taken:
                # Its attempts as they will be once taken, unless it is taken elsewhere meanwhile.
                job = ClaimedJob(
                    row.seq, row.kind, dict(row.payload), row.attempts + 1, row.created_at, row.concurrency_key
                )
                held_back.setdefault((row.kind, row.concurrency_key), deque()).append(job)
        with self._lock:
            self._held_back = held_back
            self._held_back_runs = {}

    def _running_per_key(self, connection: Connection, now: datetime) -> dict[str, int]:
        """How many jobs of each concurrency key run under a live lease."""
        rows = _RUNNING_PER_KEY.rows(connection, {"now": now})
        return {str(key): int(count) for key, count in rows}

    def _within_concurrency_caps(self, candidates: list[_Candidate], running: dict[str, int]) -> list[_Candidate]:
        """The candidates that fit under their kind's per-key cap, taken in order."""
        running = dict(running)
        chosen = []
        for job in candidates:
            kind = self.registry.get(job.kind)
            cap = kind.max_concurrent_per_key if kind else None
            if job.concurrency_key is not None and cap is not None:
                if running.get(job.concurrency_key, 0) >= cap:
                    continue
                running[job.concurrency_key] = running.get(job.concurrency_key, 0) + 1
            chosen.append(job)
        return chosen

    # -- running ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim and run what is runnable now, in this thread (for the CLI and tests)."""
        claimed = self.claim_and_prepare(self.concurrency)
        for job in claimed:
            self.run(job)
        return len(claimed)

    def prepare(self, jobs: list[ClaimedJob]) -> list[ClaimedJob]:
        """The jobs, those of kinds with a preparer made ready together (one call per kind)."""
        by_kind: dict[str, tuple[Preparer, list[int]]] = {}
        for index, job in enumerate(jobs):
            kind = self.registry.get(job.kind)
            if kind is not None and kind.prepare is not None:
                by_kind.setdefault(job.kind, (kind.prepare, []))[1].append(index)
        prepared = list(jobs)
        for kind_name, (prepare, indexes) in by_kind.items():
            try:
                runs = list(prepare(self.context, [jobs[index].payload for index in indexes]))
                if len(runs) != len(indexes):
                    raise ValueError(f"the preparer returned {len(runs)} runs for {len(indexes)} jobs")
            except Exception:
                # Not fatal: each job's handler reads for itself, as it would without a preparer.
                log.exception("preparing jobs failed; running them one by one", extra={"kind": kind_name})
                continue
            for index, run in zip(indexes, runs, strict=True):
                prepared[index] = replace(jobs[index], prepared=run)
        return prepared

    def run(self, job: ClaimedJob, *, take_successor: bool = False) -> ClaimedJob | None:
        """Run one claimed job and record its outcome (with the writes its handler left).

        With `take_successor`, a job of a kind with a per-key cap takes, in its outcome's transaction,
        the next job of its key that the last claim left for later, and returns it for this thread.
        """
        kind = self.registry.get(job.kind)
        if kind is None:
            return self._finish(job, status=JobStatus.DEAD, error=f"no handler for kind {job.kind}")
        # A key at its cap otherwise waits for a claim after its jobs finish: the deliveries to one
        # platform's receiver went in waves (docs/decisions.md, Performance).
        chained = take_successor and job.concurrency_key is not None and kind.max_concurrent_per_key is not None
        successor_of = kind if chained else None
        try:
            writes = job.prepared() if job.prepared is not None else kind.handler(self.context, job.payload)
        except PermanentFailure as exc:
            log.warning("job failed permanently", extra={"job": job.seq, "kind": job.kind, "error": str(exc)})
            error = f"permanent failure: {exc}"
            return self._finish(job, status=JobStatus.DEAD, error=error, writes=exc.writes, successor_of=successor_of)
        except RetryLater as exc:
            return self._retry_or_bury(job, kind, str(exc), exc.delay_seconds, exc.writes, successor_of)
        except Exception as exc:
            log.exception("job raised", extra={"job": job.seq, "kind": job.kind})
            return self._retry_or_bury(job, kind, f"{type(exc).__name__}: {exc}", None, None, successor_of)
        return self._finish(
            job, status=JobStatus.DONE, error=None, periodic=kind, writes=writes, successor_of=successor_of
        )

    def _retry_or_bury(
        self,
        job: ClaimedJob,
        kind: TaskKind,
        error: str,
        delay: float | None,
        writes: OutcomeWrites | None,
        successor_of: TaskKind | None,
    ) -> ClaimedJob | None:
        policy = kind.retry
        too_old = policy.give_up_after is not None and utcnow() - job.created_at >= policy.give_up_after
        if job.attempts >= policy.max_attempts or too_old:
            log.warning("job is dead", extra={"job": job.seq, "kind": job.kind, "attempts": job.attempts})
            return self._finish(
                job, status=JobStatus.DEAD, error=error, periodic=kind, writes=writes, successor_of=successor_of
            )
        run_at = utcnow() + timedelta(seconds=policy.delay(job.attempts) if delay is None else delay)
        return self._finish(
            job, status=JobStatus.QUEUED, error=error, run_at=run_at, writes=writes, successor_of=successor_of
        )

    def _finish(
        self,
        job: ClaimedJob,
        *,
        status: str,
        error: str | None,
        run_at: datetime | None = None,
        periodic: TaskKind | None = None,
        writes: OutcomeWrites | None = None,
        successor_of: TaskKind | None = None,
    ) -> ClaimedJob | None:
        """Record a job's outcome; with `successor_of` (its kind), also take the next job of its key."""
        parameters: dict[str, Any] = {
            "job_seq": job.seq,
            "owner": self.worker_id,
            "job_attempts": job.attempts,
            "new_status": status,
            "now": utcnow(),
            "error": error[:_ERROR_LIMIT] if error else None,
        }
        reschedules = run_at is not None
        if reschedules:
            parameters["new_run_at"] = run_at
        # Taken from the held-back jobs once, outside the write: a write may run twice.
        first = self._next_held_back(job) if successor_of is not None else None
        together = first is not None and not self.database.is_sqlite

        def record_outcome(connection: Connection) -> ClaimedJob | None:
            attempts = None
            if together:
                assert first is not None and successor_of is not None
                values = {
                    **parameters,
                    **self._take_values(successor_of, parameters["now"]),
                    "successor_seq": first[0].seq,
                }
                [(finished, attempts)] = _FINISH_AND_TAKE[reschedules].rows(connection, values)
                ours = finished == 1
            else:
                ours = _FINISH[reschedules].rowcount(connection, parameters) == 1
            if writes is not None:
                # What the run did happened either way (a webhook was sent): recorded even when the
                # lease was lost meanwhile.
                writes(connection)
            if (
                ours
                and periodic is not None
                and periodic.every_seconds is not None
                and not _has_pending(connection, periodic.name)
            ):
                # A Session on this connection joins its transaction (enqueue adds an ORM row).
                with Session(bind=connection) as session:
                    enqueue(session, periodic.name, {}, ordering_key=_periodic_key(periodic.name),
                            delay_seconds=periodic.every_seconds)  # fmt: skip
            if not ours or successor_of is None:
                return None
            if attempts is not None:
                assert first is not None
                return replace(first[0], attempts=int(attempts), prepared=first[1])
            # Not taken with the outcome, or not tried: tried (again) by a statement that sees the
            # outcome, as the next candidates are (the finished job may have been what held it back).
            return self._take_successor(connection, job, successor_of, parameters["now"], first)

        # Shared with the outcomes of jobs finishing at the same moment (docs/decisions.md, Performance).
        return self.database.grouped.run(record_outcome)

    def _next_held_back(self, job: ClaimedJob) -> tuple[ClaimedJob, PreparedRun | None] | None:
        """The next job of the job's key that the last claim left for later, with its run, if any is left."""
        with self._lock:
            waiting = self._held_back.get((job.kind, job.concurrency_key or ""))
            candidate = waiting.popleft() if waiting else None
            return None if candidate is None else (candidate, self._held_back_runs.pop(candidate.seq, None))

    @staticmethod
    def _take_values(kind: TaskKind, now: datetime) -> dict[str, Any]:
        """The parameters a take of a job of `kind` sets: the time, and its lease's end."""
        return {"now": now, "lease_until": now + timedelta(seconds=kind.lease_seconds)}

    def _take_successor(
        self,
        connection: Connection,
        job: ClaimedJob,
        kind: TaskKind,
        now: datetime,
        first: tuple[ClaimedJob, PreparedRun | None] | None,
    ) -> ClaimedJob | None:
        """Take the next job of the finished job's key that the last claim left for later, if one is still runnable.

        `first` is the candidate to try first, when one was taken from the held-back jobs already.
        The finished job leaves its key's running count in the same transaction, so the key stays
        within its cap. A candidate taken, rescheduled or blocked since the claim is passed over.
        """
        values = {**self._take_values(kind, now), "owner": self.worker_id}
        for _ in range(_SUCCESSOR_TRIES):
            held = first or self._next_held_back(job)
            first = None
            if held is None:
                return None
            candidate, run = held
            attempts = _TAKE_IF_STILL_RUNNABLE.scalar(connection, {**values, "job_seq": candidate.seq})
            if attempts is not None:
                return replace(candidate, attempts=int(attempts), prepared=run)
        return None

    def _release_held(self) -> None:
        """Hand back jobs still running at shutdown so another worker can take them at once."""
        try:
            with self.database.transaction() as session:
                session.execute(
                    update(Job)
                    .where(Job.locked_by == self.worker_id, Job.status == JobStatus.RUNNING)
                    .values(status=JobStatus.QUEUED, lease_until=None, locked_by=None, attempts=Job.attempts - 1)
                )
        except Exception:
            log.exception("releasing held jobs failed; their leases will expire")
