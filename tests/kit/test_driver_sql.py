"""Statements run on the driver's cursor: column types applied, SQLAlchemy's errors, the connection's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Boolean, Column, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from railbook.db import Database, JSONDocument, UTCDateTime
from railbook.kit.driver_sql import DriverStatement

metadata = MetaData()
notes = Table(
    "driver_sql_notes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("written_at", UTCDateTime()),
    Column("document", JSONDocument),
    Column("flag", Boolean, nullable=True),
)
INSERT = DriverStatement(insert(notes), column_keys=("id", "written_at", "document", "flag"))
FLAG_OF = DriverStatement(select(notes.c.id).where(notes.c.id == bindparam("wanted"), notes.c.flag.is_(True)))


@pytest.fixture
def table(database: Database) -> Iterator[Database]:
    metadata.create_all(database.engine)
    yield database
    metadata.drop_all(database.engine)


def row(note_id: str) -> dict[str, object]:
    return {
        "id": note_id,
        "written_at": datetime(2026, 11, 30, 12, 30, 15, 123456, tzinfo=UTC),
        "document": {"accountType": "USD_ACCOUNT", "digits": [1, 2, 3], "nested": {"ok": True}},
        "flag": True,
    }


def test_values_go_through_the_column_types(table: Database) -> None:
    with table.writing() as connection:
        INSERT.execute(connection, row("a"))
    with table.reading_connection() as connection:
        stored = connection.execute(select(notes)).one()
    # Read back through SQLAlchemy's own result handling: the same values, whatever each database stores.
    assert stored._asdict() == row("a")


def test_scalar_is_the_first_column_or_none(table: Database) -> None:
    with table.writing() as connection:
        INSERT.execute(connection, row("a"))
        INSERT.execute(connection, {**row("b"), "flag": None})
        assert FLAG_OF.scalar(connection, {"wanted": "a"}) == "a"
        assert FLAG_OF.scalar(connection, {"wanted": "b"}) is None
        assert FLAG_OF.scalar(connection, {"wanted": "nobody"}) is None


def test_driver_errors_are_sqlalchemy_errors_without_the_values(table: Database) -> None:
    with pytest.raises(IntegrityError) as raised, table.writing() as connection:
        INSERT.execute(connection, row("same"))
        INSERT.execute(connection, {**row("same"), "document": {"secret": "do-not-echo-me"}})
    assert "do-not-echo-me" not in str(raised.value)
    with table.reading_connection() as connection:
        assert connection.execute(select(notes.c.id)).all() == []  # the whole transaction rolled back


def test_statements_run_in_the_connections_transaction(table: Database) -> None:
    with pytest.raises(RuntimeError), table.writing() as connection:
        INSERT.execute(connection, row("undone"))
        assert FLAG_OF.scalar(connection, {"wanted": "undone"}) == "undone"  # visible inside
        raise RuntimeError("roll back")
    with table.reading_connection() as connection:
        assert connection.execute(select(notes.c.id)).all() == []


def test_rows_are_converted_by_their_column_types_as_sqlalchemy_converts_them(table: Database) -> None:
    everything = DriverStatement(select(notes).order_by(notes.c.id))
    with table.writing() as connection:
        INSERT.execute(connection, row("a"))
        INSERT.execute(connection, {**row("b"), "flag": False})
    with table.reading_connection() as connection:
        through_sqlalchemy = [tuple(found) for found in connection.execute(select(notes).order_by(notes.c.id))]
        on_the_driver = everything.rows(connection, {})
    # Dates timezone-aware, JSON as objects, flags as booleans, on SQLite (text, integers) as on PostgreSQL.
    assert (
        on_the_driver == through_sqlalchemy == [tuple(row("a").values()), tuple({**row("b"), "flag": False}.values())]
    )
    assert isinstance(on_the_driver[1][3], bool)
    with table.reading_connection() as connection:
        assert (
            DriverStatement(select(notes).where(notes.c.id == bindparam("wanted"))).rows(connection, {"wanted": "x"})
            == []
        )


def test_documents_read_back_exactly_as_written(table: Database) -> None:
    # The engines read JSON with orjson; every kind of value a stored document holds comes back equal.
    document = {
        "name": 'Zoë Ångström 🏦 "quoted" \\ back/slash \u2028',
        "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, -0.25, 1e-7],
        "flags": [True, False, None],
        "empty": {"list": [], "object": {}, "text": ""},
        "nested": {"deeper": {"deepest": ["a", {"b": "c"}]}},
    }
    with table.writing() as connection:
        INSERT.execute(connection, {**row("json"), "document": document})
    with table.reading_connection() as connection:
        through_sqlalchemy = connection.execute(select(notes.c.document)).scalar_one()
        on_the_driver = DriverStatement(select(notes.c.document)).rows(connection, {})[0][0]
    assert through_sqlalchemy == on_the_driver == document


def test_literal_values_of_converted_types_are_bound_like_parameters(table: Database) -> None:
    # A column set to None (or compared with a literal) is an anonymous bind; its type's conversion
    # still applies, under the name the compiled statement gives it.
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    clear = DriverStatement(
        update(notes).where(notes.c.id == bindparam("wanted"), notes.c.written_at > cutoff).values(written_at=None)
    )
    with table.writing() as connection:
        INSERT.execute(connection, row("literal"))
        assert clear.rowcount(connection, {"wanted": "literal"}) == 1
    with table.reading_connection() as connection:
        assert connection.execute(select(notes.c.written_at)).scalar_one() is None


def test_a_list_parameter_expands_with_each_value_converted(table: Database) -> None:
    # `IN` with a list: one placeholder per value, each converted by the column's type (a
    # timezone-aware timestamp is stored naive UTC, so an unconverted one would not match).
    wanted = DriverStatement(
        select(notes.c.id)
        .where(
            notes.c.id.in_(bindparam("ids", expanding=True)), notes.c.written_at.in_(bindparam("at", expanding=True))
        )
        .order_by(notes.c.id)
    )
    written_at = row("a")["written_at"]
    with table.writing() as connection:
        for note_id in ("a", "b", "c"):
            INSERT.execute(connection, row(note_id))
    with table.reading_connection() as connection:
        assert wanted.rows(connection, {"ids": ["a", "c", "z"], "at": [written_at]}) == [("a",), ("c",)]
        assert wanted.rows(connection, {"ids": ["b"], "at": [written_at, written_at]}) == [("b",)]
        assert wanted.rows(connection, {"ids": [], "at": [written_at]}) == []


def test_a_list_written_into_the_statement_is_rendered_once_with_its_values_converted(table: Database) -> None:
    written_at = row("a")["written_at"]
    assert isinstance(written_at, datetime)
    # A timestamp of the list converted as a parameter would be: stored naive UTC on SQLite.
    constant = DriverStatement(
        select(notes.c.id)
        .where(notes.c.written_at.in_([written_at]), notes.c.id.in_(["a", "c"]), notes.c.id != bindparam("not_id"))
        .order_by(notes.c.id)
    )
    # A list of the caller's beside one of the statement's own: both expanded on each run.
    mixed = DriverStatement(
        select(notes.c.id)
        .where(notes.c.id.in_(["a", "b"]), notes.c.written_at.in_(bindparam("at", expanding=True)))
        .order_by(notes.c.id)
    )
    with table.writing() as connection:
        for note_id in ("a", "b"):
            INSERT.execute(connection, row(note_id))
        INSERT.execute(connection, {**row("c"), "written_at": datetime(2026, 1, 1, tzinfo=UTC)})
    with table.reading_connection() as connection:
        for _ in range(3):
            assert constant.rows(connection, {"not_id": "z"}) == [("a",)]
        assert constant.rows(connection, {"not_id": "a"}) == []
        assert not constant._compiled_for(connection.dialect).expanding  # rendered at compilation, not per run
        assert mixed.rows(connection, {"at": [written_at]}) == [("a",), ("b",)]
        assert mixed.rows(connection, {"at": []}) == []


def test_many_rows_in_one_call_each_converted_and_errors_as_sqlalchemys(table: Database) -> None:
    with table.writing() as connection:
        INSERT.execute_many(connection, [row("a"), {**row("b"), "flag": None}])
    with table.reading_connection() as connection:
        stored = connection.execute(select(notes).order_by(notes.c.id)).all()
    assert [note._asdict() for note in stored] == [row("a"), {**row("b"), "flag": None}]
    with pytest.raises(IntegrityError) as raised, table.writing() as connection:
        INSERT.execute_many(connection, [row("c"), {**row("c"), "document": {"secret": "do-not-echo-me"}}])
    assert "do-not-echo-me" not in str(raised.value)
    with table.reading_connection() as connection:
        assert connection.scalar(select(notes.c.id).where(notes.c.id == "c")) is None


def test_a_statement_planned_each_run_is_never_prepared_on_the_server(table: Database) -> None:
    if table.is_sqlite:
        pytest.skip("SQLite plans every statement itself: there is no server-side prepared statement")
    planned = DriverStatement(
        select(notes.c.id).where(notes.c.id == bindparam("wanted"), notes.c.flag.is_(False)), planned_each_run=True
    )
    with table.writing() as connection:
        # psycopg prepares a statement on the server from its sixth run on the same connection.
        for _ in range(8):
            FLAG_OF.scalar(connection, {"wanted": "a"})
            planned.scalar(connection, {"wanted": "a"})
        prepared = connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    assert any("flag IS true" in statement for statement in prepared), prepared
    assert not any("flag IS false" in statement for statement in prepared), prepared
