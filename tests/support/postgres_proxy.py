"""A TCP relay in front of PostgreSQL that fails the database at a chosen moment of a transaction.

The app connects through the relay instead of to PostgreSQL. Armed with `outage_at_commit`, the
relay watches for a connection that sends a given statement (say `INSERT INTO customers`) and
then COMMIT, and takes the whole database away for a while at that commit: every open connection
is cut and new ones are refused, exactly as when PostgreSQL restarts. Where it strikes:

- `after_reply`: the commit succeeds and the app is told so; everything the app sends afterwards
  (another statement, another connection) meets the outage.
- `before_reply`: the commit succeeds at PostgreSQL, but the app's connection is cut before the
  answer reaches it, so the app cannot know whether it committed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import make_url

Moment = Literal["after_reply", "before_reply"]
# The server's CommandComplete message for a COMMIT: tag "COMMIT" then NUL.
_COMMIT_COMPLETE = b"COMMIT\x00"


@dataclass
class _Trap:
    statement: bytes
    moment: Moment
    seconds: float
    sprung: threading.Event


class PostgresProxy:
    """Relays connections to PostgreSQL; `outage_at_commit` arms one outage."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._down_until = 0.0
        self._trap: _Trap | None = None
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def outage_at_commit(self, statement: str, moment: Moment, seconds: float) -> threading.Event:
        """Arm the outage: set when it strikes, at the COMMIT of a transaction that sent `statement`."""
        sprung = threading.Event()
        with self._lock:
            self._trap = _Trap(statement.encode(), moment, seconds, sprung)
        return sprung

    def close(self) -> None:
        """Stop relaying and cut every connection."""
        self._closed = True
        self._listener.close()
        self._cut_all()

    @property
    def back_at(self) -> float:
        """The `time.monotonic()` at which the last outage ends (0.0 before any)."""
        return self._down_until

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _cut_all(self) -> None:
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _strike(self, trap: _Trap) -> None:
        self._down_until = time.monotonic() + trap.seconds
        trap.sprung.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down():
                client.close()  # the database is "restarting": refused
                continue
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            pending: dict[str, bool] = {"wrote": False, "committing": False}
            threading.Thread(target=self._upstream, args=(client, server, pending), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client, pending), daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket, pending: dict[str, bool]) -> None:
        """App to PostgreSQL: notice the watched statement, then its transaction's COMMIT."""
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                break
            if not data or self._down():
                break
            trap = self._trap
            if trap is not None:
                if trap.statement in data:
                    pending["wrote"] = True
                if b"ROLLBACK" in data:
                    pending["wrote"] = False
                if pending["wrote"] and b"COMMIT" in data:
                    pending["committing"] = True
            try:
                server.sendall(data)
            except OSError:
                break
        for sock in (client, server):
            sock.close()

    def _downstream(self, server: socket.socket, client: socket.socket, pending: dict[str, bool]) -> None:
        """PostgreSQL to the app: strike when the watched COMMIT is answered."""
        while True:
            try:
                data = server.recv(65536)
            except OSError:
                break
            if not data:
                break
            trap = self._trap
            committed = trap is not None and pending["committing"] and _COMMIT_COMPLETE in data
            if committed and trap is not None:
                with self._lock:
                    self._trap = None
                # Down before the app can act on the answer: whatever it sends next meets the outage.
                self._strike(trap)
                if trap.moment == "before_reply":
                    self._cut_all()
                    return
            try:
                client.sendall(data)
            except OSError:
                break
            if committed:
                self._cut_all()
                return
        for sock in (client, server):
            sock.close()


@contextmanager
def postgres_proxy(url: str) -> Iterator[tuple[PostgresProxy, str]]:
    """A relay in front of the PostgreSQL at `url`, and the same URL through the relay."""
    parsed = make_url(url)
    proxy = PostgresProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    try:
        # In clear text, so that the relay can read the statements.
        relayed = parsed.set(host="127.0.0.1", port=proxy.port).update_query_dict({"sslmode": "disable"})
        yield proxy, relayed.render_as_string(hide_password=False)
    finally:
        proxy.close()
