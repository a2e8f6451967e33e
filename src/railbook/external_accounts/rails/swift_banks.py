"""Bank accounts named by SWIFT/BIC and account number (HKD, IDR, MYR, THB, VND, SGD), PHP, CNY and SWIFT."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, field_validator

from railbook.external_accounts.rails.base import (
    AccountInfo,
    EitherOr,
    FieldError,
    Rail,
    bank_or_mobile_choice,
    normalise_identifier,
    require_one_of,
)
from railbook.external_accounts.rails.beneficiaries import AddressedBusinessChoice, FiatBeneficiary
from railbook.external_accounts.rails.fields import (
    COMPACT_PHONE,
    SWIFT_PATTERN,
    AccountNumber,
    BankName,
    Iban,
    Phone,
    SwiftCode,
    phone_of,
)
from railbook.kit.countries import ALPHA_2, check_country
from railbook.kit.identifiers.bic import bic_country

IdPhone = Annotated[
    str, Field(min_length=7, max_length=15, pattern=r"^\+62[0-9]{9,12}$"), phone_of("ID"), COMPACT_PHONE
]
PhAccountNumber = Annotated[str, Field(min_length=8, max_length=16, pattern=r"^[0-9]{8,16}$")]
BankCountry = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"), AfterValidator(check_country)]

# CNY wallet payouts: bankName names the wallet (compared without case, spaces or punctuation).
CNY_WALLETS = {"alipay": "AliPay", "wechatpay": "WechatPay"}
BIC_SHAPE = re.compile(SWIFT_PATTERN)
# CNY: a bank account or a wallet; SWIFT: the account number, the IBAN, or both.
CNY_CHOICE = bank_or_mobile_choice()
SWIFT_CHOICE = EitherOr((("accountNumber",), ("iban",)), exclusive=False)


def _present(raw: dict[str, Any], name: str) -> bool:
    return raw.get(name) not in (None, "")


def _wallet_key(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def bank_scoped(swift_code: str, account_number: str) -> str:
    """An account number qualified by its bank (BIC bank and country codes): numbers repeat across banks."""
    return normalise_identifier(f"{swift_code[:6]}{account_number}")


class SwiftBankAccount(AccountInfo):
    """Fields shared by the types that name the bank by SWIFT/BIC (`<Ccy>AccountInfoBase`)."""

    account_number: AccountNumber
    swift_code: SwiftCode
    beneficiary: FiatBeneficiary

    def primary_identifier(self) -> str:
        """The account number at its bank."""
        return bank_scoped(self.swift_code, self.account_number)


def _bank_transfer(currency: str) -> Rail:
    return Rail(currencies=frozenset({currency}), payment_rails=("BANK_TRANSFER",), name_check="UNSUPPORTED")


class HkdAccount(SwiftBankAccount):
    """`HkdExternalAccountCreateInfo`: bankName, accountNumber and swiftCode, all required."""

    rail: ClassVar[Rail] = _bank_transfer("HKD")
    account_type: Literal["HKD_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName


class IdrAccount(SwiftBankAccount):
    """`IdrExternalAccountCreateInfo`: a bank account plus the holder's Indonesian (+62) phone number."""

    rail: ClassVar[Rail] = _bank_transfer("IDR")
    account_type: Literal["IDR_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName
    phone_number: IdPhone


class MyrAccount(SwiftBankAccount):
    """`MyrExternalAccountCreateInfo`: bankName, accountNumber and swiftCode, all required."""

    rail: ClassVar[Rail] = _bank_transfer("MYR")
    account_type: Literal["MYR_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName


class ThbAccount(SwiftBankAccount):
    """`ThbExternalAccountCreateInfo`: bankName, accountNumber and swiftCode, all required."""

    rail: ClassVar[Rail] = _bank_transfer("THB")
    account_type: Literal["THB_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName


class VndAccount(SwiftBankAccount):
    """`VndExternalAccountCreateInfo`: bankName, accountNumber and swiftCode, all required."""

    rail: ClassVar[Rail] = _bank_transfer("VND")
    account_type: Literal["VND_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName


class SgdAccount(SwiftBankAccount):
    """`SgdExternalAccountCreateInfo`: accountNumber and swiftCode; bankName is optional."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"SGD"}), payment_rails=("PAYNOW", "FAST", "BANK_TRANSFER"), name_check="UNSUPPORTED"
    )
    account_type: Literal["SGD_ACCOUNT"]
    filled_from_identifiers: ClassVar[tuple[str, ...]] = ("bankName",)
    # The contract resolves an omitted name from swiftCode through the payout partner's directory.
    bank_name: BankName | None = None


class PhpAccount(AccountInfo):
    """`PhpExternalAccountCreateInfo`: bankName and an 8-16 digit account number."""

    rail: ClassVar[Rail] = _bank_transfer("PHP")

    account_type: Literal["PHP_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    bank_name: BankName
    account_number: PhAccountNumber
    beneficiary: FiatBeneficiary


class CnyAccount(AccountInfo):
    """`CnyExternalAccountCreateInfo`: a bank account (business beneficiaries only) or an AliPay/WeChat Pay wallet."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"CNY"}),
        payment_rails=("BANK_TRANSFER", "MOBILE_MONEY"),
        primary=("accountNumber", "phoneNumber"),
        name_check="UNSUPPORTED",
    )

    account_type: Literal["CNY_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = CNY_CHOICE
    mobile_providers: ClassVar[tuple[str, ...]] = tuple(CNY_WALLETS.values())
    account_number: AccountNumber | None = None
    bank_name: BankName
    phone_number: Phone | None = None
    beneficiary: AddressedBusinessChoice

    @field_validator("bank_name")
    @classmethod
    def _wallet_spelling(cls, value: str) -> str:
        """Store a wallet's name as the contract spells it (`alipay`, `WeChat Pay` -> AliPay, WechatPay)."""
        return CNY_WALLETS.get(_wallet_key(value), value)

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer (accountNumber) to a business, or a wallet (phoneNumber) named AliPay or WechatPay."""
        shapes = CNY_CHOICE.fields
        message = "give accountNumber (bank transfer) or phoneNumber (AliPay/WechatPay wallet)"
        if not any(_present(raw, name) for name in shapes):
            return require_one_of(raw, shapes, message)
        if all(_present(raw, name) for name in shapes):
            # One external account is one destination: its identity and sandbox outcome hang on it.
            return [{"field": f"accountInfo.{name}", "message": f"{message}, not both"} for name in shapes]
        if _present(raw, "phoneNumber"):
            bank_name = raw.get("bankName")
            if isinstance(bank_name, str) and bank_name and _wallet_key(bank_name) not in CNY_WALLETS:
                wallet_message = "a wallet payout needs bankName AliPay or WechatPay"
                return [{"field": "accountInfo.bankName", "message": wallet_message}]
            return []
        beneficiary = raw.get("beneficiary")
        kind = beneficiary.get("beneficiaryType") if isinstance(beneficiary, dict) else None
        if kind == "INDIVIDUAL":
            business_message = "CNY bank transfers are business-to-business: the beneficiary must be a BUSINESS"
            return [{"field": "accountInfo.beneficiary.beneficiaryType", "message": business_message}]
        return []

    def primary_identifier(self) -> str:
        """The bank account number, or the wallet and its phone number (one number may hold both wallets)."""
        if self.account_number:
            return normalise_identifier(self.account_number)
        return normalise_identifier(f"{self.bank_name}:{self.phone_number}")


class SwiftAccount(AccountInfo):
    """`SwiftExternalAccountCreateInfo`: any currency to a bank in `country`, by accountNumber and/or IBAN."""

    rail: ClassVar[Rail] = Rail(
        currencies=None, payment_rails=("SWIFT",), primary=("iban", "accountNumber"), name_check="UNSUPPORTED"
    )

    account_type: Literal["SWIFT_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = SWIFT_CHOICE
    country: BankCountry
    swift_code: SwiftCode
    bank_name: BankName
    account_number: AccountNumber | None = None
    iban: Iban | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """accountNumber or iban (at least one), and a BIC of a bank in `country`."""
        errors = require_one_of(raw, SWIFT_CHOICE.fields, "give accountNumber, iban, or both")
        swift_code, country = raw.get("swiftCode"), raw.get("country")
        # Compared only when both are well formed; otherwise their own errors say what is wrong.
        if not (isinstance(swift_code, str) and BIC_SHAPE.match(swift_code)):
            return errors
        if not (isinstance(country, str) and country in ALPHA_2):
            return errors
        if bic_country(swift_code) != country:
            message = f"swiftCode is a bank in {bic_country(swift_code)}; country (where the bank is) says {country}"
            errors.append({"field": "accountInfo.swiftCode", "message": message})
        return errors

    def primary_identifier(self) -> str:
        """The IBAN, which is unique on its own; else the account number at its bank."""
        if self.iban:
            return normalise_identifier(self.iban)
        return bank_scoped(self.swift_code, self.account_number or "")


MODELS: list[type[AccountInfo]] = [
    HkdAccount, IdrAccount, MyrAccount, ThbAccount, VndAccount, SgdAccount, PhpAccount, CnyAccount, SwiftAccount,
]  # fmt: skip
