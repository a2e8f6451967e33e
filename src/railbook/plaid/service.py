"""Plaid Link use cases: issue a link token; turn a public token into a PENDING USD account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from railbook.providers.plaid.results import ItemAccounts, PlaidAccount

VERIFY_KIND = "plaid.verify"
# Jobs of this kind (payload `plaidItemId`) may still be queued from before deletions became events.
REMOVE_KIND = "plaid.remove_item"
# Depository accounts that can receive ACH, in order of preference when the platform names none.
USABLE_SUBTYPES = ("checking", "savings")


@dataclass(frozen=True)
class Exchanged:
    """What the callback learnt from Plaid inside the request."""

    access_token: str
    item_id: str
    accounts: ItemAccounts


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


def usable_session(session: Session, link_token: str, *, lock: bool = False) -> LinkSession:
    """The link session for a callback: 404 when unknown or expired, 409 when already used."""
    link = session.get(LinkSession, link_token, with_for_update=lock)
    if link is None or link.expires_at <= utcnow():
        raise NotFound("REFERENCE_NOT_FOUND", "Unknown or expired link token")
    if link.external_account_id is not None:
        raise Conflict("This link token has already been used")
    return link


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
    session: Session, keys: MasterKeys, link: LinkSession, exchanged: Exchanged, account: PlaidAccount
) -> NewAccount:
    """The USD account, PENDING until the holder's identity is checked; the Item is kept for later calls."""
    customer = session.get(Customer, link.customer_id)
    if customer is None or customer.deleted_at is not None:
        raise NotFound("USER_NOT_FOUND", f"Customer {link.customer_id} not found")
    assert account.ach is not None
    info: dict[str, Any] = {
        "accountType": "USD_ACCOUNT",
        "accountNumber": account.ach.account,
        "routingNumber": account.ach.routing,
        "bankAccountType": "SAVINGS" if account.subtype == "savings" else "CHECKING",
        # The holder's name comes with /identity/get; until then the customer's stands in.
        "beneficiary": _provisional_beneficiary(customer),
    }
    if exchanged.accounts.institution_name:
        info["bankName"] = exchanged.accounts.institution_name[:140]
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
    item_row_id = new_id("PlaidItem")
    session.add(
        PlaidItem(
            id=item_row_id,
            external_account_id=external.id,
            item_id=exchanged.item_id,
            plaid_account_id=account.account_id,
            access_token=keys.encrypt(exchanged.access_token.encode(), item_row_id.encode()),
            created_at=now,
        )
    )
    link.external_account_id = external.id
    link.used_at = now
    enqueue(session, VERIFY_KIND, {"externalAccountId": external.id}, ordering_key=f"plaid:{external.id}")
    return external


def _provisional_beneficiary(customer: Customer) -> dict[str, Any]:
    if customer.customer_type == "BUSINESS":
        return {"beneficiaryType": "BUSINESS", "legalName": customer_name(customer)}
    return {"beneficiaryType": "INDIVIDUAL", "fullName": customer_name(customer) or "Account holder"}
