"""The CLI and its database: one clear line and nothing created when there is none; starts say what they did."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from railbook.db import normalise_url
from railbook.migrate import alembic_config, alembic_head, head_revision
from tests.support.cli_runner import CLI_TIMEOUT, clean_env, fails, in_a_process, ok
from tests.support.serve_process import serving
from tests.support.workers import wait_until

# Every command that reads or writes the database, with arguments it would accept.
NEEDS_A_DATABASE = [
    ("platforms", "list"),
    ("platforms", "create", "acme"),
    ("platforms", "show", "acme", "--mode", "sandbox"),
    ("tokens", "create", "--platform", "acme", "--mode", "sandbox"),
    ("tokens", "list"),
    ("tokens", "revoke", "0190d000-0000-7000-8000-000000000000"),
    ("worker",),
    ("webhooks", "deliveries"),
    ("webhooks", "replay", "Event:0190d000-0000-7000-8000-000000000000"),
    ("secrets", "rotate"),
    ("accounts", "audit", "ExternalAccount:0190d000-0000-7000-8000-000000000000"),
    ("stablecoin-links", "list"),
]


def no_railbook_env(**railbook: str) -> dict[str, str]:
    """The caller's environment without any RAILBOOK_* variable, plus these."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAILBOOK_")}
    env.update({f"RAILBOOK_{name.upper()}": value for name, value in railbook.items()})
    return env


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.subprocess
def test_a_folder_without_a_database_gets_one_line_and_nothing_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    for args in NEEDS_A_DATABASE:
        line = one_line(fails(no_railbook_env(), *args, cwd=folder))
        where = " ".join(args)
        assert f"no Railbook database at {folder / '.railbook' / 'railbook.db'}" in line, where
        for hint in ("RAILBOOK_DATA_DIR", "make serve", "railbook db upgrade"):
            assert hint in line, f"{where}: {line}"
        assert list(folder.iterdir()) == [], f"{where} created {list(folder.rglob('*'))}"


@pytest.mark.subprocess
def test_a_data_dir_without_a_database_is_left_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-yet"
    line = one_line(fails(no_railbook_env(data_dir=str(data_dir)), "tokens", "list", cwd=tmp_path))
    assert f"no Railbook database at {data_dir / 'railbook.db'} (RAILBOOK_DATA_DIR is {data_dir})" in line
    assert not data_dir.exists()


@pytest.mark.subprocess
def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    env = clean_env("postgresql://railbook:hunter2@127.0.0.1:1/railbook", tmp_path / "data")
    line = one_line(fails(env, "platforms", "list"))
    assert line.startswith("cannot reach the Railbook database at postgresql://railbook:***@127.0.0.1:1/railbook")
    assert "hunter2" not in line
    assert not (tmp_path / "data").exists()


def test_the_head_the_cli_checks_against_is_alembics() -> None:
    assert head_revision() == alembic_head()


@pytest.mark.subprocess
def test_db_upgrade_says_from_which_revision_to_which(tmp_path: Path) -> None:
    path = tmp_path / "db" / "railbook.db"
    env = clean_env(f"sqlite:///{path}", tmp_path / "data")
    head = head_revision()
    assert ok(env, "db", "upgrade").strip() == f"created the Railbook database at {path}, migrated to revision {head}"
    assert ok(env, "db", "upgrade").strip() == f"the Railbook database at {path} is up to date (revision {head})"

    older = tmp_path / "older.db"
    previous = _previous(head)
    command.upgrade(alembic_config(f"sqlite:///{older}"), previous)
    older_env = clean_env(f"sqlite:///{older}", tmp_path / "data")
    line = one_line(fails(older_env, "platforms", "list"))
    assert f"at revision {previous}, not {head}: run `railbook db upgrade`" in line
    migrated = ok(older_env, "db", "upgrade").strip()
    assert migrated == f"migrated the Railbook database at {older} from revision {previous} to {head}"
    assert ok(older_env, "platforms", "list") == ""


def _previous(head: str) -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head)
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


@pytest.mark.subprocess
def test_db_upgrade_with_a_platform_prints_the_command_that_mints_a_token(tmp_path: Path) -> None:
    env = clean_env(f"sqlite:///{tmp_path / 'railbook.db'}", tmp_path / "data")
    assert "tokens create" not in ok(env, "db", "upgrade")
    ok(env, "platforms", "create", "acme corp")
    # The installed command, which prints how it was invoked.
    printed = in_a_process(env, "db", "upgrade").stdout.splitlines()
    assert printed[1].startswith("Platforms in this database: acme corp."), printed
    mint = printed[2].strip()
    assert mint.endswith("tokens create --platform 'acme corp' --mode sandbox"), printed
    # The line runs as printed.
    minted = subprocess.run(shlex.split(mint), env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert minted.returncode == 0 and "secret" in minted.stdout, minted.stderr


@pytest.mark.subprocess
def test_serve_creates_its_database_and_a_second_start_says_how_to_mint(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    env = no_railbook_env(data_dir=str(data_dir))
    with serving(env, tmp_path / "first.stderr") as first:
        first.read_until("curl ")
        first.wait_healthy()
    assert any(line.startswith("created the Railbook database at ") for line in first.lines), first.lines
    assert (data_dir / "railbook.db").is_file()

    with serving(env, tmp_path / "second.stderr") as second:
        second.read_until("Serving Railbook")
    hint = [line.strip() for line in second.lines if "tokens create" in line]
    assert len(hint) == 1 and hint[0].endswith("railbook tokens create --platform default --mode sandbox"), second.lines
    assert not any(line.startswith(("created", "migrated")) for line in second.lines), second.lines


@pytest.mark.subprocess
def test_production_serve_does_not_create_a_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "prod"
    env = no_railbook_env(data_dir=str(data_dir), mode="production", secret_keys="k1:" + "A" * 43 + "=")
    line = one_line(fails(env, "serve", "--port", "1"))
    assert "no Railbook database at" in line and "railbook db upgrade" in line
    assert not data_dir.exists()


def test_a_command_closes_its_database_connections_when_it_ends(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL counts its connections")
    env = clean_env(database_url, tmp_path / "data")
    name = make_url(database_url).database
    counter = create_engine(normalise_url(database_url), poolclass=NullPool)

    def open_connections() -> int:
        with counter.connect() as connection:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()")
            return int(connection.execute(query, {"name": name}).scalar_one())

    try:
        before = open_connections()
        ok(env, "platforms", "create", "acme")
        for _ in range(5):
            ok(env, "platforms", "list")
        # Run in this process: a command that left its pool open would leave connections behind.
        # A closed connection's backend leaves pg_stat_activity a moment after the client hangs up,
        # so the count is polled; one left open would never go.
        wait_until(lambda: open_connections() <= before, 5.0, lambda: f"{open_connections()} connections left open")
    finally:
        counter.dispose()
