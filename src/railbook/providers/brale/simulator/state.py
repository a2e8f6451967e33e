"""The Brale simulator's memory: clients, issued tokens, injected faults, call counters and its clock."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Shape = Literal["ids", "objects"]
TOKEN_LIFETIME_SECONDS = 3599
ENDPOINTS = ("/oauth2/token", "/accounts", "/accounts/{id}")


@dataclass(frozen=True)
class SimulatedClient:
    """API credentials the simulator accepts, the accounts they see, and how `/accounts` lists them."""

    client_id: str
    client_secret: str = field(repr=False)
    accounts: tuple[str, ...]
    shape: Shape = "ids"
    token_lifetime_seconds: int = TOKEN_LIFETIME_SECONDS


BUILT_IN_CLIENTS: tuple[SimulatedClient, ...] = (
    # The Grid documentation's seed request uses exactly these credentials and this account.
    SimulatedClient("provider_client_123", "provider_secret_456", ("2VcUIonJeVQzFoBuC7LdFT0dRe4",)),
    SimulatedClient(
        "provider_client_two",
        "provider_secret_two",
        ("2Js1YFqlfxgNqC2KTPEjrWIwKU7", "2VcUIIsgARwVbEGlIYbhg6fGG57"),
        shape="objects",
    ),
)


@dataclass
class Fault:
    """An injected failure or delay for the next `times` requests to one endpoint ("*" for all)."""

    endpoint: str
    times: int
    status: int | None
    latency_ms: int
    retry_after: float | None


@dataclass
class BraleSimulatorState:
    """Everything the simulator remembers between requests; time is wall time plus `offset` seconds."""

    initial_clients: tuple[SimulatedClient, ...]
    clients: dict[str, SimulatedClient] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    offset: float = 0.0

    def __post_init__(self) -> None:
        self.reset()

    def now(self) -> float:
        """The simulator's clock in epoch seconds."""
        return time.time() + self.offset

    def reset(self) -> None:
        """Back to the initial clients, no tokens, no faults, counters zero, clock offset zero."""
        self.clients = {client.client_id: client for client in self.initial_clients}
        self.tokens.clear()
        self.faults.clear()
        self.calls = dict.fromkeys(ENDPOINTS, 0)
        self.offset = 0.0

    def put_client(self, client: SimulatedClient) -> None:
        """Add or replace a client; a replaced client's tokens are revoked."""
        self.remove_client(client.client_id)
        self.clients[client.client_id] = client

    def remove_client(self, client_id: str) -> bool:
        """Forget a client and revoke its tokens; False when it was unknown."""
        self.tokens = {token: grant for token, grant in self.tokens.items() if grant[0] != client_id}
        return self.clients.pop(client_id, None) is not None

    def authenticate(self, client_id: str, client_secret: str) -> SimulatedClient | None:
        """The client these credentials belong to, compared in constant time."""
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client_secret.encode(), client.client_secret.encode()):
            return None
        return client

    def issue_token(self, client: SimulatedClient) -> str:
        """A new `ory_at_` access token for the client."""
        token = f"ory_at_{secrets.token_urlsafe(32)}"
        self.tokens[token] = (client.client_id, self.now() + client.token_lifetime_seconds)
        return token

    def client_for(self, token: str) -> SimulatedClient | None:
        """The client behind a live token, or None for an unknown, revoked or expired one."""
        grant = self.tokens.get(token)
        if grant is None or grant[1] <= self.now():
            return None
        return self.clients.get(grant[0])

    def take_fault(self, endpoint: str) -> Fault | None:
        """The first pending fault for this endpoint, counting one use of it."""
        for fault in self.faults:
            if fault.endpoint in (endpoint, "*"):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def snapshot(self) -> dict[str, Any]:
        """Counters for `/_control/state` (no secrets, no token values)."""
        now = self.now()
        return {
            "calls": dict(self.calls),
            "tokens": sum(1 for _, expires_at in self.tokens.values() if expires_at > now),
            "faults": [vars(fault) for fault in self.faults],
            "clients": sorted(self.clients),
        }
