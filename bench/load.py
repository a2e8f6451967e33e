"""Drive a server with wrk and bench/lua/driver.lua; read back the figures its done() hook prints."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

DRIVER = Path(__file__).resolve().parent / "lua" / "driver.lua"
THREADS = 2


@dataclass(frozen=True)
class Load:
    """What to send: POST bodies from a file to one path, or GET paths from a file."""

    method: str  # "post" | "get"
    file: Path
    authorization: str
    path: str = "-"
    idempotency: bool = False


def run_wrk(
    wrk: str, base_url: str, load: Load, *, seconds: float, connections: int, timeout_seconds: int = 10
) -> dict[str, Any]:
    """One wrk run; the JSON line of driver.lua's done() with the run's figures."""
    script_args = [load.method, str(load.file), load.authorization, load.path, str(THREADS)]
    if load.idempotency:
        script_args.append("idempotency")
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_seconds}s",
        "--latency",
        "-s",
        str(DRIVER),
        base_url,
        "--",
        *script_args,
    ]
    for marker in load.file.parent.glob(f"{load.file.name}.exhausted.*"):
        marker.unlink()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    if load.method == "post":
        _interrupt_when_exhausted(process, load.file)
    stdout, stderr = process.communicate()
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures: dict[str, Any] = orjson.loads(line.removeprefix("BENCH_JSON "))
            figures["connections"] = connections
            return figures
    raise RuntimeError(f"wrk printed no figures (exit {process.returncode}): {stdout}\n{stderr}")


def _interrupt_when_exhausted(process: subprocess.Popen[str], file: Path) -> None:
    """SIGINT wrk (it then reports as usual) once every thread has sent its whole slice of bodies."""
    while process.poll() is None:
        if len(list(file.parent.glob(f"{file.name}.exhausted.*"))) >= THREADS:
            time.sleep(0.5)  # let the last requests in flight come back
            process.send_signal(signal.SIGINT)
            return
        time.sleep(0.2)


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write one item per line (the driver reads them with io.lines)."""
    path.write_text("\n".join(lines) + "\n")
    return path
