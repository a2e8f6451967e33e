"""Running the `railbook` command line in tests: its real code with the environment under control."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

from typer.testing import CliRunner

from railbook.cli.main import app

RAILBOOK = Path(sys.executable).parent / "railbook"
CLI_TIMEOUT = 60.0
# Commands that serve until stopped (and set up the process's logging): always a process of their own.
LONG_RUNNING = {"serve", "worker", "simulators"}


def clean_env(database_url: str, data_dir: Path, **railbook: str) -> dict[str, str]:
    """The caller's environment without any RAILBOOK_* variable, then this database, data dir and extras."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAILBOOK_")}
    env["RAILBOOK_DATABASE_URL"] = database_url
    env["RAILBOOK_DATA_DIR"] = str(data_dir)
    env.update({f"RAILBOOK_{name.upper()}": value for name, value in railbook.items()})
    return env


def railbook(
    env: dict[str, str], *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `railbook ARGS…` to completion, in `cwd` when given: in this process, as the installed command would.

    The command's own code runs with `env` as its whole environment and its own stdout and stderr;
    only the interpreter start-up (most of a CLI test's time) is skipped. `in_a_process` runs the
    installed executable for what only a process shows.
    """
    if args and args[0] in LONG_RUNNING:
        return in_a_process(env, *args, cwd=cwd)
    # Exactly `env`: every variable it lacks is removed for the run.
    environment: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    environment.update(env)
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), env=environment, prog_name="railbook", input=stdin)
    finally:
        os.chdir(previous)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the installed command would print on an uncaught exception.
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess([str(RAILBOOK), *args], result.exit_code, result.stdout, stderr)


def in_a_process(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `railbook ARGS…` executable to completion (bounded by a timeout)."""
    return subprocess.run(
        [str(RAILBOOK), *args], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False, cwd=cwd
    )


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `railbook ARGS…` (with `stdin` as its input), require success, return stdout."""
    result = railbook(env, *args, stdin=stdin)
    assert result.returncode == 0, f"railbook {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def fails(env: dict[str, str], *args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
    """Run `railbook ARGS…`, require a clean non-zero exit (no traceback), return stderr."""
    result = railbook(env, *args, cwd=cwd, stdin=stdin)
    assert result.returncode != 0, f"railbook {' '.join(args)} unexpectedly succeeded:\n{result.stdout}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr
