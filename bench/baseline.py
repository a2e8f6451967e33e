"""The bare baseline: FastAPI + Railbook's Pydantic parse + one statement, nothing else.

No authentication, no idempotency, no cross-field rules, no duplicate check, no review, no audit row.
One SQLite statement (WAL, synchronous=NORMAL, as Railbook), or one PostgreSQL statement through the
driver Railbook uses (psycopg 3, autocommit: each INSERT its own durable commit). It answers on the
same paths as Railbook so the same wrk scripts drive both:

    BENCH_BASELINE_DB=sqlite:////tmp/x.db uvicorn bench.baseline:app --no-access-log --log-level warning
    BENCH_BASELINE_DB=postgresql://postgres@127.0.0.1:5432/db uvicorn bench.baseline:app ...
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import psycopg
from fastapi import Body, FastAPI, Query
from fastapi.responses import Response
from pydantic import ValidationError

from railbook import API_PREFIX
from railbook.external_accounts.rails.checks import RuleContext
from railbook.external_accounts.rails.registry import account_info_adapter
from railbook.external_accounts.schemas import CustomerAccountCreate
from railbook.kit.ids import new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS external_accounts (
    id TEXT PRIMARY KEY,
    customer_id TEXT,
    account_type TEXT NOT NULL,
    currency TEXT NOT NULL,
    account_info TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_baseline_customer_created ON external_accounts (customer_id, created_at, id);
"""

_local = threading.local()
Row = tuple[str, str | None, str, str, str, str]


def is_postgres(target: str) -> bool:
    """Whether the target is a PostgreSQL URL (else a sqlite:/// URL)."""
    return target.startswith(("postgresql:", "postgres:"))


class Connection:
    """One SQLite or psycopg connection, taking `?` placeholders either way."""

    def __init__(self, target: str) -> None:
        self.postgres = is_postgres(target)
        if self.postgres:
            self._raw: Any = psycopg.connect(target, autocommit=True)
        else:
            # The pragmas Railbook uses: WAL, synchronous=NORMAL, busy timeout.
            raw = sqlite3.connect(target.removeprefix("sqlite:///"), timeout=30, isolation_level=None,
                                  check_same_thread=False)  # fmt: skip
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA busy_timeout=30000")
            self._raw = raw

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        """Run one statement; the cursor."""
        return self._raw.execute(sql.replace("?", "%s") if self.postgres else sql, parameters)

    def close(self) -> None:
        """Close the connection."""
        self._raw.close()


def _connection() -> Connection:
    connection: Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = Connection(os.environ["BENCH_BASELINE_DB"])
        _local.connection = connection
    return connection


def create_schema(target: str) -> None:
    """Create the one table and its index."""
    connection = Connection(target)
    for statement in filter(str.strip, SCHEMA.split(";")):
        connection.execute(statement)
    connection.close()


def seed(target: str, rows: Iterable[Row]) -> None:
    """Insert (id, customer_id, account_type, currency, account_info JSON, created_at) rows."""
    if is_postgres(target):
        with (
            psycopg.connect(target) as raw,
            raw.cursor() as cursor,
            cursor.copy("COPY external_accounts FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        with psycopg.connect(target, autocommit=True) as raw:
            # Statistics before the first read, as Railbook's seeded tables get (bench/run.py).
            raw.execute("ANALYZE external_accounts")
        return
    connection = Connection(target)
    connection.execute("BEGIN")
    connection._raw.executemany("INSERT INTO external_accounts VALUES (?, ?, ?, ?, ?, ?)", rows)
    connection.execute("COMMIT")
    connection.close()


def count(target: str) -> int:
    """How many rows the table holds."""
    connection = Connection(target)
    try:
        found: int = connection.execute("SELECT count(*) FROM external_accounts").fetchone()[0]
    finally:
        connection.close()
    return found


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _render(row: Row) -> dict[str, Any]:
    return {"id": row[0], "customerId": row[1], "currency": row[3], "accountInfo": orjson.loads(row[4])}


app = FastAPI()
# Built at start-up, as Railbook does.
account_info_adapter()


@app.post(f"{API_PREFIX}/customers/external-accounts")
def create(raw: Annotated[Any, Body()]) -> Response:
    """Parse the envelope and accountInfo with Railbook's models, insert one row."""
    try:
        envelope = CustomerAccountCreate.model_validate(raw)
        context = RuleContext(enforce_check_digits=False, allow_test_networks=True)
        info = account_info_adapter().validate_python(envelope.account_info, context=context)
    except ValidationError as exc:
        return _json({"status": 400, "code": "INVALID_INPUT", "message": str(exc.error_count())}, 400)
    stored = info.stored()
    row = (
        new_id("ExternalAccount"),
        envelope.customer_id,
        str(stored["accountType"]),
        envelope.currency,
        orjson.dumps(stored).decode(),
        datetime.now(UTC).isoformat(),
    )
    _connection().execute("INSERT INTO external_accounts VALUES (?, ?, ?, ?, ?, ?)", row)
    return _json(_render(row), 201)


@app.get(f"{API_PREFIX}/customers/external-accounts/{{account_id}}")
def get(account_id: str) -> Response:
    """One row by primary key."""
    row = _connection().execute("SELECT * FROM external_accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        return _json({"status": 404, "code": "REFERENCE_NOT_FOUND", "message": account_id}, 404)
    return _json(_render(row))


@app.get(f"{API_PREFIX}/customers/external-accounts")
def list_accounts(customer_id: Annotated[str, Query(alias="customerId")], limit: int = 20) -> Response:
    """One customer's newest rows (no count, no cursor)."""
    rows = (
        _connection()
        .execute(
            "SELECT * FROM external_accounts WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (customer_id, limit + 1),
        )
        .fetchall()
    )
    return _json({"data": [_render(row) for row in rows[:limit]], "hasMore": len(rows) > limit})
