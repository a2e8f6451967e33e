"""/config request model (`PlatformConfigUpdateRequest`), nested objects as the contract's schemas describe them."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field

from railbook.kit.urls import url_problem
from railbook.kit.wire import WireModel

INT64_MAX = 2**63 - 1


# RFC 3986 with an authority (scheme://host...): ASCII only, so what is echoed back is a `uri`, not an IRI.
_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})"
_PCHAR = rf"(?:{_CHAR}|[:@])"
_URI = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*://(?:(?:{_CHAR}|:)*@)?(?:\[[0-9A-Fa-f:.]+\]|{_CHAR}+)(?::[0-9]*)?"
    rf"(?:/{_PCHAR}*)*(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
)


def _absolute_uri(value: str) -> str:
    if not _URI.fullmatch(value):
        raise ValueError("must be an absolute URI (scheme://host/...)")
    # Images the platform's users load: https only, by the same rules as webhook endpoints.
    if (problem := url_problem(value, allow_http=False)) is not None:
        raise ValueError(problem)
    return value


def _ascii_email(value: str) -> str:
    # The contract's `email` format is ASCII; internationalised addresses are `idn-email`.
    if not value.isascii():
        raise ValueError("must be an ASCII email address")
    return value


Uri = Annotated[str, Field(max_length=512), AfterValidator(_absolute_uri)]
Email = Annotated[EmailStr, Field(max_length=255), AfterValidator(_ascii_email)]
Text255 = Annotated[str, Field(max_length=255)]
Amount = Annotated[int, Field(ge=0, le=INT64_MAX)]

CustomerInfoFieldName = Literal[
    "FULL_NAME", "BIRTH_DATE", "NATIONALITY", "PHONE_NUMBER", "EMAIL", "POSTAL_ADDRESS", "TAX_ID",
    "REGISTRATION_NUMBER", "USER_TYPE", "COUNTRY_OF_RESIDENCE", "ACCOUNT_IDENTIFIER", "FI_LEGAL_ENTITY_NAME",
    "FI_ADDRESS", "PURPOSE_OF_PAYMENT", "ULTIMATE_INSTITUTION_COUNTRY", "IDENTIFIER", "BUSINESS_TYPE",
    "COMPANY_LEGAL_NAME", "ID_TYPE", "ID_NUMBER",
]  # fmt: skip


class CounterpartyFieldDefinition(WireModel):
    """`{name, mandatory}`."""

    name: CustomerInfoFieldName
    mandatory: bool


class PlatformCurrencyConfig(WireModel):
    """One supported currency; the provider-required field lists are read-only: sent, they are refused by name."""

    currency_code: str
    min_amount: Amount
    max_amount: Amount
    required_counterparty_fields: list[CounterpartyFieldDefinition]
    enabled_transaction_types: list[Literal["INCOMING", "OUTGOING"]]


class EmbeddedWalletConfig(WireModel):
    """Embedded-wallet branding and OTP settings."""

    app_name: Text255 | None = None
    otp_length: int | None = Field(default=None, ge=4, le=12)
    alphanumeric: bool | None = None
    expiration_seconds: int | None = Field(default=None, ge=1, le=86400)
    send_from_email_address: Email | None = None
    send_from_email_sender_name: Text255 | None = None
    reply_to_email_address: Email | None = None
    logo_url: Uri | None = None


class CardTokenization2FAEmailConfig(WireModel):
    """Email delivery of card-tokenization codes."""

    from_address: Email | None = None
    from_name: Text255 | None = None
    reply_to_address: Email | None = None
    subject: Text255 | None = None
    body_text: str | None = Field(default=None, max_length=2000)


class CardTokenization2FASmsConfig(WireModel):
    """SMS delivery of card-tokenization codes."""

    template_sid: str | None = Field(default=None, max_length=64)
    body_text: str | None = Field(default=None, max_length=480)


class CardTokenization2FAConfig(WireModel):
    """Card-tokenization authentication branding and delivery."""

    display_name: Text255 | None = None
    logo_url: Annotated[Uri, Field(pattern=r"^https://")] | None = None
    email: CardTokenization2FAEmailConfig | None = None
    sms: CardTokenization2FASmsConfig | None = None


class FixedFee(WireModel):
    """`{amount, currency}`."""

    amount: Amount
    currency: str


class FeeConfig(WireModel):
    """A platform fee on one fee type and source currency."""

    fee_type: Literal["CROSS_CURRENCY_TRANSACTION"]
    source_currency: str
    variable_fee_bps: int = Field(ge=0, le=10000)
    fixed_fee: FixedFee


class PlatformConfigUpdate(WireModel):
    """Fields a platform may change; nested objects are checked against the contract's schemas, stored, echoed."""

    uma_domain: str | None = Field(default=None, min_length=1, max_length=255)
    webhook_endpoint: str | None = Field(default=None, min_length=1, max_length=2048)
    supported_currencies: list[PlatformCurrencyConfig] | None = Field(default=None, max_length=200)
    embedded_wallet_config: EmbeddedWalletConfig | None = None
    card_tokenization2fa_config: CardTokenization2FAConfig | None = Field(
        default=None, alias="cardTokenization2faConfig"
    )
    fee_configs: list[FeeConfig] | None = Field(default=None, max_length=200)
    # Railbook's addition: FIRST_PARTY self-custody wallets start PENDING_OWNERSHIP_VERIFICATION.
    ownership_verification_required: bool | None = None
