"""The `railbook` command line, run for real as a subprocess against both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from railbook import API_PREFIX
from railbook.db import normalise_url
from tests.support import loopback
from tests.support.cli_runner import clean_env, fails, ok
from tests.support.serve_process import serving
from tests.support.spec import assert_error, conform

JANE: dict[str, Any] = {"customerType": "INDIVIDUAL", "fullName": "Jane Smith"}


def cli_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment for CLI runs against this database and data directory."""
    return clean_env(database_url, data_dir)


def mint(env: dict[str, str], platform: str, mode: str) -> dict[str, str]:
    """Mint a token with `tokens create --json` and return the parsed JSON."""
    stdout = ok(env, "tokens", "create", "--platform", platform, "--mode", mode, "--json")
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, stdout
    minted: dict[str, str] = json.loads(lines[0])
    return minted


def platform_rows(env: dict[str, str]) -> list[list[str]]:
    """`platforms list` as rows of tab-separated fields."""
    return [line.split("\t") for line in ok(env, "platforms", "list").splitlines() if line]


def token_rows(env: dict[str, str]) -> dict[str, list[str]]:
    """`tokens list` keyed by token id."""
    rows = [line.split("\t") for line in ok(env, "tokens", "list").splitlines() if line]
    return {row[0]: row for row in rows}


def env_for(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The CLI environment for the fixture database (same data dir as the `settings` fixture)."""
    return cli_env(database_url, tmp_path / "data")


# 1. db upgrade


@pytest.mark.subprocess
def test_db_upgrade_creates_a_fresh_sqlite_file_in_new_folders_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "fresh.db"
    url = f"sqlite:///{path}"
    env = cli_env(url, tmp_path / "data")

    assert "created the Railbook database" in ok(env, "db", "upgrade")
    assert path.is_file()
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert len(first) == 1
    assert {"platforms", "api_tokens", "customers"} <= tables

    assert "is up to date" in ok(env, "db", "upgrade")
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            second = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert second == first
    # The migrated file is usable by the other commands.
    ok(env, "platforms", "create", "acme")
    assert [row[1] for row in platform_rows(env)] == ["acme"]


# 2. platforms create / list


@pytest.mark.subprocess
def test_platforms_create_then_list_and_duplicate_is_refused(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, tmp_path)
    assert platform_rows(env) == []

    created = ok(env, "platforms", "create", "acme").strip().split("\t")
    assert created[0].startswith("Platform:") and created[1] == "acme"
    ok(env, "platforms", "create", "globex")

    rows = platform_rows(env)
    assert rows[0][:2] == created
    assert [row[1] for row in rows] == ["acme", "globex"]

    stderr = fails(env, "platforms", "create", "acme")
    assert "already exists" in stderr and "acme" in stderr
    assert [row[1] for row in platform_rows(env)] == ["acme", "globex"]


@pytest.mark.subprocess
def test_blank_or_overlong_platform_names_are_refused_on_both_databases(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, tmp_path)
    longest = "p" * 128
    ok(env, "platforms", "create", longest)
    for name, message in [("", "blank"), ("   ", "blank"), ("p" * 129, "at most 128")]:
        assert message in fails(env, "platforms", "create", name)
        assert message in fails(env, "tokens", "create", "--platform", name, "--mode", "sandbox")
    assert [row[1] for row in platform_rows(env)] == [longest]
    assert token_rows(env) == {}


# 3. tokens create / revoke, used over HTTP


@pytest.mark.subprocess
def test_token_created_by_cli_authenticates_until_revoked(
    database_url: str, tmp_path: Path, client: TestClient
) -> None:
    env = env_for(database_url, tmp_path)
    assert platform_rows(env) == []

    minted = mint(env, "acme", "sandbox")
    assert set(minted) == {"id", "secret", "platformId", "mode"}
    assert minted["mode"] == "SANDBOX"
    assert minted["platformId"].startswith("Platform:")
    assert minted["secret"]
    # The platform was created on the fly.
    assert [row[:2] for row in platform_rows(env)] == [[minted["platformId"], "acme"]]
    # A second token for the same platform reuses it.
    assert mint(env, "acme", "sandbox")["platformId"] == minted["platformId"]
    assert len(platform_rows(env)) == 1

    auth = (minted["id"], minted["secret"])
    response = client.get("/customers", auth=auth)
    assert response.status_code == 200, response.text
    body = conform(response)
    assert body["data"] == []

    assert minted["id"] in ok(env, "tokens", "revoke", minted["id"])

    response = client.get("/customers", auth=auth)
    assert_error(response, 401, "UNAUTHORIZED")
    conform(response)

    stderr = fails(env, "tokens", "revoke", "no-such-token")
    assert "no token" in stderr and "no-such-token" in stderr


# 4. tokens list


@pytest.mark.subprocess
def test_tokens_list_shows_ids_never_secrets_and_marks_revoked(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, tmp_path)
    kept = mint(env, "acme", "sandbox")
    revoked = mint(env, "acme", "production")
    ok(env, "tokens", "revoke", revoked["id"])

    listing = ok(env, "tokens", "list")
    assert kept["secret"] not in listing
    assert revoked["secret"] not in listing

    rows = token_rows(env)
    assert set(rows) == {kept["id"], revoked["id"]}
    assert rows[kept["id"]][1:3] == ["acme", "SANDBOX"]
    assert rows[kept["id"]][3] == "active"
    assert rows[revoked["id"]][1:3] == ["acme", "PRODUCTION"]
    assert rows[revoked["id"]][3].startswith("revoked ")


# 5. platforms show


@pytest.mark.subprocess
def test_platforms_show_json_and_unknown_platform(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, tmp_path)
    platform_id = ok(env, "platforms", "create", "acme").strip().split("\t")[0]
    mint(env, "acme", "production")
    mint(env, "acme", "sandbox")
    revoked = mint(env, "acme", "sandbox")
    ok(env, "tokens", "revoke", revoked["id"])

    shown = json.loads(ok(env, "platforms", "show", "acme", "--mode", "production", "--json"))
    assert shown["id"] == platform_id
    assert shown["name"] == "acme"
    assert shown["mode"] == "PRODUCTION"
    assert shown["activeTokens"] == 1

    sandbox = json.loads(ok(env, "platforms", "show", "acme", "--mode", "sandbox", "--json"))
    assert sandbox["mode"] == "SANDBOX"
    assert sandbox["activeTokens"] == 1

    stderr = fails(env, "platforms", "show", "nobody", "--mode", "production", "--json")
    assert "no platform" in stderr and "nobody" in stderr


# 6. modes are separate scopes


@pytest.mark.subprocess
def test_production_token_does_not_see_sandbox_customers(database_url: str, tmp_path: Path, client: TestClient) -> None:
    env = env_for(database_url, tmp_path)
    sandbox = mint(env, "acme", "sandbox")
    production = mint(env, "acme", "production")
    assert production["mode"] == "PRODUCTION"
    assert production["platformId"] == sandbox["platformId"]
    sandbox_auth = (sandbox["id"], sandbox["secret"])
    production_auth = (production["id"], production["secret"])

    response = client.post("/customers", json=JANE, auth=sandbox_auth)
    assert response.status_code == 201, response.text
    customer_id = conform(response)["id"]

    response = client.get(f"/customers/{customer_id}", auth=sandbox_auth)
    assert response.status_code == 200, response.text
    assert conform(response)["id"] == customer_id

    assert_error(client.get(f"/customers/{customer_id}", auth=production_auth), 404, "USER_NOT_FOUND")

    response = client.get("/customers", auth=production_auth)
    assert response.status_code == 200, response.text
    body = conform(response)
    assert customer_id not in [customer["id"] for customer in body["data"]]
    assert body["totalCount"] == 0

    response = client.get("/customers", auth=sandbox_auth)
    assert [customer["id"] for customer in conform(response)["data"]] == [customer_id]


# 7. railbook serve


@pytest.mark.subprocess
def test_serve_prints_a_first_token_once_and_serves_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served' / 'railbook.db'}"
    env = cli_env(url, tmp_path / "data")
    ok(env, "db", "upgrade")

    with serving(env, tmp_path / "first.stderr") as server:
        server.read_until("curl ")
        token_lines = [line for line in server.lines if line.startswith("  token id: ")]
        secret_lines = [line for line in server.lines if line.startswith("  secret:   ")]
        assert len(token_lines) == 1 and len(secret_lines) == 1, server.lines
        token_id = token_lines[0].removeprefix("  token id: ").strip()
        secret = secret_lines[0].removeprefix("  secret:   ").strip()
        assert token_id and secret
        assert any(
            line.strip() == f"curl -u '{token_id}:{secret}' {server.base_url}{API_PREFIX}/customers"
            for line in server.lines
        ), server.lines

        server.wait_healthy()
        response = loopback.get(f"{server.base_url}{API_PREFIX}/customers", auth=(token_id, secret), timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers.get("x-request-id")
        # The only customer is the documentation's example one, created so the guides' examples run.
        assert [c["id"] for c in conform(response)["data"]] == ["Customer:019542f5-b3e7-1d02-0000-000000000001"]
        assert_error(
            loopback.get(f"{server.base_url}{API_PREFIX}/customers", auth=(token_id, "wrong"), timeout=10),
            401,
            "UNAUTHORIZED",
        )
    assert server.process.returncode is not None

    assert [row[1] for row in platform_rows(env)] == ["default"]
    assert list(token_rows(env)) == [token_id]

    with serving(env, tmp_path / "second.stderr") as again:
        again.read_until("Serving Railbook")
        again.wait_healthy()
        response = loopback.get(f"{again.base_url}{API_PREFIX}/customers", auth=(token_id, secret), timeout=10)
        assert response.status_code == 200, response.text
    output = again.drain()
    assert not any("token id" in line for line in output), output
    assert not any("secret" in line for line in output), output
    assert list(token_rows(env)) == [token_id]
