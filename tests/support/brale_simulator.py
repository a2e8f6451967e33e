"""The Brale simulator seen from tests: its built-in clients, its switches, and wire-level helpers."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from railbook.providers.brale.client import (
    BraleClient,
)
from tests.support import loopback

SEED_ID, SEED_SECRET = "provider_client_123", "provider_secret_456"
SEED_ACCOUNT = "2VcUIonJeVQzFoBuC7LdFT0dRe4"
TWO_ID, TWO_SECRET = "provider_client_two", "provider_secret_two"
TWO_ACCOUNTS = ["2Js1YFqlfxgNqC2KTPEjrWIwKU7", "2VcUIIsgARwVbEGlIYbhg6fGG57"]
TOKEN, ACCOUNTS, ACCOUNT = "/oauth2/token", "/accounts", "/accounts/{id}"


@dataclass
class Simulator:
    """The running simulator: its URL and its `/_control/*` switches."""

    url: str

    def control(self, path: str, **spec: Any) -> dict[str, Any]:
        """POST a control request and return its answer."""
        response = loopback.post(f"{self.url}/_control/{path}", json=spec)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def calls(self) -> dict[str, int]:
        """Requests received per endpoint since the last reset."""
        calls: dict[str, int] = loopback.get(f"{self.url}/_control/state").json()["calls"]
        return calls

    def client(self, **options: Any) -> BraleClient:
        """A Railbook client pointed at the simulator (short timeouts and waits, for quick tests)."""
        options = {"timeout_seconds": 2.0, "max_retry_after_seconds": 0.5} | options
        return BraleClient(self.url, self.url, **options)

    def token(self, client_id: str = SEED_ID, client_secret: str = SEED_SECRET) -> str:
        """An access token straight from the wire."""
        response = loopback.post(f"{self.url}{TOKEN}", data=grant(), headers=basic(client_id, client_secret))
        token: str = response.json()["access_token"]
        return token


def grant() -> dict[str, str]:
    return {"grant_type": "client_credentials"}


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}
