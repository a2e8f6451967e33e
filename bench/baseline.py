"""The bare baseline: FastAPI + Railbook's Pydantic parse + one SQLite statement, nothing else.

No authentication, no idempotency, no cross-field rules, no duplicate check, no review, no audit row.
It answers on the same paths as Railbook so the same wrk scripts drive both:

    BENCH_BASELINE_DB=/tmp/x.db uvicorn bench.baseline:app --no-access-log --log-level warning
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
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


def connect(path: str) -> sqlite3.Connection:
    """A connection with the pragmas Railbook uses (WAL, synchronous=NORMAL, busy timeout)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _connection() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = connect(os.environ["BENCH_BASELINE_DB"])
        _local.connection = connection
    return connection


def create_schema(path: str) -> None:
    """Create the one table."""
    connection = connect(path)
    connection.executescript(SCHEMA)
    connection.close()


def seed(path: str, rows: Iterable[tuple[str, str | None, str, str, str, str]]) -> None:
    """Insert (id, customer_id, account_type, currency, account_info JSON, created_at) rows."""
    connection = connect(path)
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO external_accounts VALUES (?, ?, ?, ?, ?, ?)", rows)
    connection.execute("COMMIT")
    connection.close()


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _render(row: tuple[str, str | None, str, str, str, str]) -> dict[str, Any]:
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
