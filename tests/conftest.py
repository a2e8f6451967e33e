"""Fixtures: both databases, the real app over HTTP, and API tokens."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from railbook.config import Mode, Settings
from railbook.db import Base, Database, normalise_url
from railbook.kit.crypto import MasterKeys
from railbook.kit.heap import settle_for_serving
from railbook.migrate import upgrade
from railbook.platforms import service as platforms
from railbook.providers.brale.simulator import create_brale_simulator
from tests.support.brale import BraleControl
from tests.support.clients import api_client
from tests.support.servers import serving

POSTGRES_URL = os.environ.get("RAILBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# The databases every database test runs on: both unless told (`make test-fast` runs SQLite alone).
DATABASES = [name for name in os.environ.get("RAILBOOK_TEST_DATABASES", "sqlite,postgres").split(",") if name]
# Set by `make test-fast`: a test that starts a process without the `subprocess` mark fails, so the mark stays true.
NO_SUBPROCESSES = os.environ.get("RAILBOOK_TEST_NO_SUBPROCESSES") == "1"
# A fixed master key for tests (never used outside them).
TEST_SECRET_KEYS = "test1:" + base64.b64encode(bytes(range(32))).decode()
TEST_KEYS = MasterKeys.parse(TEST_SECRET_KEYS)

# Fixtures shared by the browser tests of the pages people use.
pytest_plugins = ["tests.support.browser"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated once, dropped at the end."""
    admin_url = normalise_url(POSTGRES_URL)
    # No pool: a test restarts PostgreSQL, and a pooled connection would be dead by teardown.
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"railbook_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and could not be reached: {exc.orig}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Settle a test process's heap as a server's: what import and collection built leaves the collector's walks."""
    settle_for_serving()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Keep the run's promises: exclusive tests run alone, and a fast run starts no process."""
    if item.get_closest_marker("exclusive") and os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail("an exclusive test disturbs what parallel tests share: run it alone (`make pytest` does)")
    if NO_SUBPROCESSES and item.get_closest_marker("subprocess"):
        pytest.fail("a subprocess test was selected in a run without processes: deselect `subprocess`")


@pytest.fixture(autouse=True)
def refuse_unmarked_subprocesses(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a run without processes, starting one fails the test: it lacks the `subprocess` mark."""
    if not NO_SUBPROCESSES:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{request.node.nodeid} starts a process: mark it `subprocess`")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database of each kind for every test that touches one."""
    if request.param == "sqlite":
        path = tmp_path / "railbook.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    _truncate(url)
    yield url


def _truncate(url: str) -> None:
    """Empty every table; rebuild the schema when a test broke it on purpose."""
    engine = create_engine(normalise_url(url))
    # DELETE, children first: a test leaves a few rows, and TRUNCATE's new files and fsyncs cost
    # 95 ms a test against 15 ms for DELETE (the PostgreSQL half of the suite ran 30 s longer).
    emptied = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(emptied)
    except ProgrammingError:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade(url)
    finally:
        engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test app: its own data dir, no token cache (revocations apply at once)."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        auth_cache_seconds=0,
        secret_keys=TEST_SECRET_KEYS,
        embedded_worker=False,
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """A handle on the test database."""
    handle = Database(settings.effective_database_url)
    yield handle
    handle.dispose()


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    """The real app, over HTTP, without credentials."""
    with api_client(settings, database) as test_client:
        yield test_client


@dataclass(frozen=True)
class Token:
    """An API token usable in tests."""

    id: str
    secret: str
    platform_id: str
    mode: Mode

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for this token."""
        raw = base64.b64encode(f"{self.id}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}


def make_token(database: Database, platform_name: str, mode: Mode) -> Token:
    """Mint a token for a platform (created when missing)."""
    with database.transaction() as session:
        platform = platforms.ensure_platform(session, TEST_KEYS, platform_name)
        minted = platforms.mint_token(session, platform, mode)
    return Token(minted.id, minted.secret, minted.platform_id, mode)


@pytest.fixture
def token(database: Database) -> Token:
    """A sandbox token of platform `acme`."""
    return make_token(database, "acme", Mode.SANDBOX)


@pytest.fixture
def api(client: TestClient, token: Token) -> TestClient:
    """The app with the `acme` sandbox token on every request."""
    client.headers.update(token.headers)
    return client


@pytest.fixture(scope="session")
def brale_url() -> Iterator[str]:
    """The Brale simulator on its own port (a real HTTP peer), shared by the whole run."""
    with serving(create_brale_simulator()) as url:
        yield url


@pytest.fixture
def brale(brale_url: str) -> BraleControl:
    """The Brale simulator, reset to its built-in clients."""
    control = BraleControl(brale_url)
    control.post("reset")
    return control
