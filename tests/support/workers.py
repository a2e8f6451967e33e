"""`railbook worker` subprocesses for tests: start, announce, kill, read their logs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from railbook.config import Settings
from tests.conftest import TEST_SECRET_KEYS

RAILBOOK = str(Path(sys.executable).parent / "railbook")
STARTED = re.compile(r"^worker (\S+) running$", re.MULTILINE)


@dataclass
class WorkerProcess:
    """A `railbook worker` subprocess whose stderr goes to a file (a pipe could fill up and block it)."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_id(self, timeout: float = 30.0) -> str:
        """The id the worker announced on stderr (and writes into jobs.locked_by)."""
        found: list[str] = []

        def announced() -> bool:
            found[:] = STARTED.findall(self.log())
            return bool(found)

        wait_until(announced, timeout, lambda: f"worker {self.pid} never announced itself:\n{self.log()}")
        return found[0]

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, then the exit code (fails the test when it takes longer than `timeout`)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker {self.pid} ignored SIGTERM for {timeout} s:\n{self.log()}") from None

    def reap(self) -> None:
        """Kill the process if it is still alive and release its log file."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.log_file.close()

    def problems(self) -> list[str]:
        """Log lines at ERROR or above, and tracebacks."""
        bad = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                record = orjson.loads(line)
                if record.get("level") in ("ERROR", "CRITICAL") or "exception" in record:
                    bad.append(line)
            elif "Traceback" in line:
                bad.append(line)
        return bad


def wait_until(predicate: Callable[[], bool], timeout: float, message: Callable[[], str]) -> None:
    """Poll `predicate` until it holds; fail with `message()` at the deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(message())
        time.sleep(0.05)


def worker_env(settings: Settings, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a worker on the test database (no RAILBOOK_* leaks in from outside)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAILBOOK_")}
    env.update(
        RAILBOOK_DATABASE_URL=settings.effective_database_url,
        RAILBOOK_DATA_DIR=str(data_dir),
        RAILBOOK_SECRET_KEYS=TEST_SECRET_KEYS,
        RAILBOOK_WEBHOOK_TIMEOUT_SECONDS="5",
        RAILBOOK_JOB_POLL_SECONDS="0.1",
    )
    env.update(overrides)
    return env


def start_worker(env: dict[str, str], log_path: Path, started: list[WorkerProcess]) -> WorkerProcess:
    """Start `railbook worker`; it is appended to `started` at once so that cleanup never misses it."""
    log_file = log_path.open("wb")
    process = subprocess.Popen([RAILBOOK, "worker"], env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                               stderr=subprocess.STDOUT)  # fmt: skip
    worker = WorkerProcess(process, log_path, log_file)
    started.append(worker)
    return worker
