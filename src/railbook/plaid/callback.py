"""The Plaid callback: a public token of this link token's Link session becomes a PENDING USD account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from railbook.config import Settings
from railbook.db import Database
from railbook.errors import SHOULD_RETRY_HEADER, GridError, InvalidInput
from railbook.external_accounts.service import render
from railbook.kit.crypto import MasterKeys
from railbook.plaid import service
from railbook.principal import Principal
from railbook.providers.plaid import PlaidApi
from railbook.providers.plaid.client import PlaidInvalidToken


@dataclass(frozen=True)
class Callback:
    """One call of the callback: what it runs on, who calls, the link token, and what the platform sent."""

    database: Database
    keys: MasterKeys
    plaid: PlaidApi
    settings: Settings
    principal: Principal
    link_token: str
    public_token: str
    account_id: str | None

    def link_account(self) -> dict[str, Any]:
        """Exchange the public token (or reuse the Item an earlier call kept) and create the account."""
        with self.database.transaction() as session:
            service.usable_session(session, self.principal, self.link_token)
            # Claimed before Plaid is called: concurrent calls would each exchange a public token and
            # leave Plaid Items (billed per Item) that no account holds.
            if not service.claim(session, self.link_token, self._claim_seconds()):
                raise GridError(
                    409,
                    "CONFLICT",
                    "Another call of this link token's callback is in progress; retry shortly",
                    headers={SHOULD_RETRY_HEADER: "true"},
                )
        try:
            return self._link_claimed()
        finally:
            with self.database.transaction() as session:
                service.release(session, self.link_token)

    def _claim_seconds(self) -> float:
        # Long enough for the calls a callback makes (/link/token/get, the exchange, /auth/get), each
        # bounded by the client timeout; a process that dies holding it frees the link token this late.
        return 4 * self.settings.plaid_timeout_seconds + 5

    def _link_claimed(self) -> dict[str, Any]:
        with self.database.reading() as session:
            kept = service.pending_item(session, self.link_token, self.public_token)
        if kept is not None:
            item_row_id, access_token = kept.id, self.keys.decrypt(kept.access_token, kept.id.encode()).decode()
        else:
            self._require_own_session()
            exchanged = self.plaid.exchange_public_token(self.public_token)
            # Committed before anything can fail: a wrong accountId must not cost the user their Link session.
            with self.database.transaction() as session:
                row = service.keep_pending_item(session, self.keys, self.link_token, self.public_token, exchanged)
                item_row_id, access_token = row.id, exchanged.access_token
        accounts = self.plaid.get_auth(access_token)
        chosen = service.choose_account(accounts, self.account_id)
        with self.database.transaction() as session:
            link = service.usable_session(session, self.principal, self.link_token, lock=True)
            account = service.create_pending_account(session, link, item_row_id, accounts, chosen)
            return render(account)

    def _require_own_session(self) -> None:
        """400 unless the public token came from this link token's Link session (or, in sandbox, from none)."""
        if self.public_token in self.plaid.link_public_tokens(self.link_token):
            return
        if self.principal.is_sandbox and self.settings.plaid_env != "production":
            # Plaid's sandbox makes public tokens without Link (/sandbox/public_token/create); such a
            # token is taken unless a Link session of another live link token handed it out.
            with self.database.reading() as session:
                others = service.other_live_link_tokens(session, self.link_token)
            if not any(self.public_token in self._public_tokens_of(other) for other in others):
                return
        raise InvalidInput(
            "The public token was not handed out by this link token's Plaid Link session",
            [{"field": "publicToken", "message": "not from a Link session of this link token"}],
        )

    def _public_tokens_of(self, link_token: str) -> frozenset[str]:
        try:
            return self.plaid.link_public_tokens(link_token)
        except PlaidInvalidToken:
            return frozenset()
