"""The key store: claim a key before the work, record the answer after it, purge expired keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Executable, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from railbook.config import Settings
from railbook.db import Database, table_of
from railbook.errors import SHOULD_RETRY_HEADER, GridError
from railbook.idempotency.models import IdempotencyRecord, KeyState
from railbook.kit.clock import utcnow
from railbook.kit.driver_sql import DriverStatement
from railbook.kit.ids import new_uuid
from railbook.principal import Principal


def running_lock(settings: Settings) -> timedelta:
    """How long a key stays `running` before its request is taken to have died with its process.

    A request that ends frees or completes its key itself (a failed release is retried until the
    database answers); this bounds only a process's death. The longest idempotent request makes one
    provider call (Brale checks the credentials) beside its database work: three times the slowest
    provider timeout, 30 s with the defaults (it was a fixed 120 s).
    """
    return timedelta(seconds=3 * max(settings.brale_timeout_seconds, settings.plaid_timeout_seconds))


@dataclass(frozen=True)
class Claimed:
    """The key is ours: run the request, then `complete` or `release`."""

    record_id: str


@dataclass(frozen=True)
class Replay:
    """The key already holds an answer for this same request."""

    status_code: int
    body: bytes


@dataclass(frozen=True)
class Busy:
    """The key is held by a request still running."""


@dataclass(frozen=True)
class Mismatch:
    """The key was first used for a different request."""


Outcome = Claimed | Replay | Busy | Mismatch


@dataclass(frozen=True)
class NewKey:
    """A key no request has claimed yet, to be written with its answer in the commit of the work it answers."""

    principal: Principal
    key: str
    fingerprint: str
    ttl: timedelta

    def answered_row(self, status_code: int, body: bytes) -> dict[str, Any]:
        """The key's row, already answered."""
        now = utcnow()
        return {
            **self.principal.scope_parameters(),
            "key": self.key,
            "id": new_uuid(),
            "fingerprint": self.fingerprint,
            "state": KeyState.DONE,
            "status_code": status_code,
            "response_body": body,
            "locked_until": now,
            "created_at": now,
            "expires_at": now + self.ttl,
        }


class KeyTaken(Exception):
    """Another request holds (or held) the key: the work written with this answer is rolled back."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of method, path and the body as canonical JSON (the raw bytes when it is not JSON)."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(method.encode() + b"\n" + path.encode() + b"\n" + canonical).hexdigest()


_RECORDS = table_of(IdempotencyRecord)
# Built once with parameters: every request with a key runs these (docs/decisions.md, Performance).
_INSERT = insert(_RECORDS)
_EXISTING = select(IdempotencyRecord).where(
    IdempotencyRecord.platform_id == bindparam("platform_id"),
    IdempotencyRecord.mode == bindparam("mode"),
    IdempotencyRecord.key == bindparam("key"),
)
# Both act only on a key still running: a key already answered keeps its answer, whichever request
# (a slow one, or the one that took its key over) comes second.
_STILL_RUNNING = (_RECORDS.c.id == bindparam("record_id")) & (_RECORDS.c.state == KeyState.RUNNING)
_COMPLETE = (
    update(_RECORDS)
    .where(_STILL_RUNNING)
    .values(state=KeyState.DONE, status_code=bindparam("answer_status"), response_body=bindparam("answer_body"))
)
_RELEASE = delete(_RECORDS).where(_STILL_RUNNING)
# A key written with its answer leaves alone a key that is already there (no error that would abort a
# PostgreSQL transaction); the writer sees it by the row count.
# Run on the driver's cursor: it joins the create's own statements on the hot path.
_ANSWERED_COLUMNS = [column.key for column in _RECORDS.columns]
_INSERT_IF_NEW = {
    "sqlite": DriverStatement(sqlite.insert(_RECORDS).on_conflict_do_nothing(), column_keys=_ANSWERED_COLUMNS),
    "postgresql": DriverStatement(postgresql.insert(_RECORDS).on_conflict_do_nothing(), column_keys=_ANSWERED_COLUMNS),
}


def _one_statement(statement: Executable, parameters: dict[str, Any]) -> Callable[[Connection], None]:
    """A write for `Database.grouped` that runs one statement."""

    def write(connection: Connection) -> None:
        connection.execute(statement, parameters)

    return write


def claim(database: Database, principal: Principal, key: str, print_: str, ttl: timedelta, lock: timedelta) -> Outcome:
    """Write the key (committed) before any work, or say what the existing key means for this request."""
    scope = {**principal.scope_parameters(), "key": key}
    for _ in range(3):
        now = utcnow()
        record_id = new_uuid()
        row = {
            **scope,
            "id": record_id,
            "fingerprint": print_,
            "state": KeyState.RUNNING,
            "locked_until": now + lock,
            "created_at": now,
            "expires_at": now + ttl,
        }
        try:
            # Most keys are new: write the key at once (committed with whatever else this process
            # is writing right now), and look at the stored key only when the unique index says
            # there is one.
            database.grouped.run(_one_statement(_INSERT, row))
            return Claimed(record_id)
        except IntegrityError:
            pass
        with database.transaction() as session:
            existing = session.scalar(_EXISTING, scope)
            if existing is None:
                continue  # deleted meanwhile (released or expired): try to write it again
            if existing.expires_at > now:
                if existing.fingerprint != print_:
                    return Mismatch()
                if existing.state == KeyState.DONE and existing.status_code is not None:
                    return Replay(existing.status_code, existing.response_body or b"")
                if existing.locked_until > now:
                    return Busy()
                # Its request died mid-way: this one takes the key over.
                existing.locked_until = now + lock
                return Claimed(existing.id)
            session.delete(existing)  # expired: the key is free again
    return Busy()


class AnsweredElsewhere(GridError):
    """The key was answered by another request (one that took it over) while this one ran."""

    def __init__(self) -> None:
        super().__init__(
            409,
            "CONFLICT",
            "Another request with this Idempotency-Key completed first; retry to read its answer",
            headers={SHOULD_RETRY_HEADER: "true"},
        )


def complete_within(connection: Connection, claimed: Claimed, status_code: int, body: bytes) -> None:
    """Store the answer in the transaction of the work it answers: both commit, or neither does.

    Raises `AnsweredElsewhere` (rolling the work back) when the key no longer waits for an answer.
    """
    parameters = {"record_id": claimed.record_id, "answer_status": status_code, "answer_body": body}
    if connection.execute(_COMPLETE, parameters).rowcount != 1:
        raise AnsweredElsewhere()


def record_within(connection: Connection, new_key: NewKey, status_code: int, body: bytes) -> None:
    """Write a new key with its answer in the transaction of the work it answers: both commit, or neither does.

    Raises `KeyTaken` (rolling the work back) when the key exists: the caller then claims it as usual.
    """
    statement = _INSERT_IF_NEW[connection.dialect.name]
    if statement.rowcount(connection, new_key.answered_row(status_code, body)) != 1:
        raise KeyTaken()


def recording(new_key: NewKey, status_code: int, body: bytes) -> Callable[[Connection], None]:
    """A write for `Database.grouped` that stores an answer that wrote nothing (a refusal) under a new key."""

    def write(connection: Connection) -> None:
        record_within(connection, new_key, status_code, body)

    return write


def complete(database: Database, claimed: Claimed, status_code: int, body: bytes) -> None:
    """Store an answer that wrote nothing (a refusal) under the key, for replays."""
    parameters = {"record_id": claimed.record_id, "answer_status": status_code, "answer_body": body}
    database.grouped.run(_one_statement(_COMPLETE, parameters))


def release(database: Database, claimed: Claimed) -> None:
    """Forget a key still running (a 5xx or a crash): the same request may simply be sent again.

    A key whose answer committed keeps it, so a request whose commit reached the database but
    whose confirmation did not is replayed, not run again.
    """
    database.grouped.run(_one_statement(_RELEASE, {"record_id": claimed.record_id}))


def purge_expired(database: Database) -> int:
    """Delete expired keys; how many."""
    with database.transaction() as session:
        result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
