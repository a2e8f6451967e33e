"""Plaid Link use cases: issue a link token; turn a public token into a PENDING USD account."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from railbook.customers import repository as customers
from railbook.customers.models import Customer
from railbook.errors import Conflict, GridError, InvalidInput, NotFound
from railbook.external_accounts.models import AccountStatus, NewAccount
from railbook.external_accounts.rails.us import UsdAccount
from railbook.external_accounts.review import Review
from railbook.external_accounts.rows import new_account_row
from railbook.external_accounts.service import store_new
from railbook.jobs.queue import enqueue
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys
from railbook.kit.ids import new_id
from railbook.plaid.models import LinkSession, PlaidItem
from railbook.principal import Principal
from railbook.providers.plaid.results import ExchangedItem, ItemAccounts, PlaidAccount

VERIFY_KIND = "plaid.verify"
# Jobs of this kind (payload `plaidItemId`) may still be queued from before deletions became events.
REMOVE_KIND = "plaid.remove_item"
# Depository accounts that can receive ACH, in order of preference when the platform names none.
USABLE_SUBTYPES = ("checking", "savings")

# How many other live link tokens a sandbox callback asks Plaid about, newest first, before it takes a
# public token that no Link session of its own link token handed out for one made by /sandbox/public_token/create.
SIBLING_LINK_TOKENS_CHECKED = 20


def customer_name(customer: Customer) -> str:
    """The name the account holder should have: the individual's or the business's legal name."""
    profile = customer.profile
    business = profile.get("businessInfo") or {}
    return str(profile.get("fullName") or business.get("legalName") or "")


def start_link(session: Session, principal: Principal, customer_id: str, link_token: str, expires_at: datetime) -> None:
    """Record the link session Plaid issued a token for."""
    session.add(
        LinkSession(
            link_token=link_token,
            platform_id=principal.platform_id,
            mode=principal.mode.value,
            customer_id=customer_id,
            expires_at=expires_at,
            created_at=utcnow(),
        )
    )


def require_customer(session: Session, principal: Principal, customer_id: str) -> Customer:
    """The live customer, or 404 USER_NOT_FOUND."""
    customer = customers.get_live(session, principal, customer_id)
    if customer is None:
        raise NotFound("USER_NOT_FOUND", f"Customer {customer_id} not found")
    return customer


def usable_session(session: Session, principal: Principal, link_token: str, *, lock: bool = False) -> LinkSession:
    """The caller's link session: 404 when unknown, expired or another platform's or mode's; 409 when used."""
    link = session.get(LinkSession, link_token, with_for_update=lock)
    if (
        link is None
        or link.expires_at <= utcnow()
        or link.platform_id != principal.platform_id
        or link.mode != principal.mode.value
    ):
        raise NotFound("REFERENCE_NOT_FOUND", "Unknown or expired link token")
    if link.external_account_id is not None:
        raise Conflict("This link token has already been used", details={"existingId": link.external_account_id})
    return link


def claim(session: Session, link_token: str, seconds: float) -> bool:
    """Take the link token for one callback call; False when another call holds it."""
    now = utcnow()
    # One conditional UPDATE: atomic on both databases, whoever commits first wins.
    claimed = session.connection().execute(
        update(LinkSession)
        .where(
            LinkSession.link_token == link_token,
            LinkSession.external_account_id.is_(None),
            or_(LinkSession.claimed_until.is_(None), LinkSession.claimed_until <= now),
        )
        .values(claimed_until=now + timedelta(seconds=seconds))
    )
    return bool(claimed.rowcount)


def release(session: Session, link_token: str) -> None:
    """End this call's claim on the link token."""
    session.execute(update(LinkSession).where(LinkSession.link_token == link_token).values(claimed_until=None))


def other_live_link_tokens(session: Session, link_token: str) -> list[str]:
    """The newest live link tokens other than this one (any platform): where a stray public token may come from."""
    query = (
        select(LinkSession.link_token)
        .where(LinkSession.link_token != link_token, LinkSession.expires_at > utcnow())
        .order_by(LinkSession.created_at.desc())
        .limit(SIBLING_LINK_TOKENS_CHECKED)
    )
    return list(session.scalars(query))


def token_digest(public_token: str) -> str:
    """What is kept of a public token: enough to recognise it again, never the token itself."""
    return hashlib.sha256(public_token.encode()).hexdigest()


def _pending_on(link_token: str) -> ColumnElement[bool]:
    """Items exchanged for this link token that no account holds yet and Plaid still has."""
    return and_(
        PlaidItem.link_token == link_token,
        PlaidItem.external_account_id.is_(None),
        PlaidItem.removed_at.is_(None),
    )


def pending_item(session: Session, link_token: str, public_token: str) -> PlaidItem | None:
    """The Item an earlier call of this link token's callback exchanged this public token for, still kept."""
    query = select(PlaidItem).where(
        _pending_on(link_token), PlaidItem.public_token_digest == token_digest(public_token)
    )
    return session.scalars(query).first()


def keep_pending_item(
    session: Session, keys: MasterKeys, link_token: str, public_token: str, item: ExchangedItem
) -> PlaidItem:
    """Keep a just-exchanged Item on its link token until the callback succeeds; an older pending one is removed."""
    for item_row_id in session.scalars(select(PlaidItem.id).where(_pending_on(link_token))):
        enqueue(session, REMOVE_KIND, {"plaidItemId": item_row_id}, ordering_key=f"plaid-item:{item_row_id}")
    row_id = new_id("PlaidItem")
    row = PlaidItem(
        id=row_id,
        item_id=item.item_id,
        link_token=link_token,
        public_token_digest=token_digest(public_token),
        access_token=keys.encrypt(item.access_token.encode(), row_id.encode()),
        created_at=utcnow(),
    )
    session.add(row)
    return row


def choose_account(accounts: ItemAccounts, account_id: str | None) -> PlaidAccount:
    """The account the user picked, or the first checking/savings account with ACH numbers."""
    if account_id is not None:
        chosen = accounts.account(account_id)
        if chosen is None or chosen.ach is None:
            raise InvalidInput(
                "accountId is not one of the linked accounts with ACH numbers",
                [{"field": "accountId", "message": "not an account of this Plaid item"}],
            )
        return chosen
    for subtype in USABLE_SUBTYPES:
        for account in accounts.accounts:
            if account.type == "depository" and account.subtype == subtype and account.ach is not None:
                return account
    raise GridError(400, "INVALID_BANK_ACCOUNT", "The linked item has no checking or savings account")


def create_pending_account(
    session: Session, link: LinkSession, item_row_id: str, accounts: ItemAccounts, account: PlaidAccount
) -> NewAccount:
    """The USD account, PENDING until the holder's identity is checked; its pending Item now belongs to it."""
    # A shared lock, as the API's create takes: a concurrent customer deletion either waits for this
    # link (and deletes its account too) or is waited for (and the customer is found gone).
    customer = session.get(Customer, link.customer_id, with_for_update={"read": True})
    if customer is None or customer.deleted_at is not None:
        raise NotFound("USER_NOT_FOUND", f"Customer {link.customer_id} not found")
    item = session.get(PlaidItem, item_row_id, with_for_update=True)
    if item is None or item.external_account_id is not None or item.removed_at is not None:
        # Another call of this callback, with another public token, replaced or used the Item meanwhile.
        raise Conflict("This link token's Plaid Item was replaced by another call; send the public token again")
    assert account.ach is not None
    info: dict[str, Any] = {
        "accountType": "USD_ACCOUNT",
        "accountNumber": account.ach.account,
        "routingNumber": account.ach.routing,
        "bankAccountType": "SAVINGS" if account.subtype == "savings" else "CHECKING",
        # The holder's name comes with /identity/get; until then the customer's stands in.
        "beneficiary": _provisional_beneficiary(customer),
    }
    if accounts.institution_name:
        info["bankName"] = accounts.institution_name[:140]
    model = UsdAccount.model_validate(info)
    now = utcnow()
    # The holder's identity is checked by a job (`plaid.verify`): until it decides, the account waits.
    external = new_account_row(
        platform_id=link.platform_id,
        mode=link.mode,
        customer_id=customer.id,
        info=model,
        stored=model.stored(),
        currency="USD",
        review=Review(verification="PENDING", status=AccountStatus.PENDING),
        created_at=now,
    )
    store_new(session.connection(), external, reason="linked through Plaid", actor="railbook")
    item.external_account_id = external.id
    item.plaid_account_id = account.account_id
    link.external_account_id = external.id
    link.used_at = now
    enqueue(session, VERIFY_KIND, {"externalAccountId": external.id}, ordering_key=f"plaid:{external.id}")
    return external


def _provisional_beneficiary(customer: Customer) -> dict[str, Any]:
    if customer.customer_type == "BUSINESS":
        return {"beneficiaryType": "BUSINESS", "legalName": customer_name(customer)}
    return {"beneficiaryType": "INDIVIDUAL", "fullName": customer_name(customer) or "Account holder"}
