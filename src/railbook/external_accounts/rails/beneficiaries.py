"""Beneficiaries: each currency's individual and business schemas (Grid PR #880), wallet owners, the legacy ones."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, model_validator

from railbook.external_accounts.rails.fields import Phone
from railbook.kit.address import Address
from railbook.kit.countries import CountryCode
from railbook.kit.wire import BirthDate, WireModel

# Grid's limits since PR #880: names 250, registration number and tax id 100 (email and phone
# numbers are held to less by their own checks: 254 and 15 characters).
Name = Annotated[str, Field(min_length=1, max_length=250)]
BusinessIdentifier = Annotated[str, Field(min_length=1, max_length=100)]
# The older generation keeps the limits Railbook applied before.
LegacyName = Annotated[str, Field(min_length=1, max_length=255)]
LegacyIdentifier = Annotated[str, Field(min_length=1, max_length=64)]


class IndividualBeneficiary(WireModel):
    """`<Ccy>Beneficiary`: a person; only fullName is required."""

    beneficiary_type: Literal["INDIVIDUAL"]
    full_name: Name
    birth_date: BirthDate | None = None
    nationality: CountryCode | None = None
    email: EmailStr | None = None
    phone_number: Phone | None = None
    country_of_residence: CountryCode | None = None
    address: Address | None = None


class AedBeneficiary(IndividualBeneficiary):
    """AED: the address is required."""

    address: Address


class EurBeneficiary(IndividualBeneficiary):
    """EUR: the country of residence is required."""

    country_of_residence: CountryCode


class TryBeneficiary(IndividualBeneficiary):
    """TRY: the country of residence is required."""

    country_of_residence: CountryCode


class GtqBeneficiary(IndividualBeneficiary):
    """GTQ: phone number and country of residence are required."""

    phone_number: Phone
    country_of_residence: CountryCode


class JmdBeneficiary(IndividualBeneficiary):
    """JMD: address and phone number are required."""

    address: Address
    phone_number: Phone


class CadBeneficiary(IndividualBeneficiary):
    """CAD: an optional registration number."""

    registration_number: BusinessIdentifier | None = None


class CopBeneficiary(IndividualBeneficiary):
    """COP: an optional identity document."""

    document_type: Literal["CC", "CE", "TI", "NIT", "PP"] | None = None
    document_number: str | None = Field(default=None, min_length=1, max_length=50)


class LegacyIndividualBeneficiary(IndividualBeneficiary):
    """The older generation: birth date and nationality were required."""

    full_name: LegacyName
    birth_date: BirthDate
    nationality: CountryCode


def flatten_business_info(data: Any) -> Any:
    """The guides' `businessInfo {legalName, taxId, registrationNumber}` moved up beside beneficiaryType."""
    if isinstance(data, dict) and isinstance(data.get("businessInfo"), dict):
        nested = data["businessInfo"]
        flat = {key: value for key, value in data.items() if key != "businessInfo"}
        for key in ("legalName", "taxId", "registrationNumber"):
            if key in nested and key not in flat:
                flat[key] = nested[key]
        return flat
    return data


class BusinessBeneficiary(WireModel):
    """`BusinessBeneficiary` (shared, and `<Ccy>BusinessBeneficiary` of the same requirements), flat.

    The guides' nested `businessInfo {legalName, taxId}` is accepted.
    """

    beneficiary_type: Literal["BUSINESS"]
    legal_name: Name
    registration_number: BusinessIdentifier | None = None
    tax_id: BusinessIdentifier | None = None
    email: EmailStr | None = None
    phone_number: Phone | None = None
    country_of_residence: CountryCode | None = None
    address: Address | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_business_info(cls, data: Any) -> Any:
        return flatten_business_info(data)


class AddressedBusinessBeneficiary(BusinessBeneficiary):
    """AED, CNY, EGP and ILS businesses: the address is required."""

    address: Address


class RegisteredBusinessBeneficiary(BusinessBeneficiary):
    """BWP, KES, MWK, NGN, RWF, TZS, UGX, XAF, XOF, ZAR and ZMW businesses: registration number and tax id."""

    registration_number: BusinessIdentifier
    tax_id: BusinessIdentifier


class EurBusinessBeneficiary(RegisteredBusinessBeneficiary):
    """EUR businesses: country of residence, registration number and tax id."""

    country_of_residence: CountryCode


class TryBusinessBeneficiary(BusinessBeneficiary):
    """TRY businesses: the country of residence is required."""

    country_of_residence: CountryCode


class LegacyBusinessBeneficiary(BusinessBeneficiary):
    """The older generation's business, with the limits Railbook applied before Grid's."""

    legal_name: LegacyName
    registration_number: LegacyIdentifier | None = None
    tax_id: LegacyIdentifier | None = None


class WalletIndividualBeneficiary(WireModel):
    """`WalletIndividualBeneficiary`: the person who owns a wallet."""

    beneficiary_type: Literal["INDIVIDUAL"]
    full_name: Name
    country_of_residence: CountryCode


# The `oneOf` on beneficiaryType per currency: its individual schema and its business schema.
FiatBeneficiary = Annotated[IndividualBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
AddressedBusinessChoice = Annotated[
    IndividualBeneficiary | AddressedBusinessBeneficiary, Field(discriminator="beneficiary_type")
]
RegisteredBusinessChoice = Annotated[
    IndividualBeneficiary | RegisteredBusinessBeneficiary, Field(discriminator="beneficiary_type")
]
AedBeneficiaryChoice = Annotated[AedBeneficiary | AddressedBusinessBeneficiary, Field(discriminator="beneficiary_type")]
EurBeneficiaryChoice = Annotated[EurBeneficiary | EurBusinessBeneficiary, Field(discriminator="beneficiary_type")]
TryBeneficiaryChoice = Annotated[TryBeneficiary | TryBusinessBeneficiary, Field(discriminator="beneficiary_type")]
GtqBeneficiaryChoice = Annotated[GtqBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
JmdBeneficiaryChoice = Annotated[JmdBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
CadBeneficiaryChoice = Annotated[CadBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
CopBeneficiaryChoice = Annotated[CopBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
LegacyBeneficiary = Annotated[
    LegacyIndividualBeneficiary | LegacyBusinessBeneficiary, Field(discriminator="beneficiary_type")
]
WalletBeneficiary = Annotated[
    WalletIndividualBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")
]
