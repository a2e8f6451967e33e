"""Core statements compiled once per database and run on the driver's own cursor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    compiled: SQLCompiler
    # Bind name -> the type's conversion (dates to text on SQLite, JSON to its wire form...).
    processors: Mapping[str, Callable[[Any], Any]]
    # For positional paramstyles (SQLite's `?`): the bind names in order; None for named ones.
    order: Sequence[str] | None
    # A query's result columns, by position, whose type converts what the driver returns (text to
    # dates and JSON on SQLite, timestamps made timezone-aware...): (position, conversion).
    conversions: Sequence[tuple[int, Callable[[Any], Any]]]
    # Whether a bind expands to one placeholder per value (`IN` with a list the caller passes): the
    # SQL is then rendered for each run's values.
    expanding: bool
    # The placeholders of lists written into the statement (`status IN ('queued', 'running')`), with
    # their values: expanded once, at compilation, instead of on every run.
    constants: Mapping[str, Any]


class DriverStatement:
    """A statement of a hot path, without SQLAlchemy's per-run work (cache key, execution context, result).

    SQLAlchemy still compiles the statement (once per dialect) and supplies each column type's
    conversion; only the run goes straight to the driver, inside the connection's transaction, at a
    seventh of the cost of `Connection.scalar` (docs/decisions.md, Performance). Driver errors come
    out as SQLAlchemy's (IntegrityError, OperationalError...), exactly as from `Connection.execute`.
    """

    def __init__(
        self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None, planned_each_run: bool = False
    ) -> None:
        self._statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        # psycopg prepares a statement on the server after five runs, and PostgreSQL may then keep a
        # generic plan for it: right for a lookup by key, wrong for a query whose best plan depends on
        # its parameters and the table's current size (the worker's claim). Such a statement is sent
        # unprepared every time, so PostgreSQL plans it for the values of each run.
        self._planned_each_run = planned_each_run
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        found = self._by_dialect.get(key)
        if found is None:
            compiled = cast(SQLCompiler, self._statement.compile(dialect=dialect, column_keys=self._column_keys))
            # By the name each bind has in the parameters: an anonymous bind (a literal value, such as
            # a column set to None) is keyed in `binds` by its name before compilation resolved it.
            processors = {
                compiled.bind_names[bind]: processor
                for bind in compiled.binds.values()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
            order: Sequence[str] | None = compiled.positiontup if dialect.positional else None
            columns = getattr(self._statement, "selected_columns", ())
            conversions = [
                (position, conversion)
                for position, column in enumerate(columns)
                if (conversion := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
            ]
            sql, constants = str(compiled), cast(dict[str, Any], {})
            listed = compiled.post_compile_params | compiled.literal_execute_params
            expanding = any(bind.value is None or bind.callable is not None for bind in listed)
            if listed and not expanding:
                # Every list is the statement's own: rendered now. Expanding it on each run cost the
                # successor take half its CPU (`Job.status IN (...)`, docs/performance.md).
                sql, order, constants = _with_lists_rendered(compiled, dialect)
                # The lists' own binds are gone from the SQL: their values are the constants.
                lists = {compiled.bind_names[bind] for bind in listed}
                processors = {name: processor for name, processor in processors.items() if name not in lists}
            found = _Compiled(sql, compiled, processors, order, conversions, expanding, constants)
            self._by_dialect[key] = found
        return found

    def _run(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        compiled = self._compiled_for(connection.dialect)
        sql, arguments = self._expanded(compiled, values) if compiled.expanding else self._bound(compiled, values)
        cursor = connection.connection.cursor()
        try:
            if self._planned_each_run and connection.dialect.driver == "psycopg":
                cursor.execute(sql, arguments, prepare=False)  # type: ignore[call-arg]  # psycopg's own argument
            else:
                cursor.execute(sql, arguments)
        except connection.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise _as_sqlalchemy_error(connection, sql, exc) from exc
        return cursor

    @staticmethod
    def _bound(compiled: _Compiled, values: Mapping[str, Any]) -> tuple[str, Any]:
        parameters = compiled.compiled.construct_params(values)
        for name, processor in compiled.processors.items():
            parameters[name] = processor(parameters[name])
        parameters.update(compiled.constants)
        return compiled.sql, [parameters[name] for name in compiled.order] if compiled.order is not None else parameters

    @staticmethod
    def _expanded(compiled: _Compiled, values: Mapping[str, Any]) -> tuple[str, Any]:
        state = compiled.compiled.construct_expanded_state(values)
        parameters = dict(state.parameters)
        # The statement's own conversions for the binds that stayed whole; the expanded state's
        # for the placeholders each list value became.
        for name, processor in compiled.processors.items():
            if name in parameters:
                parameters[name] = processor(parameters[name])
        for name, processor in (state.processors or {}).items():
            parameters[name] = processor(parameters[name])
        order = state.positiontup
        return state.statement, [parameters[name] for name in order] if order is not None else parameters

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """Run the statement with these parameter values, for its effect."""
        self._run(connection, values).close()

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row of parameter values, in one driver call (psycopg pipelines them)."""
        compiled = self._compiled_for(connection.dialect)
        if compiled.expanding:
            raise TypeError("an expanding statement renders its SQL for each run's values: run it with execute()")
        arguments = [self._bound(compiled, values)[1] for values in rows]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, arguments)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy_error(connection, compiled.sql, exc) from exc
        finally:
            cursor.close()

    def rowcount(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run the statement for its effect; how many rows it wrote."""
        cursor = self._run(connection, values)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def scalar(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """Run the query; the first column of its first row as the driver gives it (no type conversion), or None."""
        cursor = self._run(connection, values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run the query; its rows as tuples, each value converted by its column's type as SQLAlchemy would."""
        conversions = self._compiled_for(connection.dialect).conversions
        cursor = self._run(connection, values)
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if not conversions:
            return [tuple(row) for row in fetched]
        converted = []
        for row in fetched:
            values_of_row = list(row)
            for position, conversion in conversions:
                values_of_row[position] = conversion(values_of_row[position])
            converted.append(tuple(values_of_row))
        return converted


def _with_lists_rendered(compiled: SQLCompiler, dialect: Dialect) -> tuple[str, Sequence[str] | None, dict[str, Any]]:
    """The SQL with the statement's own lists expanded, its bind order, and the lists' converted values."""
    required = {compiled.bind_names[bind]: None for bind in compiled.binds.values() if bind.required}
    state = compiled.construct_expanded_state(required)
    names = set(compiled.bind_names.values())
    constants = {name: value for name, value in state.parameters.items() if name not in names}
    for name, processor in (state.processors or {}).items():
        if name in constants:
            constants[name] = processor(constants[name])
    return state.statement, state.positiontup if dialect.positional else None, constants


def _as_sqlalchemy_error(connection: Connection, sql: str, error: Exception) -> StatementError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...)."""
    # hide_parameters: as the engines are set up, an error's text never carries the values.
    return DBAPIError.instance(sql, None, error, connection.dialect.loaded_dbapi.Error, hide_parameters=True)
