"""The seed-era generation: US_ACCOUNT, CLABE, PIX, IBAN, UPI, answered in the shape they were sent.

Each legacy model validates its own (legacy) fields with the current generation's checks, is stored as
the current accountType it became (contract notes §15), and is rendered back in the legacy schema.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, get_args

import pycountry
from pydantic import Field, ValidationInfo, field_validator
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from railbook.external_accounts.rails.base import AccountInfo, FieldError, Rail
from railbook.external_accounts.rails.beneficiaries import LegacyBeneficiary
from railbook.external_accounts.rails.checks import checked, run_check
from railbook.external_accounts.rails.fields import (
    COMPACT_IBAN,
    BankAccountType,
    BankName,
    RoutingNumber,
    SwiftCode,
)
from railbook.external_accounts.rails.latam import BrlAccount, MxnAccount, PixKey, PixKeyType, TaxId, check_pix_key
from railbook.external_accounts.rails.south_asia import InrAccount, Vpa
from railbook.external_accounts.rails.us import BankName140, UsAccountNumber, UsdAccount
from railbook.kit.bank_facts import fill_missing
from railbook.kit.identifiers.bic import BIC_PATTERN, bic_country
from railbook.kit.identifiers.clabe import check_clabe
from railbook.kit.identifiers.iban import check_iban, normalise_iban, sepa_countries

ISO_CURRENCIES = frozenset(currency.alpha_3 for currency in pycountry.currencies)

# Legacy IBANs by country (§15): these four have their own accountType now; the rest of the SEPA zone
# is EUR_ACCOUNT and every other IBAN country is a SWIFT_ACCOUNT. Each maps to (accountType, currency).
IBAN_COUNTRY_TYPES = {
    "DK": ("DKK_ACCOUNT", "DKK"),
    "AE": ("AED_ACCOUNT", "AED"),
    "EG": ("EGP_ACCOUNT", "EGP"),
    "PK": ("PKR_ACCOUNT", "PKR"),
}
SEPA_TYPE = ("EUR_ACCOUNT", "EUR")
SWIFT_TYPE = "SWIFT_ACCOUNT"
# The current types whose schema requires bankName.
NEEDS_BANK_NAME = frozenset({"EGP_ACCOUNT", "PKR_ACCOUNT", SWIFT_TYPE})
# PKR_ACCOUNT's iban pattern is stricter than the PK IBAN format (16 digits, not 16 characters).
PKR_IBAN = re.compile(r"^PK[0-9]{2}[A-Z]{4}[0-9]{16}$")

LegacyClabe = Annotated[str, Field(min_length=18, max_length=18, pattern=r"^[0-9]{18}$"), checked(check_clabe)]
# The legacy IBAN had no pattern: spaces and lower case are accepted and normalised.
LegacyIban = Annotated[str, Field(min_length=15, max_length=34), checked(check_iban), COMPACT_IBAN]


class LegacyAccount(AccountInfo):
    """A seed-era accountType: validated in its own shape, stored as `current_type`, answered in kind."""

    current_type: ClassVar[str]
    # Legacy wire name -> current wire name, for fields that were renamed.
    renamed: ClassVar[dict[str, str]] = {}
    # The accountInfo fields of the legacy schema (besides accountType): the only ones answered.
    legacy_fields: ClassVar[tuple[str, ...]]

    def stored(self) -> dict[str, Any]:
        """The current generation's accountInfo."""
        data = self.wire()
        data.pop("accountType")
        return {"accountType": self.current_type, **{self.renamed.get(key, key): value for key, value in data.items()}}

    @classmethod
    def render_legacy(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """The stored accountInfo in the legacy schema's shape (no paymentRails, legacy names)."""
        legacy_names = {current: legacy for legacy, current in cls.renamed.items()}
        info: dict[str, Any] = {"accountType": get_args(cls.model_fields["account_type"].annotation)[0]}
        for key, value in stored.items():
            name = legacy_names.get(key, key)
            if name in cls.legacy_fields:
                info[name] = value
        return info


class LegacyUsAccount(LegacyAccount):
    """`UsAccountInfo` (legacy US_ACCOUNT): accountCategory became bankAccountType in USD_ACCOUNT."""

    rail: ClassVar[Rail] = UsdAccount.rail
    current_type: ClassVar[str] = "USD_ACCOUNT"
    renamed: ClassVar[dict[str, str]] = {"accountCategory": "bankAccountType"}
    legacy_fields: ClassVar[tuple[str, ...]] = (
        "accountNumber", "routingNumber", "accountCategory", "bankName", "beneficiary",
    )  # fmt: skip

    account_type: Literal["US_ACCOUNT"]
    account_number: UsAccountNumber
    routing_number: RoutingNumber
    account_category: BankAccountType
    bank_name: BankName140 | None = None
    beneficiary: LegacyBeneficiary

    @classmethod
    def render_legacy(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """Back to the US_ACCOUNT shape (accountCategory is required there)."""
        info = super().render_legacy(stored)
        info.setdefault("accountCategory", "CHECKING")
        return info


class LegacyClabeAccount(LegacyAccount):
    """`ClabeAccountInfo` (legacy CLABE): stored as MXN_ACCOUNT, clabeNumber unchanged."""

    rail: ClassVar[Rail] = MxnAccount.rail
    current_type: ClassVar[str] = "MXN_ACCOUNT"
    legacy_fields: ClassVar[tuple[str, ...]] = ("clabeNumber", "bankName", "beneficiary")

    account_type: Literal["CLABE"]
    clabe_number: LegacyClabe
    # Not in the legacy schema, but seed 004 sends it: stored and answered back.
    bank_name: BankName | None = None
    beneficiary: LegacyBeneficiary


class LegacyPixAccount(LegacyAccount):
    """`PixAccountInfo` (legacy PIX): stored as BRL_ACCOUNT; taxId optional, as seed 004's example omits it."""

    rail: ClassVar[Rail] = BrlAccount.rail
    current_type: ClassVar[str] = "BRL_ACCOUNT"
    legacy_fields: ClassVar[tuple[str, ...]] = ("pixKey", "pixKeyType", "taxId", "bankName", "beneficiary")

    account_type: Literal["PIX"]
    # Declared before pixKey so that the key's validator can read it.
    pix_key_type: PixKeyType
    pix_key: PixKey
    tax_id: TaxId | None = None
    # Not in the legacy schema, but seed 004 sends it: stored and answered back.
    bank_name: BankName | None = None
    beneficiary: LegacyBeneficiary

    @field_validator("pix_key")
    @classmethod
    def _key_matches_type(cls, value: str, info: ValidationInfo) -> str:
        key_type = info.data.get("pix_key_type")
        if key_type is None:
            # pixKeyType itself failed and is reported; there is nothing to match the key against.
            return value
        if key_type == "PHONE" and value.isdigit():
            # The legacy schema's example writes phone keys without the + (55119876543210).
            value = f"+{value}"
        return run_check(lambda text: check_pix_key(key_type, text), value, info)


class LegacyUpiAccount(LegacyAccount):
    """`UpiAccountInfo` (legacy UPI): stored as INR_ACCOUNT paid over UPI."""

    rail: ClassVar[Rail] = InrAccount.rail
    current_type: ClassVar[str] = "INR_ACCOUNT"
    legacy_fields: ClassVar[tuple[str, ...]] = ("vpa", "beneficiary")

    account_type: Literal["UPI"]
    vpa: Vpa
    beneficiary: LegacyBeneficiary


def iban_target(value: Any) -> tuple[str, str | None] | None:
    """The current accountType a legacy IBAN becomes and its currency (None: any), from the IBAN's country."""
    if not isinstance(value, str):
        return None
    try:
        iban = IBAN(normalise_iban(value), allow_invalid=True)
        country, sepa = iban.country_code, iban.in_sepa_zone
    except SchwiftyException:
        return None
    if country in IBAN_COUNTRY_TYPES:
        return IBAN_COUNTRY_TYPES[country]
    return SEPA_TYPE if sepa else (SWIFT_TYPE, None)


class LegacyIbanAccount(LegacyAccount):
    """`IbanAccountInfo` (legacy IBAN): stored as EUR_ACCOUNT, or by the IBAN's country as DKK/AED/EGP/PKR/SWIFT."""

    # EUR_ACCOUNT's rail facts; the currency depends on the IBAN's country (currency_errors).
    rail: ClassVar[Rail] = Rail(
        currencies=None, payment_rails=("SEPA", "SEPA_INSTANT"), primary=("iban",), countries=sepa_countries()
    )
    current_type: ClassVar[str] = SEPA_TYPE[0]
    renamed: ClassVar[dict[str, str]] = {"swiftBic": "swiftCode"}
    legacy_fields: ClassVar[tuple[str, ...]] = ("iban", "swiftBic", "bankName", "beneficiary")

    account_type: Literal["IBAN"]
    iban: LegacyIban
    swift_bic: SwiftCode
    # Not in the legacy schema, but seed 004 sends it, and EGP, PKR and SWIFT accounts require it.
    bank_name: BankName | None = None
    beneficiary: LegacyBeneficiary

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """What the accountType the IBAN's country maps to needs beyond the legacy fields."""
        target = iban_target(raw.get("iban"))
        if target is None:
            return []
        account_type = target[0]
        errors: list[FieldError] = []
        no_name = raw.get("bankName") in (None, "") and not fill_missing(raw, fields=("bankName",))
        if account_type in NEEDS_BANK_NAME and no_name:
            message = f"an IBAN of this country is stored as {account_type}, which needs bankName"
            errors.append({"field": "accountInfo.bankName", "message": message})
        iban = normalise_iban(str(raw["iban"]))
        if account_type == "PKR_ACCOUNT" and not PKR_IBAN.match(iban):
            message = "a Pakistani IBAN is PK, 2 check digits, a 4-letter bank code and 16 digits"
            errors.append({"field": "accountInfo.iban", "message": message})
        bic = raw.get("swiftBic")
        well_formed = isinstance(bic, str) and BIC_PATTERN.match(bic)
        # A SWIFT_ACCOUNT names the bank's country (the IBAN's), which its BIC must agree with.
        if account_type == SWIFT_TYPE and well_formed and bic_country(str(bic)) != iban[:2]:
            message = f"swiftBic is a bank in {bic_country(str(bic))}, but the IBAN is of an account in {iban[:2]}"
            errors.append({"field": "accountInfo.swiftBic", "message": message})
        return errors

    @classmethod
    def currency_errors(cls, currency: str, raw: dict[str, Any]) -> list[FieldError] | None:
        """The currency of the accountType the IBAN's country maps to (any ISO 4217 code for SWIFT)."""
        target = iban_target(raw.get("iban"))
        expected = target[1] if target is not None else None
        if expected is None:
            if currency in ISO_CURRENCIES:
                return []
            return [{"field": "currency", "message": "must be an ISO 4217 currency code"}]
        if currency == expected:
            return []
        assert target is not None
        message = f"an IBAN of this country is stored as {target[0]}, which takes currency {expected}"
        return [{"field": "currency", "message": message, "constraint": {"enum": [expected]}}]

    def stored(self) -> dict[str, Any]:
        """The accountType the IBAN's country maps to, with the fields that type names."""
        iban = normalise_iban(self.iban)
        account_type = (iban_target(iban) or SEPA_TYPE)[0]
        data: dict[str, Any] = {"accountType": account_type, "iban": iban, "swiftCode": self.swift_bic}
        # A name the client sent is kept whatever the type; the registry's only where the type needs one.
        if self.bank_name:
            data["bankName"] = self.bank_name
        elif account_type in NEEDS_BANK_NAME:
            data |= fill_missing(data, fields=("bankName",))
        if account_type == "PKR_ACCOUNT":
            # A PKR bank transfer names the account number: the IBAN's account code.
            data["accountNumber"] = IBAN(iban, allow_invalid=True).account_code
        if account_type == SWIFT_TYPE:
            data["country"] = iban[:2]
        data["beneficiary"] = self.wire()["beneficiary"]
        return data


MODELS: list[type[AccountInfo]] = [
    LegacyUsAccount, LegacyClabeAccount, LegacyPixAccount, LegacyIbanAccount, LegacyUpiAccount,
]  # fmt: skip
