"""The one place HTTP clients are built: explicit timeouts, no redirects, Railbook's user agent."""

from __future__ import annotations

import httpx

USER_AGENT = "Railbook/0.1"


def build_http_client(
    timeout_seconds: float, *, max_connections: int = 100, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A pooled, thread-safe client that never follows redirects."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        transport=transport,
    )
