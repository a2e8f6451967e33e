"""Running the `railbook` command line in tests: real subprocesses, bounded, environment under control."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RAILBOOK = Path(sys.executable).parent / "railbook"
CLI_TIMEOUT = 60.0


def clean_env(database_url: str, data_dir: Path, **railbook: str) -> dict[str, str]:
    """The caller's environment without any RAILBOOK_* variable, then this database, data dir and extras."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAILBOOK_")}
    env["RAILBOOK_DATABASE_URL"] = database_url
    env["RAILBOOK_DATA_DIR"] = str(data_dir)
    env.update({f"RAILBOOK_{name.upper()}": value for name, value in railbook.items()})
    return env


def railbook(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `railbook ARGS…` to completion (bounded by a timeout), in `cwd` when given."""
    return subprocess.run(
        [str(RAILBOOK), *args], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False, cwd=cwd
    )


def ok(env: dict[str, str], *args: str) -> str:
    """Run `railbook ARGS…`, require success, return stdout."""
    result = railbook(env, *args)
    assert result.returncode == 0, f"railbook {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def fails(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    """Run `railbook ARGS…`, require a clean non-zero exit (no traceback), return stderr."""
    result = railbook(env, *args, cwd=cwd)
    assert result.returncode != 0, f"railbook {' '.join(args)} unexpectedly succeeded:\n{result.stdout}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr
