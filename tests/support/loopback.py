"""HTTP to the servers the tests start on this machine, without a new TLS context for every call."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

# httpx loads the whole CA bundle into a new TLS context for every client it builds (~40 ms of CPU,
# and `httpx.get` builds a client per call): a fifteenth of the suite's CPU went there. The servers here
# speak plain HTTP; one context, built once, stands for all of them.
_TLS = ssl.create_default_context()


def client(**options: Any) -> httpx.Client:
    """`httpx.Client(**options)` on the shared TLS context."""
    return httpx.Client(verify=_TLS, **options)


def get(url: str, **options: Any) -> httpx.Response:
    """`httpx.get` on the shared TLS context."""
    return httpx.get(url, verify=_TLS, **options)


def post(url: str, **options: Any) -> httpx.Response:
    """`httpx.post` on the shared TLS context."""
    return httpx.post(url, verify=_TLS, **options)
