"""Africa, mobile money: a phone number at a provider (KES, TZS, RWF, ZMW, UGX, MWK, BWP, XOF, XAF)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from railbook.external_accounts.rails.base import AccountInfo, FieldError, Rail, field_in
from railbook.external_accounts.rails.beneficiaries import RegisteredBusinessChoice
from railbook.external_accounts.rails.fields import COMPACT_PHONE, PHONE_PATTERN, Phone, Provider, phone_of
from railbook.kit.identifiers import FormatError
from railbook.kit.identifiers.phone import check_phone

MOBILE_MONEY = ("MOBILE_MONEY",)
REGION_PATTERN = r"^[A-Z]{2}$"


# The contract's phone pattern for each type, plus a number valid for the country (phonenumbers).
KePhone = Annotated[str, Field(min_length=7, max_length=15, pattern=r"^\+254[0-9]{9}$"), phone_of("KE"), COMPACT_PHONE]
TzPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=r"^\+255[0-9]{9}$"), phone_of("TZ"), COMPACT_PHONE]
RwPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=r"^\+250[0-9]{9}$"), phone_of("RW"), COMPACT_PHONE]
ZmPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=r"^\+260[0-9]{9}$"), phone_of("ZM"), COMPACT_PHONE]
UgPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("UG"), COMPACT_PHONE]
MwPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("MW"), COMPACT_PHONE]
BwPhone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), phone_of("BW"), COMPACT_PHONE]
# A Literal is stricter than the contract's pattern, which is only declared for the schema.
XofRegion = Annotated[
    Literal["BJ", "CI", "SN", "TG"], Field(min_length=2, max_length=2, json_schema_extra={"pattern": REGION_PATTERN})
]
XafRegion = Annotated[
    Literal["CM", "CG"], Field(min_length=2, max_length=2, json_schema_extra={"pattern": REGION_PATTERN})
]

# Guide phone formats per XOF region (the guide names none for TG). Benin moved from 8 digits to
# 10 ("01" + the old number) in November 2024; the guide predates it and phonenumbers follows it.
XOF_GUIDE_PHONES: dict[str, tuple[str, str]] = {
    "SN": (r"^\+221[0-9]{9}$", "+221 then 9 digits"),
    "CI": (r"^\+225[0-9]{10}$", "+225 then 10 digits"),
    "BJ": (r"^\+229[0-9]{8,10}$", "+229 then 8 to 10 digits"),
}


def guide_phone(raw: dict[str, Any], pattern: str, shape: str) -> list[FieldError]:
    """An error on phoneNumber when a present string does not have the guide's shape."""
    value = raw.get("phoneNumber")
    if isinstance(value, str) and not re.fullmatch(pattern, value):
        return [{"field": "accountInfo.phoneNumber", "message": f"phone number must be {shape}"}]
    return []


def phone_in_region(raw: dict[str, Any], regions: tuple[str, ...]) -> list[FieldError]:
    """An error on phoneNumber when a valid number is not of the country named by a valid region."""
    value, region = raw.get("phoneNumber"), raw.get("region")
    if not isinstance(value, str) or region not in regions:
        return []
    try:
        check_phone(value)
    except FormatError:
        return []  # not a phone number at all: reported by the field itself
    try:
        check_phone(value, country=region)
    except FormatError as exc:
        return [{"field": "accountInfo.phoneNumber", "message": f"{exc}, to match region {region}"}]
    return []


class MobileMoneyAccount(AccountInfo):
    """A mobile-money wallet: a phone number at a provider; subclasses narrow both."""

    rail: ClassVar[Rail]
    # The providers the guide allows (compared case-insensitively, stored as sent); empty means any.
    providers: ClassVar[tuple[str, ...]] = ()
    # The guide's phone shape beyond the schema's pattern: (regex, description).
    guide_phone_shape: ClassVar[tuple[str, str] | None] = None

    phone_number: Phone
    provider: Provider
    beneficiary: RegisteredBusinessChoice

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """The guide's provider list and phone shape."""
        errors: list[FieldError] = []
        if cls.providers:
            names = cls.providers[0] if len(cls.providers) == 1 else f"one of {', '.join(cls.providers)}"
            message = f"provider must be {names}"
            errors += field_in(raw, "provider", set(cls.providers), message)
        if cls.guide_phone_shape is not None:
            errors += guide_phone(raw, *cls.guide_phone_shape)
        return errors


def _mobile_rail(currency: str, countries: frozenset[str] | None = None) -> Rail:
    return Rail(
        currencies=frozenset({currency}), payment_rails=MOBILE_MONEY, primary=("phoneNumber",), countries=countries
    )


class KesAccount(MobileMoneyAccount):
    """`KesExternalAccountCreateInfo`: an M-PESA wallet in Kenya."""

    rail: ClassVar[Rail] = _mobile_rail("KES")
    providers: ClassVar[tuple[str, ...]] = ("M-PESA",)

    account_type: Literal["KES_ACCOUNT"]
    phone_number: KePhone


class TzsAccount(MobileMoneyAccount):
    """`TzsExternalAccountCreateInfo`: an Airtel or Vodacom wallet in Tanzania."""

    rail: ClassVar[Rail] = _mobile_rail("TZS")
    providers: ClassVar[tuple[str, ...]] = ("AIRTEL", "VODACOM")

    account_type: Literal["TZS_ACCOUNT"]
    phone_number: TzPhone


class RwfAccount(MobileMoneyAccount):
    """`RwfExternalAccountCreateInfo`: an MTN or Airtel wallet in Rwanda."""

    rail: ClassVar[Rail] = _mobile_rail("RWF")
    providers: ClassVar[tuple[str, ...]] = ("MTN", "AIRTEL")

    account_type: Literal["RWF_ACCOUNT"]
    phone_number: RwPhone


class ZmwAccount(MobileMoneyAccount):
    """`ZmwExternalAccountCreateInfo`: a TNM, Airtel, Zamtel or MTN wallet in Zambia."""

    rail: ClassVar[Rail] = _mobile_rail("ZMW")
    providers: ClassVar[tuple[str, ...]] = ("TNM", "AIRTEL", "ZAMTEL", "MTN")

    account_type: Literal["ZMW_ACCOUNT"]
    phone_number: ZmPhone


class UgxAccount(MobileMoneyAccount):
    """`UgxExternalAccountCreateInfo`: an MTN or Airtel wallet in Uganda."""

    rail: ClassVar[Rail] = _mobile_rail("UGX")
    providers: ClassVar[tuple[str, ...]] = ("MTN", "AIRTEL")
    guide_phone_shape: ClassVar[tuple[str, str] | None] = (r"^\+256[0-9]{9}$", "+256 then 9 digits")

    account_type: Literal["UGX_ACCOUNT"]
    phone_number: UgPhone


class MwkAccount(MobileMoneyAccount):
    """`MwkExternalAccountCreateInfo`: an Airtel or TNM wallet in Malawi."""

    rail: ClassVar[Rail] = _mobile_rail("MWK")
    providers: ClassVar[tuple[str, ...]] = ("AIRTEL", "TNM")
    guide_phone_shape: ClassVar[tuple[str, str] | None] = (r"^\+265[0-9]{9}$", "+265 then 9 digits")

    account_type: Literal["MWK_ACCOUNT"]
    phone_number: MwPhone


class BwpAccount(MobileMoneyAccount):
    """`BwpExternalAccountCreateInfo`: a mobile-money wallet in Botswana (the guide names no providers)."""

    rail: ClassVar[Rail] = _mobile_rail("BWP")

    account_type: Literal["BWP_ACCOUNT"]
    phone_number: BwPhone


class XofAccount(MobileMoneyAccount):
    """`XofExternalAccountCreateInfo`: a wallet in Benin, Côte d'Ivoire, Senegal or Togo."""

    rail: ClassVar[Rail] = _mobile_rail("XOF", frozenset(get_args(get_args(XofRegion)[0])))

    account_type: Literal["XOF_ACCOUNT"]
    region: XofRegion

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """The phone number belongs to the region's country, in the guide's shape for it."""
        errors = phone_in_region(raw, ("BJ", "CI", "SN", "TG"))
        region = raw.get("region")
        if not errors and isinstance(region, str) and region in XOF_GUIDE_PHONES:
            errors = guide_phone(raw, *XOF_GUIDE_PHONES[region])
        return errors


class XafAccount(MobileMoneyAccount):
    """`XafExternalAccountCreateInfo`: a wallet in Cameroon or the Republic of the Congo."""

    rail: ClassVar[Rail] = _mobile_rail("XAF", frozenset(get_args(get_args(XafRegion)[0])))

    account_type: Literal["XAF_ACCOUNT"]
    region: XafRegion

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """The phone number belongs to the region's country."""
        return phone_in_region(raw, ("CM", "CG"))


MODELS: list[type[AccountInfo]] = [
    KesAccount, TzsAccount, RwfAccount, ZmwAccount, UgxAccount, MwkAccount, BwpAccount, XofAccount, XafAccount,
]  # fmt: skip
