"""Engines, sessions and the declarative base shared by every domain's tables."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

from railbook.group_commit import GroupCommit
from railbook.wal_checkpoints import WalCheckpointer

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base; every table of every domain hangs off its metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The model's table, for Core statements (compiled once, values passed as parameters)."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC and read back timezone-aware, the same on both databases."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """Pick Railbook's drivers: pysqlite for SQLite, psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def _in_memory(url: str) -> bool:
    """True for a SQLite URL naming no file (the database lives in one connection)."""
    database = make_url(url).database
    return not database or database == ":memory:" or database.startswith("file::memory:")


# WAL pages at which a committing SQLite writer checkpoints by itself (see _configure_sqlite).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 4000

# Connections kept open per process. Enough for every request thread (anyio's 40) and the embedded
# worker at once: a connection opened beyond the pool is closed again on return, and with 32
# concurrent requests that churn (connect + PRAGMAs, or a PostgreSQL backend start) cost more than
# the queries did (docs/decisions.md, Performance).
SQLITE_POOL_SIZE = 48
# As many as the request threads (40), the group commit's turns and the worker use at once: a
# connection beyond the pool is opened and closed for each use, and on PostgreSQL that is a server
# backend started and torn down per request (it was 20, and reads under load churned connections).
POSTGRES_POOL_SIZE = 52
# Group-commit transactions running at once on PostgreSQL: a worker thread's turn (a job's outcome)
# spends most of its time waiting on round trips, which other connections' turns fill
# (docs/performance.md). SQLite has one writer.
POSTGRES_WRITE_TURNS = 4
# Of those, the turns the event loop's writes (creates) take at once: one committer gathers the
# requests that arrive meanwhile into one transaction; four split them into smaller groups that
# cost more per create (docs/performance.md).
POSTGRES_LOOP_COMMITTERS = 1
# Connections of an event loop's reads on PostgreSQL: as many as the requests one process has in
# flight at once under load (32 in the benchmarks), so reads neither wait for one nor open one each.
POSTGRES_LOOP_READ_POOL_SIZE = 32


def create_db_engine(url: str) -> Engine:
    """An engine for the URL with SQLite set up for concurrent use (WAL, foreign keys, busy timeout)."""
    # JSON columns are read with orjson: the standard library's parser was a fifth of the client's
    # CPU for a page of twenty accounts on PostgreSQL (docs/performance.md). Values are written as
    # before, so stored documents keep their form.
    url = normalise_url(url)
    if is_sqlite(url):
        in_memory = _in_memory(url)
        # An in-memory database lives in one connection (SQLAlchemy's SingletonThreadPool): no pool to
        # size. Last in, first out: a SQLite connection drops its page cache when another connection
        # wrote since its last use, so the connection used last is the warmest; taking the one idle
        # longest (the default) made a webhook delivery cost more CPU (docs/decisions.md, Performance).
        pool = {} if in_memory else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 16, "pool_use_lifo": True}
        # hide_parameters: an error's text (logged) never carries the values a statement was given.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            json_deserializer=orjson.loads,
            **pool,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=10,
        # No ping before each checkout: it was a round trip of its own before every read and write
        # (a get by id is one statement). A connection the server dropped fails its first statement
        # instead; SQLAlchemy then recognises the disconnect and discards every connection opened
        # before it, so after a database restart the requests in flight get a 503 and the next ones
        # run on new connections (tests/app/test_database_faults.py; docs/decisions.md).
        pool_pre_ping=False,
        hide_parameters=True,
        json_deserializer=orjson.loads,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself, so writers can take the lock up front (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 512 KiB of page cache per connection instead of SQLite's 2 MiB: the pool keeps 48
        # connections, whose caches filled as the database grew (1 MiB each put the process at
        # 201 MB after 100k creates), and the operating system's file cache already holds the hot
        # pages for all of them.
        cursor.execute("PRAGMA cache_size=-512")
        # The writer checkpoints by itself only once the WAL holds 4,000 pages (about 16 MB) rather than
        # SQLite's 1,000: the background checkpoints (WalCheckpointer) copy the frames before then, and
        # the writer's own pass, which no other write of the process can commit through, comes a
        # quarter as often with little left to copy (docs/performance.md).
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that later writes can fail at once with "database is locked"
        # (the busy timeout does not apply to lock upgrades); writers start IMMEDIATE instead.
        write = connection.get_execution_options().get("railbook_write", False)
        # Straight to the driver: SQLAlchemy's statement machinery (events, result handling) was
        # a tenth of a create's CPU for a statement that takes no parameters and returns nothing.
        cursor = connection.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        cursor.close()


# The connection a write Session's transaction began on (its deferred work runs there).
_CONNECTION = "railbook_connection"

# Set by enqueue() in the info of the Session or Connection it wrote on; once that transaction
# commits, the database wakes this process's job workers.
JOBS_ENQUEUED = "railbook_jobs_enqueued"


def note_jobs_enqueued(executor: Session | Connection) -> None:
    """Remember that the executor's transaction queued jobs, so its commit wakes the workers."""
    executor.info[JOBS_ENQUEUED] = True


# Work a write transaction defers to its end, by name: run on its connection, in name order, just
# before it commits (kept in the pooled connection's info, so cleared whenever a transaction ends).
BEFORE_COMMIT = "railbook_before_commit"


Deferred = TypeVar("Deferred", bound=Callable[[Connection], None])


def before_commit(connection: Connection, name: str, make: Callable[[], Deferred]) -> Deferred:
    """The transaction's deferred work called `name` (made on first use), run on `connection` just before it commits."""
    registry: dict[str, Callable[[Connection], None]] = connection.info.setdefault(BEFORE_COMMIT, {})
    work = registry.get(name)
    if work is None:
        work = registry[name] = make()
    return cast(Deferred, work)


def _run_before_commit(connection: Connection) -> None:
    deferred: dict[str, Callable[[Connection], None]] = connection.info.pop(BEFORE_COMMIT, {})
    for name in sorted(deferred):
        deferred[name](connection)


class Database:
    """One engine and its session factories: read sessions and write sessions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.is_sqlite = is_sqlite(self.url)
        self._write_engine = self.engine.execution_options(railbook_write=True)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=False)
        self._write = sessionmaker(bind=self._write_engine, expire_on_commit=False, autoflush=False)
        self.on_jobs_committed: list[Callable[[], None]] = []
        # The async engines reads run on, per event loop that serves requests (reads_on_this_loop).
        self._loop_reads: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        # SQLite lets one writer in at a time, and a writer kept out sleeps in its busy handler for
        # up to 100 ms between tries: threads of one process queue here instead, and are let in the
        # moment the lock is free. (Other processes still meet the busy timeout.)
        self._write_lock: AbstractContextManager[Any] = threading.RLock() if self.is_sqlite else nullcontext()
        # Small writes of this process that arrive together (creates, idempotency keys, job
        # outcomes, and validate-only's reads) commit in one transaction.
        self.grouped = (
            GroupCommit(self.writing)
            if self.is_sqlite
            else GroupCommit(self.writing, turns=POSTGRES_WRITE_TURNS, committers=POSTGRES_LOOP_COMMITTERS)
        )
        # A SQLite file's WAL is copied into the database from a thread of its own, not by the writer.
        in_a_file = self.is_sqlite and not _in_memory(self.url)
        self._checkpoints = WalCheckpointer(str(make_url(self.url).database)) if in_a_file else None
        event.listen(self._write, "after_begin", self._after_begin)
        event.listen(self._write, "after_commit", self._after_commit)
        event.listen(self._write, "after_rollback", self._after_rollback)

    def _after_begin(self, session: Session, _: Any, connection: Connection) -> None:
        session.info[_CONNECTION] = connection

    def _after_commit(self, session: Session) -> None:
        if self._checkpoints is not None:
            self._checkpoints.written()
        if session.info.pop(JOBS_ENQUEUED, False):
            self._wake_workers()

    def _wake_workers(self) -> None:
        for wake in self.on_jobs_committed:
            wake()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(JOBS_ENQUEUED, None)
        # Work deferred by a transaction that failed must not run in the next one on this connection.
        connection = session.info.pop(_CONNECTION, None)
        if connection is not None:
            connection.info.pop(BEFORE_COMMIT, None)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._write_lock, self._write() as session, session.begin():
            yield session
            connection = session.info.pop(_CONNECTION, None)
            if connection is not None:
                _run_before_commit(connection)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with self._read() as session, session.begin():
            yield session

    # Plain connections, without the ORM's Session, for the job worker's and the create's statements:
    # a Session's bookkeeping is a measurable share of a small write (docs/decisions.md, Performance).
    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction on a plain connection: committed when the block ends, rolled back if it raises."""
        with self._write_lock:
            with self._write_engine.begin() as connection:
                # The flags live on the pooled driver connection: cleared here whatever happens, so
                # they never outlive this transaction.
                try:
                    yield connection
                    _run_before_commit(connection)
                finally:
                    connection.info.pop(BEFORE_COMMIT, None)
                    enqueued = connection.info.pop(JOBS_ENQUEUED, False)
            if self._checkpoints is not None:
                self._checkpoints.written()
            if enqueued:
                self._wake_workers()

    @contextmanager
    def reading_connection(self) -> Iterator[Connection]:
        """A plain connection for one read statement (rolled back at the end on SQLite)."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                # One statement needs no transaction around it: on PostgreSQL that spares the BEGIN
                # and ROLLBACK round trips, a third of a webhook's event read (docs/decisions.md, Performance).
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @asynccontextmanager
    async def reads_on_this_loop(self) -> AsyncIterator[None]:
        """Run this event loop's PostgreSQL reads on psycopg's async driver until the block ends (an app's lifespan).

        An async connection belongs to the loop it was opened on, so the engine lives exactly as long
        as the loop serves: a read on any other loop takes the thread pool.
        """
        loop = asyncio.get_running_loop()
        if self.is_sqlite or loop in self._loop_reads:
            yield
            return
        engine = create_async_engine(
            self.url,
            pool_size=POSTGRES_LOOP_READ_POOL_SIZE,
            max_overflow=16,
            pool_pre_ping=False,
            hide_parameters=True,
            json_deserializer=orjson.loads,
            # One statement needs no transaction around it (as on reading_connection).
            isolation_level="AUTOCOMMIT",
        )
        self._loop_reads[loop] = engine
        try:
            yield
        finally:
            del self._loop_reads[loop]
            await engine.dispose()

    async def read(self, work: Callable[[Connection], T], *, bounded: bool = False) -> T:
        """Run `work` on a plain reading connection: the one way a request runs a read.

        On PostgreSQL, `work` runs on the serving loop's async connection: SQLAlchemy carries the same
        synchronous code over psycopg's async driver, which cost about half the CPU of a read handed to
        a thread and its sync connection (docs/performance.md). A bounded read (one row, or a few, by
        key) on SQLite runs inline: it takes microseconds, and a thread hand-off costs a request more
        than the read. Everything else runs in the thread pool, off the event loop.
        """
        if bounded and self.is_sqlite:
            return self._read_with(work)
        engine = self._loop_reads.get(asyncio.get_running_loop()) if self._loop_reads else None
        if engine is not None:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        return await run_in_threadpool(self._read_with, work)

    def _read_with(self, work: Callable[[Connection], T]) -> T:
        with self.reading_connection() as connection:
            return work(connection)

    def stop_threads(self) -> None:
        """Stop the group commit's and the checkpoints' threads when their work is done; writes restart them."""
        self.grouped.close()
        if self._checkpoints is not None:
            self._checkpoints.close()

    def dispose(self) -> None:
        """Stop this database's threads and close every pooled connection."""
        self.stop_threads()
        self.engine.dispose()
