"""The simulator's memory: tokens, Items, injected faults, and the clock every lifetime is measured on."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from railbook.providers.plaid.simulator.data import (
    DEFAULT_INSTITUTION_ID,
    INSTITUTIONS,
    USER_GOOD_ACCOUNTS,
    SandboxAccount,
)
from railbook.providers.plaid.simulator.errors import PlaidFault

# The Grid documentation's callback example (seed 001) sends these placeholders; in the simulator the
# token stands for a fresh `user_good` login each time, whose checking account has that id.
DOCUMENTED_PUBLIC_TOKEN = "public-sandbox-12345678-1234-1234-1234-123456789012"  # noqa: S105 (a published placeholder)
DOCUMENTED_ACCOUNT_ID = "plaid_account_id_123"
LINK_TOKEN_LIFETIME = timedelta(hours=4)
PUBLIC_TOKEN_LIFETIME = timedelta(minutes=30)

Clock = Callable[[], datetime]
_ID_ALPHABET = string.ascii_letters + string.digits


def system_clock() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def plaid_id() -> str:
    """A 37-character opaque, case-sensitive id like Plaid's item_id and account_id."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(37))


@dataclass
class LinkSessionResult:
    """One finished Link session of a link token: when, and the public token it handed out for its Item."""

    link_session_id: str
    started_at: datetime
    finished_at: datetime
    public_token: str
    item_id: str


@dataclass
class LinkToken:
    """A link token: who it was made for, which products, until when, and the Link sessions run with it."""

    client_user_id: str
    products: list[str]
    webhook: str | None
    expires_at: datetime
    created_at: datetime
    sessions: list[LinkSessionResult] = field(default_factory=list)


@dataclass
class PublicToken:
    """A public token waiting for its single exchange."""

    item_id: str
    expires_at: datetime
    used: bool = False


@dataclass
class SimAccount:
    """An account of one Item, with the account_id Plaid gave it there."""

    account_id: str
    sandbox: SandboxAccount


@dataclass
class SimItem:
    """An Item (a login at an institution) and its accounts."""

    item_id: str
    institution_id: str
    products: list[str]
    webhook: str | None
    accounts: list[SimAccount]
    error_code: str | None = None

    @property
    def institution_name(self) -> str:
        """The institution's display name."""
        return INSTITUTIONS[self.institution_id]


@dataclass
class Fault:
    """An injected failure or delay for the next `times` requests to one endpoint ("*" for all)."""

    endpoint: str
    times: int
    error_code: str | None
    latency_ms: int


@dataclass
class SimulatorState:
    """Everything the simulator remembers between requests."""

    clock: Clock = system_clock
    offset: timedelta = timedelta()
    link_tokens: dict[str, LinkToken] = field(default_factory=dict)
    public_tokens: dict[str, PublicToken] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)
    items: dict[str, SimItem] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)

    def now(self) -> datetime:
        """The simulator's time: the injected clock plus any `/_control/clock` advance."""
        return self.clock() + self.offset

    def reset(self) -> None:
        """Forget every token, Item, fault and clock advance."""
        self.offset = timedelta()
        self.link_tokens.clear()
        self.public_tokens.clear()
        self.access_tokens.clear()
        self.items.clear()
        self.faults.clear()

    def create_link_token(self, client_user_id: str, products: list[str], webhook: str | None) -> tuple[str, datetime]:
        """A new link token and its expiry."""
        token = f"link-sandbox-{uuid.uuid4()}"
        expires_at = self.now() + LINK_TOKEN_LIFETIME
        self.link_tokens[token] = LinkToken(client_user_id, products, webhook, expires_at, self.now())
        return token, expires_at

    def link_token(self, token: str) -> LinkToken:
        """A live link token, or INVALID_LINK_TOKEN."""
        found = self.link_tokens.get(token)
        if found is None or found.expires_at <= self.now():
            raise PlaidFault("INVALID_LINK_TOKEN")
        return found

    def known_link_token(self, token: str) -> LinkToken:
        """A link token this simulator issued, expired or not (`/link/token/get` reads both), or INVALID_LINK_TOKEN."""
        found = self.link_tokens.get(token)
        if found is None:
            raise PlaidFault("INVALID_LINK_TOKEN")
        return found

    def public_token_for_link(self, link_token: str, institution_id: str) -> tuple[str, SimItem]:
        """What Plaid Link hands back on success: a public token for a new Item, and the Item (for the link page).

        The session is recorded on the link token, where `/link/token/get` reports it.
        """
        link = self.link_token(link_token)
        started = self.now()
        token = self.create_public_token(institution_id, link.products, link.webhook)
        item = self.items[self.public_tokens[token].item_id]
        link.sessions.append(LinkSessionResult(f"{uuid.uuid4()}", started, self.now(), token, item.item_id))
        return token, item

    def create_public_token(self, institution_id: str, products: list[str], webhook: str | None) -> str:
        """A new `user_good` Item at the institution and a public token for it."""
        if institution_id not in INSTITUTIONS:
            raise PlaidFault("INVALID_INSTITUTION")
        item = SimItem(
            item_id=plaid_id(),
            institution_id=institution_id,
            products=list(products),
            webhook=webhook,
            accounts=[SimAccount(plaid_id(), account) for account in USER_GOOD_ACCOUNTS],
        )
        self.items[item.item_id] = item
        token = f"public-sandbox-{uuid.uuid4()}"
        self.public_tokens[token] = PublicToken(item.item_id, self.now() + PUBLIC_TOKEN_LIFETIME)
        return token

    def exchange(self, public_token: str) -> tuple[str, str]:
        """Spend a public token once: (access_token, item_id)."""
        if public_token == DOCUMENTED_PUBLIC_TOKEN:
            public_token = self._documented_example()
        found = self.public_tokens.get(public_token)
        if found is None or found.used or found.expires_at <= self.now() or found.item_id not in self.items:
            raise PlaidFault("INVALID_PUBLIC_TOKEN")
        found.used = True
        access_token = f"access-sandbox-{uuid.uuid4()}"
        self.access_tokens[access_token] = found.item_id
        return access_token, found.item_id

    def _documented_example(self) -> str:
        """A fresh public token whose Item's checking account is the documentation's account id."""
        token = self.create_public_token(DEFAULT_INSTITUTION_ID, ["auth", "identity"], None)
        checking = self.items[self.public_tokens[token].item_id].accounts[0]
        checking.account_id = DOCUMENTED_ACCOUNT_ID
        return token

    def item_for(self, access_token: str) -> SimItem:
        """The Item an access token opens, or INVALID_ACCESS_TOKEN."""
        item_id = self.access_tokens.get(access_token)
        if item_id is None or item_id not in self.items:
            raise PlaidFault("INVALID_ACCESS_TOKEN")
        return self.items[item_id]

    def remove_item(self, access_token: str) -> None:
        """Delete the Item; every access token for it stops working."""
        item = self.item_for(access_token)
        del self.items[item.item_id]
        for token in [token for token, item_id in self.access_tokens.items() if item_id == item.item_id]:
            del self.access_tokens[token]

    def add_fault(self, endpoint: str, times: int, error_code: str | None, latency_ms: int) -> None:
        """Queue a failure or delay for an endpoint."""
        self.faults.append(Fault(endpoint, times, error_code, latency_ms))

    def take_fault(self, endpoint: str) -> Fault | None:
        """The first pending fault for this endpoint, counting one use of it."""
        for fault in self.faults:
            if fault.endpoint in (endpoint, "*") and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def snapshot(self) -> dict[str, Any]:
        """Counts for `/_control/state` (no token values)."""
        return {
            "now": self.now().isoformat(),
            "link_tokens": len(self.link_tokens),
            "public_tokens": len(self.public_tokens),
            "access_tokens": len(self.access_tokens),
            "items": len(self.items),
            "faults": [vars(fault) for fault in self.faults],
        }
