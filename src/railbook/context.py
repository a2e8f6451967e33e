"""What `create_app` builds once, in one typed, frozen context, and the one accessor that reads it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from railbook.auth.verifier import TokenVerifier
from railbook.config import Settings
from railbook.db import Database
from railbook.directory import Directory
from railbook.jobs.registry import Registry
from railbook.kit.crypto import MasterKeys
from railbook.kit.pagination import CursorCodec
from railbook.principal import Principal
from railbook.providers.http import Sender
from railbook.providers.issuer_api import IssuerClient
from railbook.providers.plaid.api import PlaidApi
from railbook.ratelimit import RateLimiter


@dataclass(frozen=True)
class AppContext:
    """The app's long-lived objects: shared by its requests, its embedded worker and its lifespan."""

    settings: Settings
    database: Database
    keys: MasterKeys
    # The connection pool webhooks are POSTed on.
    sender: Sender
    plaid: PlaidApi
    # A client per stablecoin issuer, by the `provider` value of a link.
    issuers: Mapping[str, IssuerClient]
    registry: Registry
    token_verifier: TokenVerifier
    rate_limiter: RateLimiter
    cursor_codec: CursorCodec
    # Run in the transaction that deletes a customer (`customers.service.CustomerCascade`).
    customer_cascade: tuple[Callable[[Session, Principal, str], None], ...]
    # The names `bankName` and `vaspName` are picked from (`GET /discoveries`, `GET /vasps`).
    directory: Directory

    def close(self) -> None:
        """Release the connections the clients hold (the database is closed by its owner)."""
        self.sender.close()
        self.plaid.close()
        for client in self.issuers.values():
            client.close()


def app_context(connection: HTTPConnection) -> AppContext:
    """The context of the app serving this request."""
    context: AppContext = connection.app.state.context
    return context
