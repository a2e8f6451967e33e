"""A real webhook receiver on 127.0.0.1: verifies signatures and answers as a test tells it to."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

# `status_answered` of a request the receiver held and never answered (see Receiver.hang_next).
HELD = 0


@dataclass
class Delivery:
    """One request the receiver got."""

    body: bytes
    signature: str
    signature_valid: bool
    status_answered: int

    @property
    def json(self) -> dict[str, Any]:
        """The body as JSON."""
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


def _open_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class Receiver:
    """Records deliveries; `script` holds the statuses to answer next (then 200), `hang` delays answers.

    The next `hang_next` requests are recorded at once (answered HELD) and then never answered: the
    connection stays open until the receiver stops, as with a receiver that hangs. While `gate` is
    clear, every other request waits for it before it is answered (its sender's job stays running).
    """

    url: str = ""
    public_key_pem: str | None = None
    script: list[int] = field(default_factory=list)
    hang_seconds: float = 0.0
    hang_next: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopped: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=_open_event)

    def verify(self, body: bytes, signature: str) -> bool:
        """Check X-Grid-Signature as a platform would: DER ECDSA P-256 SHA-256 over the raw body."""
        if self.public_key_pem is None:
            return False
        key = load_pem_public_key(self.public_key_pem.encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        try:
            key.verify(base64.b64decode(signature), body, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def ids(self, status: int | None = None) -> list[str]:
        """Event ids received (optionally only those answered with `status`)."""
        with self.lock:
            return [d.json["id"] for d in self.deliveries if status is None or d.status_answered == status]

    def wait_for(self, count: int, timeout: float = 15.0, status: int | None = 200) -> list[Delivery]:
        """Block until `count` deliveries (answered `status`) arrived, or fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                matching = [d for d in self.deliveries if status is None or d.status_answered == status]
            if len(matching) >= count:
                return matching
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}: {self.ids()}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("X-Grid-Signature", "")
            with receiver.lock:
                held = receiver.hang_next > 0
                if held:
                    receiver.hang_next -= 1
                    receiver.deliveries.append(Delivery(body, signature, receiver.verify(body, signature), HELD))
            if held:
                receiver.stopped.wait()
                self.close_connection = True
                return
            receiver.gate.wait(timeout=30)
            if receiver.hang_seconds:
                time.sleep(receiver.hang_seconds)
            with receiver.lock:
                status = receiver.script.pop(0) if receiver.script else 200
                receiver.deliveries.append(Delivery(body, signature, receiver.verify(body, signature), status))
            answer = b'{"ok": true}' if status < 300 else b'{"error": "scripted"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class _Server(ThreadingHTTPServer):
    # The handler speaks HTTP/1.0, so every delivery is a new connection, and three workers of eight
    # threads connect at once: socketserver's backlog of 5 can drop connection attempts, and one
    # that times out is retried (a second attempt the tests do not expect).
    request_queue_size = 128


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """Serve a Receiver on a random loopback port for the duration of the block."""
    receiver = Receiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopped.set()
        receiver.gate.set()  # a test that failed with the gate shut leaves no handler waiting
        server.shutdown()
        server.server_close()
