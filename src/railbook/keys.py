"""The master keys every stored secret is encrypted under (RAILBOOK_SECRET_KEYS)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from railbook.config import Mode, Settings
from railbook.kit.crypto import MasterKeys

log = logging.getLogger("railbook.keys")

SANDBOX_KEY_FILE = "master.key"


class MissingMasterKeys(RuntimeError):
    """Production was started without RAILBOOK_SECRET_KEYS."""


def load_master_keys(settings: Settings) -> MasterKeys:
    """The configured keys; in sandbox without any, a key generated once into the data directory."""
    if settings.secret_keys.strip():
        return MasterKeys.parse(settings.secret_keys)
    if settings.mode is Mode.PRODUCTION:
        raise MissingMasterKeys(
            "RAILBOOK_SECRET_KEYS is required in production: set it to kid:<base64 of 32 random bytes>"
        )
    path = Path(settings.data_dir) / SANDBOX_KEY_FILE
    if path.exists():
        return MasterKeys.parse(path.read_text())
    keys = MasterKeys.generate("sandbox1")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: when two processes start at once, exactly one key
    # wins and nobody ever reads a half-written file.
    scratch = path.with_name(f"{SANDBOX_KEY_FILE}.{os.getpid()}.tmp")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(keys.to_text())
    try:
        os.link(scratch, path)
    except FileExistsError:
        return MasterKeys.parse(path.read_text())
    finally:
        scratch.unlink(missing_ok=True)
    log.warning(
        "RAILBOOK_SECRET_KEYS is not set; generated a sandbox master key",
        extra={"path": str(path)},
    )
    return keys
