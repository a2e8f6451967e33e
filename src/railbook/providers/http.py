"""The one place HTTP clients are built: explicit timeouts, no redirects, Railbook's user agent."""

from __future__ import annotations

import functools
import ssl
from typing import NamedTuple

import httpcore
import httpx

USER_AGENT = "Railbook/0.1"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process, shared by every client: loading the CA bundle costs
    about 20 ms, and each app built two clients (tests build hundreds of apps)."""
    return httpx.create_ssl_context()


def _pool_limits(max_connections: int) -> httpx.Limits:
    """Up to `max_connections` open at once, all of them kept alive between requests."""
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def build_http_client(
    timeout_seconds: float, *, max_connections: int = 100, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A pooled, thread-safe client that never follows redirects."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=_pool_limits(max_connections),
        transport=transport,
        verify=_tls_context(),
    )


@functools.lru_cache(maxsize=1024)
def _parsed(url: str) -> httpx.URL:
    """The URL parsed once: a platform's webhook endpoint is posted to again and again, and parsing it
    was about a twentieth of a delivery's CPU (httpx.URL is immutable, so one object serves every request)."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=64)
def _timeout(seconds: float) -> dict[str, float | None]:
    """The request extension for a timeout of `seconds` (read-only once built)."""
    return httpx.Timeout(seconds).as_dict()


class Answer(NamedTuple):
    """What a receiver answered to one POST: its status and its whole body."""

    status_code: int
    content: bytes

    @property
    def is_success(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status_code < 300


# What a POST that got no answer raises: httpcore's errors keep httpx's names (ConnectError,
# ReadTimeout, RemoteProtocolError...), which is what an attempt records.
SEND_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
)


class Sender:
    """A pooled, thread-safe connection pool that webhooks are POSTed on (see `post_once`).

    On httpcore, httpx's own transport layer, without httpx's request and response objects: a
    delivery needs none of their header, stream and decoding handling, which cost a tenth of a
    delivery's CPU (docs/decisions.md, Performance).
    """

    def __init__(self, max_connections: int = 100) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), max_connections=max_connections, max_keepalive_connections=max_connections
        )

    def post(
        self, url: httpx.URL, headers: list[tuple[bytes, bytes]], body: bytes, extensions: dict[str, object]
    ) -> Answer:
        """POST `body` to `url` with exactly these headers, and read the whole answer."""
        target = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
        response = self._pool.request("POST", target, headers=headers, content=body, extensions=extensions)
        return Answer(response.status, response.content)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def build_sender(max_connections: int = 100) -> Sender:
    """A pooled, thread-safe sender for `post_once` (webhook deliveries)."""
    return Sender(max_connections)


def post_once(
    sender: Sender,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    *,
    connect_to: str | None = None,
) -> Answer:
    """POST `body` to `url` once and read the answer; a redirect is an answer, not followed.

    With `connect_to` (an IP address) the connection goes to that address, while the Host header
    and the TLS server name (and so the certificate check) stay those of the URL's host.
    Raises one of SEND_ERRORS when no answer came.
    """
    target = _parsed(url)
    extensions: dict[str, object] = {"timeout": _timeout(timeout_seconds)}
    all_headers = [
        (b"Host", target.netloc),
        (b"User-Agent", USER_AGENT.encode()),
        (b"Content-Length", str(len(body)).encode()),
        *((name.encode(), value.encode()) for name, value in headers.items()),
    ]
    if connect_to is not None:
        extensions["sni_hostname"] = target.host
        target = target.copy_with(host=connect_to)
    return sender.post(target, all_headers, body, extensions)
