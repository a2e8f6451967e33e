"""Apply Alembic migrations programmatically (the CLI and the tests use this).

Alembic is imported only by what migrates: every CLI command checks the schema revision first, and
importing Alembic for that check was an eighth of a second on each invocation.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from railbook.db import is_sqlite, normalise_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision; tests/cli/test_cli_database.py fails when it is not Alembic's head.
HEAD_REVISION = "0014"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and this database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (creating a SQLite file's folder)."""
    if is_sqlite(url):
        path = normalise_url(url).removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL or an in-memory database)."""
    if not is_sqlite(url):
        return None
    path = make_url(normalise_url(url)).database
    return Path(path) if path and path != ":memory:" else None


def describe(url: str) -> str:
    """Where the database is, for messages: the absolute SQLite file, or the server without a password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path.absolute())
    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str:
    """The newest schema revision this Railbook knows (`HEAD_REVISION`)."""
    return HEAD_REVISION


def alembic_head() -> str | None:
    """The head Alembic finds in the packaged migrations (what `HEAD_REVISION` must be)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The schema revision of the database at `url`, None when it has none; creates nothing.

    A missing SQLite file is None (connecting would create it), and an existing one is opened
    read-only. A PostgreSQL server that cannot be reached raises SQLAlchemy's OperationalError.
    """
    path = sqlite_file(url)
    if path is not None:
        if not path.is_file():
            return None
        uri = f"{path.absolute().as_uri()}?mode=ro"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)
    else:
        engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Alembic's own table, read as MigrationContext.get_current_revision reads it.
            if not inspect(connection).has_table("alembic_version"):
                return None
            revision: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return revision
    finally:
        engine.dispose()
