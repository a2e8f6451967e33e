"""What the Plaid client returns: plain frozen values, no plaid-python models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class LinkToken(NamedTuple):
    """A Plaid Link token and when it expires."""

    link_token: str
    expiration: datetime


class ExchangedItem(NamedTuple):
    """The access token a public token was exchanged for, and the Item it opens."""

    access_token: str
    item_id: str

    def __repr__(self) -> str:
        """Never show the access token."""
        return f"ExchangedItem(access_token='***', item_id={self.item_id!r})"


@dataclass(frozen=True)
class AchNumbers:
    """US ACH numbers of one account (wire_routing only when the bank has a distinct one)."""

    account: str = field(repr=False)
    routing: str
    wire_routing: str | None
    is_tokenized: bool = False


@dataclass(frozen=True)
class PlaidAccount:
    """An account of an Item; `ach` is set when the call returned numbers (/auth/get)."""

    account_id: str
    name: str
    official_name: str | None
    mask: str | None
    type: str
    subtype: str | None
    ach: AchNumbers | None = None


@dataclass(frozen=True)
class OwnerAddress:
    """A postal address Plaid reports for an account owner."""

    street: str
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    primary: bool


@dataclass(frozen=True)
class AccountOwner:
    """One owner of an account as the bank knows them (joint owners may share one entry with several names)."""

    names: tuple[str, ...]
    addresses: tuple[OwnerAddress, ...]
    emails: tuple[str, ...]
    phone_numbers: tuple[str, ...]

    @property
    def primary_address(self) -> OwnerAddress | None:
        """The address marked primary, else the first one."""
        return next((address for address in self.addresses if address.primary), None) or next(
            iter(self.addresses), None
        )


@dataclass(frozen=True)
class IdentityAccount:
    """An account and its owners (/identity/get)."""

    account: PlaidAccount
    owners: tuple[AccountOwner, ...]


@dataclass(frozen=True)
class ItemAccounts:
    """The accounts of an Item and the institution that holds them (/auth/get, /accounts/get)."""

    item_id: str
    institution_id: str | None
    institution_name: str | None
    accounts: tuple[PlaidAccount, ...]

    def account(self, account_id: str) -> PlaidAccount | None:
        """The account with this id, if the Item has it."""
        return next((account for account in self.accounts if account.account_id == account_id), None)


@dataclass(frozen=True)
class ItemIdentity:
    """The owners of each account of an Item (/identity/get)."""

    item_id: str
    institution_id: str | None
    institution_name: str | None
    accounts: tuple[IdentityAccount, ...]

    def for_account(self, account_id: str) -> IdentityAccount | None:
        """The identity of the account with this id, if the Item has it."""
        return next((entry for entry in self.accounts if entry.account.account_id == account_id), None)
