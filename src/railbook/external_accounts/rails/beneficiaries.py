"""Beneficiaries: the individual schema per currency, the shared business schema, wallet owners."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, model_validator

from railbook.external_accounts.rails.fields import Phone
from railbook.kit.address import Address
from railbook.kit.countries import CountryCode
from railbook.kit.wire import BirthDate, WireModel

Name = Annotated[str, Field(min_length=1, max_length=255)]


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

    registration_number: str | None = Field(default=None, min_length=1, max_length=64)


class CopBeneficiary(IndividualBeneficiary):
    """COP: an optional identity document."""

    document_type: Literal["CC", "CE", "TI", "NIT", "PP"] | None = None
    document_number: str | None = Field(default=None, min_length=1, max_length=50)


class LegacyIndividualBeneficiary(IndividualBeneficiary):
    """The older generation: birth date and nationality were required."""

    birth_date: BirthDate
    nationality: CountryCode


class BusinessBeneficiary(WireModel):
    """`BusinessBeneficiary`, flat; the guides' nested `businessInfo {legalName, taxId}` is accepted."""

    beneficiary_type: Literal["BUSINESS"]
    legal_name: Name
    registration_number: str | None = Field(default=None, min_length=1, max_length=64)
    tax_id: str | None = Field(default=None, min_length=1, max_length=64)
    email: EmailStr | None = None
    phone_number: Phone | None = None
    country_of_residence: CountryCode | None = None
    address: Address | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_business_info(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("businessInfo"), dict):
            nested = data["businessInfo"]
            flat = {key: value for key, value in data.items() if key != "businessInfo"}
            for key in ("legalName", "taxId", "registrationNumber"):
                if key in nested and key not in flat:
                    flat[key] = nested[key]
            return flat
        return data


class WalletIndividualBeneficiary(WireModel):
    """`WalletIndividualBeneficiary`: the person who owns a wallet."""

    beneficiary_type: Literal["INDIVIDUAL"]
    full_name: Name
    country_of_residence: CountryCode


# The `oneOf` on beneficiaryType per currency: its individual schema or the shared business one.
FiatBeneficiary = Annotated[IndividualBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
AedBeneficiaryChoice = Annotated[AedBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
EurBeneficiaryChoice = Annotated[EurBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
GtqBeneficiaryChoice = Annotated[GtqBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
JmdBeneficiaryChoice = Annotated[JmdBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
CadBeneficiaryChoice = Annotated[CadBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
CopBeneficiaryChoice = Annotated[CopBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")]
LegacyBeneficiary = Annotated[
    LegacyIndividualBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")
]
WalletBeneficiary = Annotated[
    WalletIndividualBeneficiary | BusinessBeneficiary, Field(discriminator="beneficiary_type")
]
