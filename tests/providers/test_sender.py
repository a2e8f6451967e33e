"""The webhook sender: exact headers and body on the wire, pooled connections, answers and failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from railbook.providers.http import SEND_ERRORS, USER_AGENT, Sender, post_once


@dataclass
class Seen:
    """What the server received: (client port, headers, body) per request."""

    requests: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    extra_headers: dict[str, str] = field(default_factory=dict)


def _handler(seen: Seen) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open between requests

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.requests.append((self.client_address[1], dict(self.headers.items()), body))
            answer = b"x" * 3000 if seen.status == 500 else b'{"ok":true}'
            self.send_response(seen.status)
            for name, value in seen.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks?x=1", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_body_and_headers_arrive_exactly_and_the_answer_is_read(server: tuple[str, Seen]) -> None:
    url, seen = server
    with Sender() as sender:
        answer = post_once(sender, url, b'{"id":"Webhook:1"}', {"X-Grid-Signature": "c2ln"}, 2.0)
    assert (answer.status_code, answer.content, answer.is_success) == (200, b'{"ok":true}', True)
    [(_, headers, body)] = seen.requests
    assert body == b'{"id":"Webhook:1"}'
    assert headers["Host"] == url.split("/")[2]
    assert headers["User-Agent"] == USER_AGENT and headers["X-Grid-Signature"] == "c2ln"
    assert headers["Content-Length"] == "18"


def test_connections_are_kept_and_reused(server: tuple[str, Seen]) -> None:
    url, seen = server
    with Sender() as sender:
        for _ in range(3):
            post_once(sender, url, b"{}", {}, 2.0)
    assert len({port for port, _, _ in seen.requests}) == 1


def test_a_redirect_or_an_error_status_is_an_answer(server: tuple[str, Seen]) -> None:
    url, seen = server
    seen.status, seen.extra_headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
    with Sender() as sender:
        redirected = post_once(sender, url, b"{}", {}, 2.0)
        seen.status, seen.extra_headers = 500, {}
        failed = post_once(sender, url, b"{}", {}, 2.0)
    assert (redirected.status_code, redirected.is_success) == (302, False)
    assert (failed.status_code, failed.is_success, len(failed.content)) == (500, False, 3000)
    assert len(seen.requests) == 2  # the redirect was not followed


def test_connect_to_reaches_the_address_and_keeps_the_urls_host(server: tuple[str, Seen]) -> None:
    url, seen = server
    port = url.split("/")[2].split(":")[1]
    with Sender() as sender:
        answer = post_once(
            sender, f"http://hooks.platform.invalid:{port}/hooks", b"{}", {}, 2.0, connect_to="127.0.0.1"
        )
    assert answer.status_code == 200
    assert seen.requests[0][1]["Host"] == f"hooks.platform.invalid:{port}"


def test_no_answer_raises_a_send_error_named_like_httpx(server: tuple[str, Seen]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with Sender() as sender, pytest.raises(SEND_ERRORS) as raised:
        post_once(sender, f"http://127.0.0.1:{port}/hooks", b"{}", {}, 1.0)
    assert type(raised.value).__name__ == "ConnectError"
