"""What every CLI command shares: settings from the environment and a database handle.

Commands import what they use inside their own bodies: `railbook` loads every command module to
build its help, and importing every domain up front tripled the start-up of each invocation.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.keys import MissingMasterKeys, load_master_keys
from railbook.kit.crypto import MasterKeys


class ModeOption(StrEnum):
    """`--mode` values as typed on the command line."""

    sandbox = "sandbox"
    production = "production"

    def as_mode(self) -> Mode:
        """The Mode this option names."""
        return Mode(self.value.upper())


def settings() -> Settings:
    """Settings from RAILBOOK_* environment variables."""
    return Settings()


def database() -> Database:
    """A database handle for the configured URL, with every table known (foreign keys span domains)."""
    import railbook.tables  # noqa: F401

    return Database(settings().effective_database_url)


def master_keys() -> MasterKeys:
    """The master keys for the configured deployment, or a clean CLI error (which never echoes key text)."""
    configured = settings()
    try:
        return load_master_keys(configured)
    except (MissingMasterKeys, ValueError) as exc:
        raise fail(f"cannot load master keys: {exc}") from None


def fail(message: str) -> typer.Exit:
    """Print an error and return the exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code=1)


# platforms.name is String(128); PostgreSQL rejects longer names, SQLite would silently keep them.
MAX_PLATFORM_NAME = 128


def platform_name(name: str) -> str:
    """The name, or a clean CLI error when it is blank or longer than the column allows."""
    if not name.strip():
        raise fail("a platform name must not be blank")
    if len(name) > MAX_PLATFORM_NAME:
        raise fail(f"a platform name must be at most {MAX_PLATFORM_NAME} characters")
    return name
