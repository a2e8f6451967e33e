"""`railbook serve` keeps idle client connections open for RAILBOOK_KEEP_ALIVE_SECONDS."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from railbook.config import Settings
from tests.cli.test_cli_database import no_railbook_env
from tests.support.serve_process import serving

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def answered(connection: socket.socket) -> bytes:
    """Send a request on the open connection and read the whole answer (b"" once the server closed it)."""
    try:
        connection.sendall(REQUEST)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            if not chunk:
                return received
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = int(
            next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1]
        )
        while len(body) < length:
            body += connection.recv(4096)
        return received
    except (BrokenPipeError, ConnectionResetError):
        return b""


@pytest.mark.subprocess
def test_an_idle_connection_is_closed_after_the_keep_alive_setting(tmp_path: Path) -> None:
    env = no_railbook_env(data_dir=str(tmp_path / "data"), keep_alive_seconds="1")
    with serving(env, tmp_path / "serve.stderr") as server:
        server.wait_healthy()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
            assert answered(connection).startswith(b"HTTP/1.1 200")
            time.sleep(0.3)
            assert answered(connection).startswith(b"HTTP/1.1 200")  # still open within the second
            # Uvicorn's own default (5 s) would still hold it: the setting reached the server.
            time.sleep(2.5)
            assert answered(connection) == b""


def test_idle_connections_outlast_clients_and_load_balancers_by_default() -> None:
    assert Settings().keep_alive_seconds > 60
