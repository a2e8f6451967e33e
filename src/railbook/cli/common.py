"""What every CLI command shares: settings from the environment and a database handle."""

from __future__ import annotations

from enum import StrEnum

import typer

from railbook.config import Mode, Settings
from railbook.db import Database


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
    """A database handle for the configured URL."""
    return Database(settings().effective_database_url)


def fail(message: str) -> typer.Exit:
    """Print an error and return the exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code=1)
