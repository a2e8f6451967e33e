"""`railbook secrets rotate` and the master keys each deployment mode needs, through the real command line."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from railbook.config import Mode, Settings
from railbook.db import Database
from railbook.keys import SANDBOX_KEY_FILE
from railbook.kit.crypto import MasterKeys, SecretDecryptionError, sign, verify
from railbook.platforms.models import Platform
from tests.conftest import make_token
from tests.support.cli_runner import clean_env, fails, ok, railbook
from tests.support.operator_commands import (
    REFUSAL_TIMEOUT,
    assert_key_pair,
    environments,
    new_key,
    private_key,
    rotation_report,
    run_worker,
    serve_expecting_refusal,
    set_endpoint,
)
from tests.support.receiver import running_receiver

# -- 1. railbook secrets rotate --------------------------------------------------------------


@pytest.mark.subprocess
def test_rotate_reencrypts_every_signing_key_under_the_new_master_key(
    database_url: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    data_dir = tmp_path / "data"
    before_env = clean_env(database_url, data_dir, secret_keys=f"old:{old}")
    ok(before_env, "platforms", "create", "acme")
    ok(before_env, "platforms", "create", "globex")

    before = environments(database)
    assert len(before) == 4  # two platforms, sandbox and production each
    assert all(environment.signing_key.startswith("v1:old:") for environment in before)
    old_only = MasterKeys.parse(f"old:{old}")
    originals = {environment.id: private_key(old_only, environment) for environment in before}

    rotating_env = clean_env(database_url, data_dir, secret_keys=f"new:{new},old:{old}")
    assert ok(rotating_env, "secrets", "rotate").splitlines() == rotation_report(4)

    after = environments(database)
    assert [environment.id for environment in after] == [environment.id for environment in before]
    new_only = MasterKeys.parse(f"new:{new}")
    for was, now in zip(before, after, strict=True):
        assert now.signing_key.startswith("v1:new:")
        assert now.signing_key != was.signing_key
        assert now.public_key_pem == was.public_key_pem
        decrypted = private_key(new_only, now)
        assert decrypted == originals[now.id]
        assert_key_pair(decrypted, now.public_key_pem)
        # The old key alone can no longer open it, and the envelope stays bound to its row.
        with pytest.raises(SecretDecryptionError):
            private_key(old_only, now)
        with pytest.raises(SecretDecryptionError):
            new_only.decrypt(now.signing_key, b"PlatformConfig:someone-else")
    # No sandbox key was generated along the way: the configured keys were used.
    assert not (data_dir / SANDBOX_KEY_FILE).exists()

    # Everything is current: a second rotation (even with only the new key) has nothing to do.
    assert ok(rotating_env, "secrets", "rotate").splitlines() == rotation_report(0)
    new_only_env = clean_env(database_url, data_dir, secret_keys=f"new:{new}")
    assert ok(new_only_env, "secrets", "rotate").splitlines() == rotation_report(0)
    assert [environment.signing_key for environment in environments(database)] == [
        environment.signing_key for environment in after
    ]

    # A webhook signed after rotation verifies with the public key platforms already hold.
    body = b'{"id":"Webhook:after-rotation","type":"TEST","data":{}}'
    for environment in after:
        signature = sign(private_key(new_only, environment), body)
        assert verify(environment.public_key_pem, body, signature)
        assert not verify(environment.public_key_pem, body + b" ", signature)

    # And the real delivery path, holding only the new key, signs what a receiver verifies.
    acme_sandbox = make_token(database, "acme", Mode.SANDBOX)
    with running_receiver() as receiver:
        [environment] = [e for e in after if e.platform_id == acme_sandbox.platform_id and e.mode == Mode.SANDBOX.value]
        receiver.public_key_pem = environment.public_key_pem
        set_endpoint(settings, database, acme_sandbox.headers, receiver.url)
        run_worker(settings, database, new_only)
        [delivery] = receiver.wait_for(1)
    assert delivery.signature_valid and delivery.json["type"] == "TEST"


@pytest.mark.subprocess
def test_rotate_without_the_old_key_fails_and_changes_nothing(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    ok(clean_env(database_url, tmp_path / "data", secret_keys=f"old:{old}"), "platforms", "create", "acme")
    before = [environment.signing_key for environment in environments(database)]

    stderr = fails(clean_env(database_url, tmp_path / "data", secret_keys=f"new:{new}"), "secrets", "rotate")
    assert "'old'" in stderr and "RAILBOOK_SECRET_KEYS" in stderr
    assert old not in stderr and new not in stderr
    assert [environment.signing_key for environment in environments(database)] == before


# -- 2. master keys by deployment mode -------------------------------------------------------


@pytest.mark.subprocess
def test_production_serve_without_master_keys_refuses_to_start(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, mode="production")
    code, stdout, stderr, elapsed = serve_expecting_refusal(env, tmp_path)
    assert code != 0
    assert elapsed < REFUSAL_TIMEOUT
    assert "RAILBOOK_SECRET_KEYS" in stderr
    assert "Traceback" not in stderr
    assert "Serving Railbook" not in stdout
    # Nothing was bootstrapped and no key was invented.
    assert "token id" not in stdout
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    # The other commands that need the keys refuse just as cleanly.
    assert "RAILBOOK_SECRET_KEYS" in fails(env, "platforms", "create", "acme")
    assert "RAILBOOK_SECRET_KEYS" in fails(env, "secrets", "rotate")
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []
    assert not (data_dir / SANDBOX_KEY_FILE).exists()


@pytest.mark.subprocess
def test_sandbox_without_master_keys_generates_one_private_key_file_and_reuses_it(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "sandbox-data"
    env = clean_env(database_url, data_dir)
    assert "RAILBOOK_MODE" not in env and "RAILBOOK_SECRET_KEYS" not in env
    key_file = data_dir / SANDBOX_KEY_FILE
    assert not key_file.exists()

    ok(env, "platforms", "create", "x")
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_text = key_file.read_text()
    keys = MasterKeys.parse(first_text)
    assert [path.name for path in data_dir.iterdir()] == [SANDBOX_KEY_FILE]  # no scratch file left behind

    [x_sandbox, x_production] = sorted(environments(database), key=lambda e: e.mode, reverse=True)
    for environment in (x_sandbox, x_production):
        assert environment.signing_key.startswith(f"v1:{keys.active_kid}:")
        assert_key_pair(private_key(keys, environment), environment.public_key_pem)

    # Later commands use the same key: the file is untouched and both platforms decrypt with it.
    ok(env, "platforms", "create", "y")
    shown = orjson.loads(ok(env, "platforms", "show", "x", "--mode", "sandbox", "--json"))
    assert shown["webhookPublicKey"] == x_sandbox.public_key_pem
    assert key_file.read_text() == first_text
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    every = environments(database)
    assert len(every) == 4
    for environment in every:
        assert_key_pair(private_key(keys, environment), environment.public_key_pem)
    assert ok(env, "secrets", "rotate").splitlines() == rotation_report(0)


MALFORMED_SHAPES = ["bare key", "short key", "not base64", "bad kid", "empty second item"]


def malformed_keys(shape: str) -> tuple[str, list[str]]:
    """A malformed RAILBOOK_SECRET_KEYS of this shape, and the key texts no output may contain."""
    key = new_key()
    malformed = {
        "bare key": key,
        "short key": "k1:" + base64.b64encode(os.urandom(16)).decode(),
        "not base64": f"k1:{key[:-2]}!!",
        "bad kid": f"bad kid!:{key}",
        "empty second item": f"k1:{key},",
    }[shape]
    secret_part = malformed.partition(":")[2] or malformed
    return malformed, [malformed, secret_part.rstrip(","), key, key[:16]]


# Every shape where a generated key could paper over it (sandbox); production, which never
# generates one, with one shape: each case starts a server process.
SERVE_REFUSALS = [(shape, "sandbox") for shape in MALFORMED_SHAPES] + [(MALFORMED_SHAPES[0], "production")]


@pytest.mark.subprocess
@pytest.mark.parametrize(("shape", "mode"), SERVE_REFUSALS)
def test_malformed_master_keys_stop_serve_without_echoing_them(
    shape: str, mode: str, database_url: str, database: Database, tmp_path: Path
) -> None:
    malformed, secrets = malformed_keys(shape)
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, mode=mode, secret_keys=malformed)
    code, stdout, stderr, _ = serve_expecting_refusal(env, tmp_path)
    assert code != 0
    assert "Serving Railbook" not in stdout
    assert stderr.startswith("cannot start: "), stderr
    assert "master key" in stderr
    for text in secrets:
        assert text not in stdout + stderr
    # A broken configuration is not papered over with a generated key.
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []


@pytest.mark.subprocess
@pytest.mark.parametrize("shape", MALFORMED_SHAPES)
def test_malformed_master_keys_stop_other_commands_cleanly(
    shape: str, database_url: str, database: Database, tmp_path: Path
) -> None:
    malformed, secrets = malformed_keys(shape)
    data_dir = tmp_path / "data"
    env = clean_env(database_url, data_dir, secret_keys=malformed)
    for args in (("platforms", "create", "acme"), ("secrets", "rotate")):
        result = railbook(env, *args)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("cannot load master keys: master key"), result.stderr
        for text in secrets:
            assert text not in result.stdout + result.stderr
    assert not (data_dir / SANDBOX_KEY_FILE).exists()
    with database.reading() as session:
        assert session.scalars(select(Platform)).all() == []
