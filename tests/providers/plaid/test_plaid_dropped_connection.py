"""A kept-alive connection the server closes as it is reused: a read is sent again, a write is not."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator

import orjson
import pytest

from railbook.providers.plaid.client import PlaidClient, PlaidUnavailable
from tests.providers.plaid.test_plaid_answers import ACCESS_TOKEN, ANSWERS
from tests.support.plaid_simulator import CLIENT_ID, SECRET


class ClosingServer:
    """HTTP/1.1 on a raw socket: answers a connection's first request and closes under its second."""

    def __init__(self) -> None:
        self.answer = b""  # what every answered request gets: set by `_client`
        self.requests: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(connection,), daemon=True).start()

    def _connection(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            for answered in (True, False):
                path = self._read_request(reader)
                if path is None:
                    return
                self.requests.append(path)
                if answered:
                    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(self.answer)}"
                    connection.sendall(head.encode() + b"\r\n\r\n" + self.answer)
            # The second request on this connection arrived as the server gave up on it: closed unanswered.

    @staticmethod
    def _read_request(reader: io.BufferedReader) -> str | None:
        request_line = reader.readline()
        if not request_line:
            return None
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        reader.read(length)
        return str(request_line.split()[1].decode())

    def close(self) -> None:
        """Stop accepting."""
        self.sock.close()


@pytest.fixture
def closing() -> Iterator[ClosingServer]:
    """A server whose kept-alive connections close under their second request."""
    server = ClosingServer()
    yield server
    server.close()


def _client(server: ClosingServer, path: str) -> PlaidClient:
    server.answer = orjson.dumps(ANSWERS[path])
    return PlaidClient("simulator", CLIENT_ID, SECRET, base_url=server.url, timeout_seconds=5)


def test_a_read_on_a_closed_kept_alive_connection_is_sent_again(closing: ClosingServer) -> None:
    with _client(closing, "/auth/get") as client:
        client.get_auth(ACCESS_TOKEN)
        accounts = client.get_auth(ACCESS_TOKEN)
    assert [account.account_id for account in accounts.accounts] == ["acc-1"]
    # Once on the first connection, once unanswered on it, once more on a new connection.
    assert closing.requests == ["/auth/get"] * 3


def test_an_exchange_on_a_closed_kept_alive_connection_is_not_sent_again(closing: ClosingServer) -> None:
    with _client(closing, "/item/public_token/exchange") as client:
        client.exchange_public_token("public-sandbox-1")
        with pytest.raises(PlaidUnavailable) as caught:
            client.exchange_public_token("public-sandbox-2")
    assert str(caught.value) == "Plaid /item/public_token/exchange: could not reach Plaid (ProtocolError)"
    assert closing.requests == ["/item/public_token/exchange"] * 2
