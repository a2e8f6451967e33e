"""What every CLI command shares: settings from the environment and a database handle.

Commands import what they use inside their own bodies: `railbook` loads every command module to
build its help, and importing every domain up front tripled the start-up of each invocation.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Any

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
    """A handle on the configured database, which must exist at the current schema (else a one-line exit)."""
    import railbook.tables  # noqa: F401 - every table known: foreign keys span domains

    memo = _command_memo()
    handle = memo.get(_DATABASE)
    if isinstance(handle, Database):
        return handle
    configured = settings()
    require_database(configured)
    handle = Database(configured.effective_database_url)
    memo[_DATABASE] = handle
    return handle


_DATABASE, _CHECKED = "database", "checked-urls"
# What the running command remembers: its database handle, the URLs it found at the current schema.
_MEMO: ContextVar[dict[str, Any] | None] = ContextVar("railbook_cli_memo", default=None)


def begin_command(context: typer.Context) -> None:
    """Give the command a memo, and close what it opened when it ends (the CLI may run inside another program)."""
    memo: dict[str, Any] = {}
    _MEMO.set(memo)

    def close() -> None:
        handle = memo.pop(_DATABASE, None)
        if isinstance(handle, Database):
            handle.dispose()  # no pooled connection outlives the command
        _MEMO.set(None)

    context.call_on_close(close)


def _command_memo() -> dict[str, Any]:
    memo = _MEMO.get()
    # Outside a command (a script calling these helpers) nothing is remembered.
    return memo if memo is not None else {}


def require_database(configured: Settings) -> None:
    """Exit with one line, creating nothing, unless the configured database exists at the current schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from railbook.migrate import current_revision, describe, head_revision

    url = configured.effective_database_url
    checked: set[str] = _command_memo().setdefault(_CHECKED, set())
    if url in checked:
        return
    where = describe(url)
    try:
        revision = current_revision(url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise fail(f"cannot reach the Railbook database at {where}: {reason}") from None
    if revision is None:
        raise fail(f"no Railbook database at {where} ({_where_from(configured)}): {_HOW_TO_CREATE}")
    head = head_revision()
    if revision != head:
        raise fail(f"the Railbook database at {where} is at revision {revision}, not {head}: run `railbook db upgrade`")
    checked.add(url)


_HOW_TO_CREATE = (
    "create one with `make serve` or `railbook db upgrade`, or point RAILBOOK_DATA_DIR "
    "(or RAILBOOK_DATABASE_URL) at an existing one"
)


def _where_from(configured: Settings) -> str:
    """Which setting chose the database, so the reader knows what to change."""
    if configured.database_url:
        return "from RAILBOOK_DATABASE_URL"
    data_dir = configured.data_dir
    relative = "" if data_dir.is_absolute() else ", relative to the current folder"
    return f"RAILBOOK_DATA_DIR is {data_dir}{relative}"


def command_name() -> str:
    """How this CLI was invoked (`.venv/bin/railbook` from `make serve`), for commands to copy."""
    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("railbook")
    return str(invoked) if invoked.name == "railbook" else "railbook"


def master_keys() -> MasterKeys:
    """The master keys for the configured deployment, or a clean CLI error (which never echoes key text)."""
    configured = settings()
    # A sandbox key is generated on first use: never beside a database that is not there.
    require_database(configured)
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
