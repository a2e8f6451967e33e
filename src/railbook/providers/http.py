"""The one place HTTP clients are built: explicit timeouts, no redirects, Railbook's user agent."""

from __future__ import annotations

import functools
import ssl

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


def build_sender(max_connections: int = 100) -> httpx.HTTPTransport:
    """A pooled, thread-safe transport for `post_once` (webhook deliveries)."""
    return httpx.HTTPTransport(limits=_pool_limits(max_connections), verify=_tls_context())


def post_once(
    sender: httpx.BaseTransport,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    *,
    connect_to: str | None = None,
) -> httpx.Response:
    """POST `body` to `url` once and read the answer; a redirect is an answer, not followed.

    With `connect_to` (an IP address) the connection goes to that address, while the Host header
    and the TLS server name (and so the certificate check) stay those of the URL's host.
    Straight to the transport: a webhook needs none of a client's cookie, auth and redirect
    handling, which was a tenth of each delivery's CPU (docs/decisions.md, Performance).
    """
    target = _parsed(url)
    extensions: dict[str, object] = {"timeout": _timeout(timeout_seconds)}
    all_headers = {"User-Agent": USER_AGENT, **headers}
    if connect_to is not None:
        all_headers["Host"] = target.netloc.decode("ascii")
        extensions["sni_hostname"] = target.host
        target = target.copy_with(host=connect_to)
    request = httpx.Request("POST", target, content=body, headers=all_headers, extensions=extensions)
    response = sender.handle_request(request)
    try:
        response.read()
    finally:
        response.close()
    return response
