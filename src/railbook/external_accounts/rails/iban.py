"""IBAN rails: EUR (SEPA), DKK (Danish IBAN), AED (UAE IBAN), ILS (Israeli IBAN), TRY (Turkish IBAN)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from railbook.external_accounts.rails.base import AccountInfo, Rail
from railbook.external_accounts.rails.beneficiaries import (
    AddressedBusinessChoice,
    AedBeneficiaryChoice,
    EurBeneficiaryChoice,
    FiatBeneficiary,
    TryBeneficiaryChoice,
)
from railbook.external_accounts.rails.checks import checked
from railbook.external_accounts.rails.fields import COMPACT_IBAN, BankName, SwiftCode
from railbook.kit.identifiers.iban import check_iban, check_sepa_iban, sepa_countries

SEPA_RAILS = ("SEPA", "SEPA_INSTANT")

# The contract's generic IBAN shape; the account must sit in a SEPA country to be paid over SEPA.
SepaIban = Annotated[
    str,
    Field(min_length=15, max_length=34, pattern=r"^[A-Z]{2}[0-9]{2}[A-Za-z0-9]{11,30}$"),
    checked(check_sepa_iban),
    COMPACT_IBAN,
]
DkIban = Annotated[
    str,
    Field(min_length=18, max_length=18, pattern=r"^DK[0-9]{16}$"),
    checked(partial(check_iban, country="DK")),
    COMPACT_IBAN,
]
IlIban = Annotated[
    str,
    Field(min_length=23, max_length=23, pattern=r"^IL[0-9]{21}$"),
    checked(partial(check_iban, country="IL")),
    COMPACT_IBAN,
]
TrIban = Annotated[
    str,
    Field(min_length=26, max_length=26, pattern=r"^TR[0-9]{2}[0-9A-Z]{22}$"),
    checked(partial(check_iban, country="TR")),
    COMPACT_IBAN,
]
AeIban = Annotated[
    str,
    Field(min_length=23, max_length=23, pattern=r"^AE[0-9]{21}$"),
    checked(partial(check_iban, country="AE")),
    COMPACT_IBAN,
]


def _iban_rail(currency: str, payment_rails: tuple[str, ...], countries: frozenset[str] | None = None) -> Rail:
    """An account identified by its IBAN, in one currency; no provider checks the name."""
    return Rail(currencies=frozenset({currency}), payment_rails=payment_rails, primary=("iban",), countries=countries)


class EurAccount(AccountInfo):
    """`EurExternalAccountCreateInfo`: an IBAN of a SEPA country, paid over SEPA or SEPA Instant."""

    rail: ClassVar[Rail] = _iban_rail("EUR", SEPA_RAILS, sepa_countries())

    account_type: Literal["EUR_ACCOUNT"]
    # The bank's BIC from the IBAN when left out (Grid PR #916 documents it for EUR).
    filled_from_identifiers: ClassVar[tuple[str, ...]] = ("swiftCode",)
    iban: SepaIban
    swift_code: SwiftCode | None = None
    beneficiary: EurBeneficiaryChoice


class DkkAccount(AccountInfo):
    """`DkkExternalAccountCreateInfo`: a Danish IBAN (DK, 18 characters)."""

    rail: ClassVar[Rail] = _iban_rail("DKK", SEPA_RAILS)

    account_type: Literal["DKK_ACCOUNT"]
    filled_from_identifiers: ClassVar[tuple[str, ...]] = ("swiftCode",)
    iban: DkIban
    swift_code: SwiftCode | None = None
    beneficiary: FiatBeneficiary


class AedAccount(AccountInfo):
    """`AedExternalAccountCreateInfo`: a UAE IBAN (AE, 23 characters); individuals give an address."""

    rail: ClassVar[Rail] = _iban_rail("AED", ("BANK_TRANSFER",))

    account_type: Literal["AED_ACCOUNT"]
    filled_from_identifiers: ClassVar[tuple[str, ...]] = ("swiftCode",)
    iban: AeIban
    swift_code: SwiftCode | None = None
    beneficiary: AedBeneficiaryChoice


class IlsAccount(AccountInfo):
    """`IlsExternalAccountCreateInfo` (Grid PR #880): an Israeli IBAN and its bank's name.

    `bankName` is checked against `GET /discoveries` for IL (external_accounts/discovered.py).
    """

    rail: ClassVar[Rail] = _iban_rail("ILS", ("BANK_TRANSFER",), frozenset({"IL"}))

    account_type: Literal["ILS_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    iban: IlIban
    bank_name: BankName
    beneficiary: AddressedBusinessChoice


class TryAccount(AccountInfo):
    """`TryExternalAccountCreateInfo` (Grid's bundled spec, 2026-09): a Turkish IBAN and its bank's name.

    As for ILS, `bankName` is checked against `GET /discoveries` for TR.
    """

    rail: ClassVar[Rail] = _iban_rail("TRY", ("BANK_TRANSFER",))

    account_type: Literal["TRY_ACCOUNT"]
    discovered_bank_name: ClassVar[bool] = True
    iban: TrIban
    bank_name: BankName
    beneficiary: TryBeneficiaryChoice


MODELS: list[type[AccountInfo]] = [EurAccount, DkkAccount, AedAccount, IlsAccount, TryAccount]
