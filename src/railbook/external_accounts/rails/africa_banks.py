"""Africa, bank accounts: NGN and ZAR (bank transfer), GHS and EGP (bank transfer or mobile money)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from railbook.external_accounts.rails.base import (
    AccountInfo,
    EitherOr,
    FieldError,
    Rail,
    bank_or_mobile,
    bank_or_mobile_choice,
)
from railbook.external_accounts.rails.beneficiaries import (
    AddressedBusinessChoice,
    FiatBeneficiary,
    RegisteredBusinessChoice,
)
from railbook.external_accounts.rails.checks import checked
from railbook.external_accounts.rails.fields import (
    COMPACT_IBAN,
    COMPACT_PHONE,
    PHONE_PATTERN,
    AccountNumber,
    BankName,
    phone_of,
)
from railbook.kit.identifiers.iban import check_iban

BANK_TRANSFER = ("BANK_TRANSFER",)
BANK_AND_MOBILE = ("BANK_TRANSFER", "MOBILE_MONEY")

NgnAccountNumber = Annotated[str, Field(min_length=10, max_length=10, pattern=r"^[0-9]{10}$")]
ZarAccountNumber = Annotated[str, Field(min_length=9, max_length=13, pattern=r"^[0-9]{9,13}$")]
EgIban = Annotated[
    str,
    Field(min_length=29, max_length=29, pattern=r"^EG[0-9]{27}$"),
    checked(partial(check_iban, country="EG")),
    COMPACT_IBAN,
]
# The contract's generic phone pattern, plus a number valid for the country.
GhPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("GH"), COMPACT_PHONE]
EgPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("EG"), COMPACT_PHONE]
# Required by the legacy generation, dropped since d75a856c; still accepted and echoed.
PurposeOfPayment = Literal[
    "GIFT",
    "SELF",
    "GOODS_OR_SERVICES",
    "EDUCATION",
    "HEALTH_OR_MEDICAL",
    "REAL_ESTATE_PURCHASE",
    "LOAN_PAYMENT",
    "TAX_PAYMENT",
    "UTILITY_BILL",
    "DONATION",
    "TRAVEL",
    "OTHER",
]


class NgnAccount(AccountInfo):
    """`NgnExternalAccountCreateInfo`: a Nigerian 10-digit (NUBAN) bank account."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"NGN"}), payment_rails=BANK_TRANSFER)

    account_type: Literal["NGN_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    account_number: NgnAccountNumber
    bank_name: BankName
    purpose_of_payment: PurposeOfPayment | None = None
    beneficiary: RegisteredBusinessChoice


class ZarAccount(AccountInfo):
    """`ZarExternalAccountCreateInfo`: a South African bank account of 9 to 13 digits."""

    rail: ClassVar[Rail] = Rail(currencies=frozenset({"ZAR"}), payment_rails=BANK_TRANSFER, countries=frozenset({"ZA"}))

    account_type: Literal["ZAR_ACCOUNT"]
    account_number: ZarAccountNumber
    bank_name: BankName
    beneficiary: RegisteredBusinessChoice


class GhsAccount(AccountInfo):
    """`GhsExternalAccountCreateInfo`: a Ghanaian bank account, or an MTN/Vodafone wallet by phone number."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"GHS"}), payment_rails=BANK_AND_MOBILE, primary=("accountNumber", "phoneNumber")
    )

    account_type: Literal["GHS_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice()
    mobile_providers: ClassVar[tuple[str, ...]] = ("MTN", "Vodafone")
    account_number: AccountNumber | None = None
    bank_name: BankName
    phone_number: GhPhone | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: accountNumber; mobile money: phoneNumber, with bankName MTN or Vodafone."""
        return bank_or_mobile(raw, cls.either_or, providers=cls.mobile_providers)


class EgpAccount(AccountInfo):
    """`EgpExternalAccountCreateInfo`: an Egyptian IBAN, or a mobile wallet by phone number."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"EGP"}), payment_rails=BANK_AND_MOBILE, primary=("iban", "phoneNumber")
    )

    account_type: Literal["EGP_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice("iban")
    iban: EgIban | None = None
    bank_name: BankName
    phone_number: EgPhone | None = None
    beneficiary: AddressedBusinessChoice

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: a 29-character EG IBAN; mobile money: phoneNumber."""
        return bank_or_mobile(raw, cls.either_or)


MODELS: list[type[AccountInfo]] = [NgnAccount, ZarAccount, GhsAccount, EgpAccount]
