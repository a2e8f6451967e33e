"""Apply Alembic migrations programmatically (the CLI and the tests use this)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from railbook.db import is_sqlite, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and this database."""
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
    """The newest schema revision this Railbook knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the packaged migrations have a head"
    return head


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
            revision: str | None = MigrationContext.configure(connection).get_current_revision()
            return revision
    finally:
        engine.dispose()
