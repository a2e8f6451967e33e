"""The migration history builds exactly the schema the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import railbook.tables  # noqa: F401 - every model on Base.metadata
from railbook.db import Base, Database


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            # SQLite reflects column types only approximately (type affinity), so types are compared
            # on PostgreSQL; tables, columns, nullability and indexes on both.
            context = MigrationContext.configure(connection, opts={"compare_type": not database.is_sqlite})
            differences = compare_metadata(context, Base.metadata)
    finally:
        database.dispose()
    # A model changed without a migration (or the reverse) shows up here, index names included.
    assert differences == []
