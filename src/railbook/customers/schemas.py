"""Customer request models, one per customerType, exactly as the contract's schemas describe them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import EmailStr, Field, Strict

from railbook.kit.address import Address
from railbook.kit.countries import CountryCode
from railbook.kit.wire import BirthDate, WireDate, WireDateTime, WireModel

E164 = Annotated[str, Field(pattern=r"^\+[1-9]\d{1,14}$")]
UmaAddress = Annotated[str, Field(pattern=r"^\$[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d{1,5})?$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,10}$")]
Description = Annotated[str, Field(min_length=1, max_length=500)]


class CustomerType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"


class IdentificationType(StrEnum):
    SSN = "SSN"
    ITIN = "ITIN"
    EIN = "EIN"
    NON_US_TAX_ID = "NON_US_TAX_ID"


class AcceptanceMethod(StrEnum):
    CHECKBOX = "CHECKBOX"
    CLICK_TO_ACCEPT = "CLICK_TO_ACCEPT"


PurposeOfAccount = Literal[
    "CONTRACTOR_PAYOUTS", "CREATOR_PAYOUTS", "EMPLOYEE_PAYOUTS", "MARKETPLACE_SELLER_PAYOUTS",
    "SUPPLIER_PAYMENTS", "CROSS_BORDER_B2B", "AR_AUTOMATION", "AP_AUTOMATION", "EMBEDDED_PAYMENTS",
    "PLATFORM_FEE_COLLECTION", "P2P_TRANSFERS", "CHARITABLE_DONATIONS", "OTHER",
]  # fmt: skip
MonthlyCount = Literal["COUNT_UNDER_10", "COUNT_10_TO_100", "COUNT_100_TO_500", "COUNT_500_TO_1000", "COUNT_OVER_1000"]
MonthlyVolume = Literal[
    "VOLUME_UNDER_10K", "VOLUME_10K_TO_100K", "VOLUME_100K_TO_1M", "VOLUME_1M_TO_10M", "VOLUME_OVER_10M"
]
EntityType = Literal[
    "SOLE_PROPRIETORSHIP", "PARTNERSHIP", "LLC", "CORPORATION", "S_CORPORATION", "NON_PROFIT",
    "PUBLICLY_LISTED_COMPANY", "TRUST", "PRIVATE_FOUNDATION", "CHARITY", "OTHER",
]  # fmt: skip
BusinessType = Literal[
    "AGRICULTURE_FORESTRY_FISHING_AND_HUNTING", "MINING_QUARRYING_AND_OIL_AND_GAS_EXTRACTION", "UTILITIES",
    "CONSTRUCTION", "MANUFACTURING", "WHOLESALE_TRADE", "RETAIL_TRADE", "TRANSPORTATION_AND_WAREHOUSING",
    "INFORMATION", "FINANCE_AND_INSURANCE", "REAL_ESTATE_AND_RENTAL_AND_LEASING",
    "PROFESSIONAL_SCIENTIFIC_AND_TECHNICAL_SERVICES", "MANAGEMENT_OF_COMPANIES_AND_ENTERPRISES",
    "ADMINISTRATIVE_AND_SUPPORT_AND_WASTE_MANAGEMENT_AND_REMEDIATION_SERVICES", "EDUCATIONAL_SERVICES",
    "HEALTH_CARE_AND_SOCIAL_ASSISTANCE", "ARTS_ENTERTAINMENT_AND_RECREATION",
    "ACCOMMODATION_AND_FOOD_SERVICES", "OTHER_SERVICES", "PUBLIC_ADMINISTRATION",
]  # fmt: skip
BusinessSourceOfFunds = Literal[
    "OPERATING_REVENUE",
    "INVESTMENT_INCOME",
    "LOANS",
    "VENTURE_CAPITAL",
    "PERSONAL_SAVINGS",
    "DONATIONS",
    "OTHER",
]
IndividualSourceOfFunds = Literal[
    "SALARY", "SELF_EMPLOYMENT_INCOME", "INVESTMENT_INCOME", "PENSION", "RENTAL_INCOME", "GIFT",
    "INHERITANCE", "LOAN", "SAVINGS", "SALE_OF_ASSETS", "OTHER",
]  # fmt: skip
SourceOfWealth = Literal[
    "SALARY",
    "BUSINESS_INCOME",
    "INVESTMENTS",
    "INHERITANCE",
    "PROPERTY_SALE",
    "GIFT",
    "RETIREMENT",
    "SAVINGS",
    "OTHER",
]
AnnualIncomeRange = Literal["UNDER_50K", "RANGE_50K_100K", "RANGE_100K_250K", "RANGE_250K_1M", "OVER_1M"]
NetWorthRange = Literal["UNDER_100K", "RANGE_100K_500K", "RANGE_500K_1M", "RANGE_1M_5M", "RANGE_5M_25M", "OVER_25M"]
PepStatus = Literal["NONE", "DOMESTIC", "FOREIGN", "HIO", "FAMILY_OR_ASSOCIATE"]


class EndUserTermsConsent(WireModel):
    """Evidence the customer accepted the End User Terms (`EndUserTermsConsentRequest`)."""

    accepted_at: WireDateTime
    ip_address: str = Field(min_length=1, max_length=45)
    terms_version: str = Field(min_length=1, max_length=64)
    acceptance_method: Annotated[AcceptanceMethod, Strict(False)]


class CustomerCommon(WireModel):
    """Fields every create and update request may carry (`CustomerCreateRequest`)."""

    region: CountryCode | None = None
    currencies: list[Currency] | None = Field(default=None, max_length=50)
    email: EmailStr | None = None
    phone_number: E164 | None = None
    uma_address: UmaAddress | None = None
    end_user_terms_consent: EndUserTermsConsent | None = None


class IndividualFields(WireModel):
    """Fields of an individual (`IndividualCustomerFields` and `CustomerEdd`)."""

    full_name: str | None = Field(default=None, min_length=1, max_length=255)
    birth_date: BirthDate | None = None
    nationality: CountryCode | None = None
    address: Address | None = None
    id_type: Annotated[IdentificationType, Strict(False)] | None = None
    # Write-only: stored, never returned.
    identifier: str | None = Field(default=None, min_length=1, max_length=64)
    country_of_issuance: CountryCode | None = None
    source_of_funds_categories: list[IndividualSourceOfFunds] | None = None
    source_of_funds_other_description: Description | None = None
    source_of_wealth_categories: list[SourceOfWealth] | None = None
    source_of_wealth_other_description: Description | None = None
    purpose_of_account: PurposeOfAccount | None = None
    purpose_of_account_other_description: Description | None = None
    expected_monthly_transaction_count: MonthlyCount | None = None
    expected_monthly_transaction_volume: MonthlyVolume | None = None
    annual_income_range: AnnualIncomeRange | None = None
    net_worth_range: NetWorthRange | None = None
    pep_status: PepStatus | None = None


class BusinessInfoUpdate(WireModel):
    """Business details, every field optional (`BusinessInfoUpdate`)."""

    legal_name: str | None = Field(default=None, min_length=1, max_length=255)
    doing_business_as: str | None = Field(default=None, min_length=1, max_length=255)
    country: CountryCode | None = None
    registration_number: str | None = Field(default=None, min_length=1, max_length=64)
    incorporated_on: WireDate | None = None
    entity_type: EntityType | None = None
    tax_id: str | None = Field(default=None, min_length=1, max_length=64)
    countries_of_operation: list[CountryCode] | None = None
    business_type: BusinessType | None = None
    purpose_of_account: PurposeOfAccount | None = None
    source_of_funds: str | None = Field(default=None, min_length=1, max_length=500)
    expected_monthly_transaction_count: MonthlyCount | None = None
    expected_monthly_transaction_volume: MonthlyVolume | None = None
    expected_recipient_jurisdictions: list[CountryCode] | None = None
    naics_code: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    source_of_funds_categories: list[BusinessSourceOfFunds] | None = None
    source_of_funds_other_description: Description | None = None
    purpose_of_account_other_description: Description | None = None
    expected_counterparty_countries: list[CountryCode] | None = None
    primary_contact_first_name: str | None = Field(default=None, max_length=250)
    primary_contact_last_name: str | None = Field(default=None, max_length=250)


class BusinessInfo(BusinessInfoUpdate):
    """Business details required on creation (`BusinessInfo`)."""

    legal_name: str = Field(min_length=1, max_length=255)
    country: CountryCode
    tax_id: str = Field(min_length=1, max_length=64)
    incorporated_on: WireDate


class IndividualCustomerCreate(CustomerCommon, IndividualFields):
    """`IndividualCustomerCreateRequest`."""

    customer_type: Literal[CustomerType.INDIVIDUAL]
    platform_customer_id: str | None = Field(default=None, min_length=1, max_length=255)


class BusinessCustomerCreate(CustomerCommon):
    """`BusinessCustomerCreateRequest`."""

    customer_type: Literal[CustomerType.BUSINESS]
    platform_customer_id: str | None = Field(default=None, min_length=1, max_length=255)
    address: Address | None = None
    business_info: BusinessInfo


class IndividualCustomerUpdate(CustomerCommon, IndividualFields):
    """`IndividualCustomerUpdateRequest`."""

    customer_type: Literal[CustomerType.INDIVIDUAL]


class BusinessCustomerUpdate(CustomerCommon):
    """`BusinessCustomerUpdateRequest`."""

    customer_type: Literal[CustomerType.BUSINESS]
    address: Address | None = None
    business_info: BusinessInfoUpdate | None = None


CustomerCreate = Annotated[IndividualCustomerCreate | BusinessCustomerCreate, Field(discriminator="customer_type")]
CustomerUpdate = Annotated[IndividualCustomerUpdate | BusinessCustomerUpdate, Field(discriminator="customer_type")]
