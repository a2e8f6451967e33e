"""`railbook serve` as a real process in tests: start it on a free port, read its output, stop it."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import loopback
from tests.support.cli_runner import RAILBOOK

STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Server:
    """A running `railbook serve` and the stdout lines it has printed so far."""

    process: subprocess.Popen[str]
    port: int
    stderr_path: Path
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _eof: bool = False

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    def _failure(self, why: str) -> str:
        return f"{why}\nstdout:\n" + "\n".join(self.lines) + "\nstderr:\n" + self.stderr_path.read_text()

    def read_until(self, marker: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Collect stdout lines until one contains `marker`."""
        deadline = time.monotonic() + timeout
        while not any(marker in line for line in self.lines):
            remaining = deadline - time.monotonic()
            assert remaining > 0 and not self._eof, self._failure(f"no {marker!r} on stdout")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self._eof = True
            else:
                self.lines.append(line)

    def drain(self) -> list[str]:
        """Every stdout line, once the process has exited."""
        while not self._eof:
            line = self._queue.get(timeout=10)
            if line is None:
                self._eof = True
            else:
                self.lines.append(line)
        return self.lines

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Poll /healthz until it answers 200."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self._failure("the server exited")
            try:
                if loopback.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self._failure("/healthz never answered 200")
            time.sleep(0.1)


def _pump(stream: Any, sink: queue.Queue[str | None]) -> None:
    for line in stream:
        sink.put(line.rstrip("\n"))
    sink.put(None)


@contextmanager
def serving(env: dict[str, str], stderr_path: Path) -> Iterator[Server]:
    """Start `railbook serve` on a free port; always stop it (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(RAILBOOK), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    server = Server(process, port, stderr_path)
    reader = threading.Thread(target=_pump, args=(process.stdout, server._queue), daemon=True)
    reader.start()
    try:
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
