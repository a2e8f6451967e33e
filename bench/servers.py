"""Processes the benchmarks start: Railbook (`railbook serve`), the baseline, the webhook receiver; databases."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import psycopg

from railbook import API_PREFIX

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Token:
    """An API token as `railbook tokens create --json` prints it."""

    id: str
    secret: str
    platform_id: str

    @property
    def authorization(self) -> str:
        """The Authorization header value."""
        return "Basic " + base64.b64encode(f"{self.id}:{self.secret}".encode()).decode()


@contextmanager
def database_url(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file under `workdir`, or a new PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'data' / 'railbook.db'}"
        return
    name = f"railbook_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def railbook_env(url: str, workdir: Path, port: int) -> dict[str, str]:
    """RAILBOOK_* settings for the server and the CLI."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAILBOOK_")}
    env.update(
        RAILBOOK_DATA_DIR=str(workdir / "data"),
        RAILBOOK_DATABASE_URL=url,
        RAILBOOK_HOST="127.0.0.1",
        RAILBOOK_PORT=str(port),
        RAILBOOK_LOG_LEVEL="WARNING",
        RAILBOOK_EMBEDDED_WORKER="true",
        # The limiter still runs on every request, it just never says no to a load generator.
        RAILBOOK_RATE_LIMIT_PER_SECOND="1000000",
        RAILBOOK_RATE_LIMIT_BURST="1000000",
    )
    return env


def railbook_cli(env: dict[str, str], *args: str) -> str:
    """Run `railbook ARGS` and return what it printed."""
    command = [str(BIN / "railbook"), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"railbook {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


def prepare_railbook(env: dict[str, str]) -> Token:
    """Migrate the empty database and mint the sandbox token the load generator uses."""
    Path(env["RAILBOOK_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    railbook_cli(env, "db", "upgrade")
    minted = orjson.loads(railbook_cli(env, "tokens", "create", "--platform", "bench", "--mode", "sandbox", "--json"))
    return Token(minted["id"], minted["secret"], minted["platformId"])


class Server:
    """A server process listening on 127.0.0.1:port."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - commands built here, not from input
            command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.log_path = log

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        """Block until `path` answers (anything below 500)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start within {timeout} s; see {self.log_path}")

    def rss_mb(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the process, in MB (MiB)."""
        figures: dict[str, float] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = round(int(value.split()[0]) / 1024, 1)
        return figures

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process and its live child processes (`--workers N`) have used so far."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *_children(self.process.pid)])

    def stop(self) -> None:
        """SIGTERM (graceful: uvicorn stops the embedded worker), then SIGKILL after 15 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (/proc/PID/stat, fields 14 and 15); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int, int]:
    """All CPUs' busy, total and stolen time so far, in clock ticks (/proc/stat's first line)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal, steal


def postgres_cpu_seconds() -> float:
    """User plus system CPU time of this machine's PostgreSQL: its live processes, and those the postmaster reaped."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended meanwhile
        name, _, rest = text.partition("(")[2].rpartition(")")
        if name != "postgres":
            continue
        fields = rest.split()
        # Fields 14-17: its own user and system time, then that of its children it has waited for
        # (only the postmaster has children: the backends that closed their connections).
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The pids of the process's direct children (uvicorn's worker processes)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


@contextmanager
def railbook_server(env: dict[str, str], log: Path) -> Iterator[Server]:
    """`railbook serve` (uvicorn, one process, access log off, embedded worker)."""
    server = Server("railbook", [str(BIN / "railbook"), "serve"], env, int(env["RAILBOOK_PORT"]), log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextmanager
def baseline_server(target: str, log: Path) -> Iterator[Server]:
    """bench/baseline.py on `target` (a sqlite:/// or postgresql:// URL), under `railbook serve`'s uvicorn settings."""
    port = free_port()
    env = {**os.environ, "BENCH_BASELINE_DB": target}
    command = [
        str(BIN / "uvicorn"),
        "bench.baseline:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--proxy-headers",
    ]
    server = Server("baseline", command, env, port, log)
    try:
        server.wait_ready("/docs")
        yield server
    finally:
        server.stop()


@contextmanager
def webhook_receiver(log: Path) -> Iterator[Server]:
    """bench/receiver.py in its own process."""
    port = free_port()
    server = Server(
        "receiver", [sys.executable, "-m", "bench.receiver", "--port", str(port)], dict(os.environ), port, log
    )
    try:
        server.wait_ready("/_stats")
        yield server
    finally:
        server.stop()


def ensure_wrk() -> str:
    """The wrk binary (make bench installs it from Debian's packages)."""
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    return found


@dataclass(frozen=True)
class Stack:
    """Railbook serving a fresh database, with a webhook receiver configured as its endpoint."""

    database_url: str
    token: Token
    server: Server
    receiver: Server
    env: dict[str, str]


# Autovacuum's analyze rule (PostgreSQL's defaults): a table is analyzed once the rows changed since
# its last analysis exceed 50 + 10 % of its rows.
_STALE_TABLES = """
SELECT relname FROM pg_stat_user_tables
WHERE n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0)
"""


@contextmanager
def autoanalyze(url: str, every_seconds: float = 5.0) -> Iterator[None]:
    """Analyze tables as autovacuum would, while the block runs, when the server's autovacuum is off.

    Some machines run PostgreSQL with autovacuum off; production keeps it on (the default). Without
    it the planner keeps the statistics of a table's first thousand rows while a run grows it to
    100k, and picks indexes for a table that no longer exists.
    """
    with psycopg.connect(url, autocommit=True) as connection:
        if connection.execute("SHOW autovacuum").fetchone() == ("on",):
            yield
            return
    stop = threading.Event()

    def run() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            while not stop.wait(every_seconds):
                for (table,) in connection.execute(_STALE_TABLES).fetchall():
                    connection.execute(f'ANALYZE "{table}"')

    thread = threading.Thread(target=run, name="bench-autoanalyze", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@contextmanager
def railbook_stack(db: str, workdir: Path) -> Iterator[Stack]:
    """A fresh database of kind `db`, `railbook serve` on it, and the receiver set as the webhook endpoint."""
    with database_url(db, workdir) as url:
        env = railbook_env(url, workdir, free_port())
        token = prepare_railbook(env)
        with (
            autoanalyze(url) if db == "postgres" else nullcontext(),
            webhook_receiver(workdir / "receiver.log") as receiver,
            railbook_server(env, workdir / "railbook.log") as server,
        ):
            with httpx.Client(base_url=server.url + API_PREFIX, auth=(token.id, token.secret), timeout=30) as client:
                client.patch("/config", json={"webhookEndpoint": f"{receiver.url}/webhooks"}).raise_for_status()
            yield Stack(url, token, server, receiver, env)
