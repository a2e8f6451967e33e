"""South Asia: INR (UPI, NEFT, RTGS), BDT and PKR (bank transfer or mobile money)."""

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
from railbook.external_accounts.rails.beneficiaries import FiatBeneficiary
from railbook.external_accounts.rails.checks import checked
from railbook.external_accounts.rails.fields import (
    COMPACT_IBAN,
    COMPACT_PHONE,
    PHONE_PATTERN,
    SWIFT_PATTERN,
    AccountNumber,
    BankName,
    phone_of,
)
from railbook.external_accounts.rails.latam import BANK_AND_MOBILE, BranchCode
from railbook.kit.identifiers import FormatError
from railbook.kit.identifiers.bic import bic_country, check_bic
from railbook.kit.identifiers.iban import check_iban
from railbook.kit.identifiers.ifsc import check_ifsc

UPI_FIELDS = ("vpa",)
BANK_FIELDS = ("accountNumber", "ifsc", "rail")
BANK_RAILS = ("NEFT", "RTGS")
SHAPES = "vpa (UPI) or accountNumber, ifsc and rail (NEFT/RTGS)"

Vpa = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[a-zA-Z0-9.\-_]+@[a-zA-Z0-9]+$")]
InrAccountNumber = Annotated[str, Field(min_length=9, max_length=18, pattern=r"^[0-9]{9,18}$")]
Ifsc = Annotated[str, Field(min_length=11, max_length=11, pattern=r"^[A-Z]{4}0[A-Z0-9]{6}$"), checked(check_ifsc)]
InrRail = Annotated[str, Field(min_length=1, max_length=32)]
BdPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("BD"), COMPACT_PHONE]
PkPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("PK"), COMPACT_PHONE]
PkIban = Annotated[
    str,
    Field(min_length=24, max_length=24, pattern=r"^PK[0-9]{2}[A-Z]{4}[0-9]{16}$"),
    checked(partial(check_iban, country="PK")),
    COMPACT_IBAN,
]


def check_bangladeshi_bic(value: str) -> str:
    """A valid BIC of a bank in Bangladesh (a BDT account is held there)."""
    check_bic(value)
    if bic_country(value) != "BD":
        raise FormatError(f"SWIFT/BIC must be of a bank in Bangladesh (BD), not {bic_country(value)}")
    return value


BdSwiftCode = Annotated[str, Field(min_length=8, max_length=11, pattern=SWIFT_PATTERN), checked(check_bangladeshi_bic)]


class InrAccount(AccountInfo):
    """`InrExternalAccountCreateInfo`: a UPI address (vpa), or an account number + IFSC over NEFT or RTGS."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"INR"}),
        payment_rails=("UPI", "NEFT", "RTGS"),
        primary=("vpa", "accountNumber"),
        countries=frozenset({"IN"}),
    )

    account_type: Literal["INR_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = EitherOr((UPI_FIELDS, BANK_FIELDS))
    vpa: Vpa | None = None
    account_number: InrAccountNumber | None = None
    ifsc: Ifsc | None = None
    # `rail` on the wire; the attribute name `rail` already holds the class's Rail facts.
    rail_name: InrRail | None = Field(default=None, alias="rail")
    bank_name: BankName | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def payment_rails_for(cls, stored: dict[str, Any]) -> list[str]:
        """UPI for a vpa, otherwise the NEFT or RTGS rail the platform chose."""
        return ["UPI"] if stored.get("vpa") else [str(stored.get("rail"))]

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Exactly one shape: vpa (UPI), or accountNumber + ifsc + rail NEFT|RTGS."""
        present = [name for name in (*UPI_FIELDS, *BANK_FIELDS) if raw.get(name) not in (None, "")]
        rail = raw.get("rail")
        wrong_rail = isinstance(rail, str) and rail != "" and rail not in BANK_RAILS
        errors = errors_on(("rail",), "rail must be NEFT or RTGS") if wrong_rail else []
        if not present:
            return errors_on((*UPI_FIELDS, *BANK_FIELDS), f"give {SHAPES}")
        if "vpa" in present:
            return errors + (errors_on(tuple(present), f"give either {SHAPES}, not both") if len(present) > 1 else [])
        missing = tuple(name for name in BANK_FIELDS if name not in present)
        return errors + errors_on(missing, "NEFT/RTGS needs accountNumber, ifsc and rail")


def errors_on(names: tuple[str, ...], message: str) -> list[FieldError]:
    """The same message on each named accountInfo field."""
    return [{"field": f"accountInfo.{name}", "message": message} for name in names]


class BdtAccount(AccountInfo):
    """`BdtExternalAccountCreateInfo`: a Bangladeshi bank account, or a bKash/Nagad wallet by phone number."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"BDT"}), payment_rails=BANK_AND_MOBILE, primary=("accountNumber", "phoneNumber")
    )

    account_type: Literal["BDT_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice()
    mobile_providers: ClassVar[tuple[str, ...]] = ("bKash", "Nagad")
    account_number: AccountNumber | None = None
    bank_name: BankName
    branch_code: BranchCode | None = None
    swift_code: BdSwiftCode | None = None
    phone_number: BdPhone | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: accountNumber (+ branchCode, swiftCode); mobile money: phoneNumber at bKash or Nagad."""
        return bank_or_mobile(raw, cls.either_or, providers=cls.mobile_providers)


class PkrAccount(AccountInfo):
    """`PkrExternalAccountCreateInfo`: a Pakistani bank account (optional PK IBAN), or a JazzCash/Easypaisa wallet."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"PKR"}), payment_rails=BANK_AND_MOBILE, primary=("accountNumber", "phoneNumber")
    )

    account_type: Literal["PKR_ACCOUNT"]
    either_or: ClassVar[EitherOr | None] = bank_or_mobile_choice()
    mobile_providers: ClassVar[tuple[str, ...]] = ("JazzCash", "Easypaisa")
    bank_name: BankName
    account_number: AccountNumber | None = None
    iban: PkIban | None = None
    phone_number: PkPhone | None = None
    beneficiary: FiatBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Bank transfer: accountNumber (iban optional); mobile money: phoneNumber at JazzCash or Easypaisa."""
        return bank_or_mobile(raw, cls.either_or, providers=cls.mobile_providers)


MODELS: list[type[AccountInfo]] = [InrAccount, BdtAccount, PkrAccount]
