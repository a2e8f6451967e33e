"""Plaid's answers as Railbook reads them: only the fields it uses, typed strictly, read straight from JSON.

plaid-python's own response models check every field of every answer and build an object for each
(about 20 ms of CPU for one /identity/get of a sandbox Item); these read the same JSON in well under
a millisecond, and a missing or mistyped field Railbook relies on is still refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PlaidAnswer(BaseModel):
    """Base of every answer: unknown fields ignored, no field coerced into another type."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    request_id: str | None = None


class LinkTokenCreated(PlaidAnswer):
    """/link/token/create."""

    link_token: str
    expiration: datetime


class LinkTokenSessions(PlaidAnswer):
    """/link/token/get: the Link sessions, read loosely because their shape varies with the Link flow."""

    link_sessions: list[Any] | None = None


class SandboxPublicToken(PlaidAnswer):
    """/sandbox/public_token/create."""

    public_token: str = Field(repr=False)


class PublicTokenExchanged(PlaidAnswer):
    """/item/public_token/exchange."""

    access_token: str = Field(repr=False)  # never shown, as in ExchangedItem
    item_id: str


class Item(BaseModel):
    """The Item an answer is about."""

    model_config = PlaidAnswer.model_config

    item_id: str
    institution_id: str | None = None
    institution_name: str | None = None


class Account(BaseModel):
    """One account of an Item."""

    model_config = PlaidAnswer.model_config

    account_id: str
    name: str
    official_name: str | None = None
    mask: str | None = None
    type: str
    subtype: str | None = None


class AchEntry(BaseModel):
    """The ACH numbers of one account (/auth/get)."""

    model_config = PlaidAnswer.model_config

    account_id: str
    account: str
    routing: str
    wire_routing: str | None = None
    is_tokenized_account_number: bool | None = None


class AuthNumbers(BaseModel):
    """The numbers /auth/get returns, by rail; only ACH is read."""

    model_config = PlaidAnswer.model_config

    ach: list[AchEntry] = []


class ItemAccountsAnswer(PlaidAnswer):
    """/accounts/get."""

    item: Item
    accounts: list[Account]


class AuthAnswer(ItemAccountsAnswer):
    """/auth/get."""

    numbers: AuthNumbers


class AddressData(BaseModel):
    """A postal address."""

    model_config = PlaidAnswer.model_config

    street: str = ""
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Address(BaseModel):
    """An owner's address and whether it is their primary one."""

    model_config = PlaidAnswer.model_config

    data: AddressData
    primary: bool | None = None


class Contact(BaseModel):
    """An owner's email address or phone number."""

    model_config = PlaidAnswer.model_config

    data: str


class Owner(BaseModel):
    """One owner of an account."""

    model_config = PlaidAnswer.model_config

    names: list[str] = []
    addresses: list[Address] = []
    emails: list[Contact] = []
    phone_numbers: list[Contact] = []


class IdentityAccount(Account):
    """An account and its owners (/identity/get)."""

    owners: list[Owner] = []


class IdentityAnswer(PlaidAnswer):
    """/identity/get."""

    item: Item
    accounts: list[IdentityAccount]
