"""The Plaid callback: a public token of this link token's Link session becomes a PENDING USD account."""

from __future__ import annotations

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


def link_account(
    database: Database,
    keys: MasterKeys,
    plaid: PlaidApi,
    settings: Settings,
    principal: Principal,
    link_token: str,
    public_token: str,
    account_id: str | None,
) -> dict[str, Any]:
    """Exchange the public token (or reuse the Item an earlier call kept) and create the account."""
    with database.transaction() as session:
        service.usable_session(session, principal, link_token)
        # Claimed before Plaid is called: concurrent calls would each exchange a public token and
        # leave Plaid Items (billed per Item) that no account holds.
        if not service.claim(session, link_token, _claim_seconds(settings)):
            raise GridError(
                409,
                "CONFLICT",
                "Another call of this link token's callback is in progress; retry shortly",
                headers={SHOULD_RETRY_HEADER: "true"},
            )
    try:
        return _link_claimed(database, keys, plaid, settings, principal, link_token, public_token, account_id)
    finally:
        with database.transaction() as session:
            service.release(session, link_token)


def _claim_seconds(settings: Settings) -> float:
    # Long enough for the calls a callback makes (/link/token/get, the exchange, /auth/get), each
    # bounded by the client timeout; a process that dies holding it frees the link token this late.
    return 4 * settings.plaid_timeout_seconds + 5


def _link_claimed(
    database: Database,
    keys: MasterKeys,
    plaid: PlaidApi,
    settings: Settings,
    principal: Principal,
    link_token: str,
    public_token: str,
    account_id: str | None,
) -> dict[str, Any]:
    with database.reading() as session:
        kept = service.pending_item(session, link_token, public_token)
    if kept is not None:
        item_row_id, access_token = kept.id, keys.decrypt(kept.access_token, kept.id.encode()).decode()
    else:
        _require_own_session(database, plaid, settings, principal, link_token, public_token)
        exchanged = plaid.exchange_public_token(public_token)
        # Committed before anything can fail: a wrong accountId must not cost the user their Link session.
        with database.transaction() as session:
            row = service.keep_pending_item(session, keys, link_token, public_token, exchanged)
            item_row_id, access_token = row.id, exchanged.access_token
    accounts = plaid.get_auth(access_token)
    chosen = service.choose_account(accounts, account_id)
    with database.transaction() as session:
        link = service.usable_session(session, principal, link_token, lock=True)
        account = service.create_pending_account(session, link, item_row_id, accounts, chosen)
        return render(account)


def _require_own_session(
    database: Database, plaid: PlaidApi, settings: Settings, principal: Principal, link_token: str, public_token: str
) -> None:
    """400 unless the public token came from this link token's Link session (or, in sandbox, from no session)."""
    if public_token in plaid.link_public_tokens(link_token):
        return
    if principal.is_sandbox and settings.plaid_env != "production":
        # Plaid's sandbox makes public tokens without Link (/sandbox/public_token/create); such a
        # token is taken unless a Link session of another live link token handed it out.
        with database.reading() as session:
            others = service.other_live_link_tokens(session, link_token)
        if not any(public_token in _public_tokens_of(plaid, other) for other in others):
            return
    raise InvalidInput(
        "The public token was not handed out by this link token's Plaid Link session",
        [{"field": "publicToken", "message": "not from a Link session of this link token"}],
    )


def _public_tokens_of(plaid: PlaidApi, link_token: str) -> frozenset[str]:
    try:
        return plaid.link_public_tokens(link_token)
    except PlaidInvalidToken:
        return frozenset()
