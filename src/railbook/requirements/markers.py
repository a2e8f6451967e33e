"""The one place that says what each validator of the rail models means to the requirements schema.

Every function Pydantic runs around a field (AfterValidator, BeforeValidator, field and model validators)
must be named here: as a server-side check the schema cannot state (`x-railbook-check`), as a
normalisation a client applies before the pattern is checked (`x-railbook-normalize`), as a rule the
schema states itself, or as one that never refuses what the schema accepts. An unnamed one stops the
build, so a new validator cannot silently make the schema laxer than the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import EmailStr

from railbook.external_accounts.parsing import hoist_platform_account_id
from railbook.external_accounts.rails.beneficiaries import BusinessBeneficiary, flatten_business_info
from railbook.external_accounts.rails.checks import CheckedValidator
from railbook.external_accounts.rails.crypto_wallets import SparkWallet
from railbook.external_accounts.rails.fields import (
    compact_account_number,
    compact_iban,
    compact_phone,
    latin_letters_and_digits,
)
from railbook.external_accounts.rails.latam import BrlAccount
from railbook.external_accounts.rails.legacy import LegacyPixAccount
from railbook.external_accounts.rails.lightning import Lightning
from railbook.external_accounts.rails.south_asia import check_bangladeshi_bic
from railbook.external_accounts.rails.swift_banks import CnyAccount
from railbook.external_accounts.rails.uk import drop_sort_code_hyphens
from railbook.kit.countries import ALPHA_2, check_country
from railbook.kit.identifiers.aba import check_routing_number
from railbook.kit.identifiers.base58 import check_solana_address, check_tron_address
from railbook.kit.identifiers.bech32 import check_spark_address
from railbook.kit.identifiers.bic import check_bic
from railbook.kit.identifiers.clabe import check_clabe
from railbook.kit.identifiers.cpf_cnpj import check_cpf_or_cnpj
from railbook.kit.identifiers.evm import check_evm_address
from railbook.kit.identifiers.iban import check_iban, check_sepa_iban
from railbook.kit.identifiers.ifsc import check_ifsc
from railbook.kit.identifiers.lightning import check_invoice, check_lightning_address, check_offer
from railbook.kit.identifiers.phone import check_phone
from railbook.kit.wire import iso_text, plausible_birth_date

CHECK = "x-railbook-check"
CHECK_ARGS = "x-railbook-check-args"
NORMALIZE = "x-railbook-normalize"
CROSS_CHECKS = "x-railbook-checks"
# On accountInfo: the field groups it chooses between (stated as oneOf/anyOf of `required` beside it).
EITHER_OR = "x-railbook-either-or"
# check_country is an enum; shape.finish() moves it to $defs/CountryCode, referenced wherever it appears.
COUNTRY_CODE_DEF = "CountryCode"
COUNTRY_CODES = sorted(ALPHA_2)
# Checks parse_create makes outside the models: a currency of no fixed list, a wallet address naming its network.
ISO_4217_CHECK = "iso-4217"
ADDRESS_NETWORK_CHECK = "address-network"
# Names the server compares with its directory: a discovered bankName, a listed vaspName.
DISCOVERED_BANK_NAME_CHECK = "discovered-bank-name"
LISTED_VASP_CHECK = "listed-vasp"
# The normalisation of the whole body (parse_create hoists a seed's accountInfo.platformAccountId).
BODY_NORMALIZATION = "hoist-platform-account-id"


@dataclass(frozen=True)
class Check:
    """A server-side check the schema cannot state; `args` are the check's fixed arguments (a country)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Normalize:
    """A rewrite the API applies before its pattern and length checks."""

    name: str


@dataclass(frozen=True)
class Expressed:
    """A rule the schema states itself: `fragment` is merged into the field's schema."""

    fragment: dict[str, Any]


@dataclass(frozen=True)
class Silent:
    """A validator that never refuses what the schema accepts; `why` says so."""

    why: str


Meaning = Check | Normalize | Expressed | Silent


def hoist_seed_platform_account_id(body: Any) -> Any:
    """parse_create's first step: a seed's accountInfo.platformAccountId moved up (anything but an object as is)."""
    return hoist_platform_account_id(body) if isinstance(body, dict) else body


# Normalisation name -> the function the API applies (pure, exported so clients and tests apply the same).
NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "compact-uppercase": compact_iban,
    "compact": compact_account_number,
    "phone-compact": compact_phone,
    "sort-code-hyphens": drop_sort_code_hyphens,
    "flatten-business-info": flatten_business_info,
    BODY_NORMALIZATION: hoist_seed_platform_account_id,
}

# Check function (the one `checked(...)` wraps, partials unwrapped) -> its stable name.
CHECK_NAMES: dict[Callable[..., Any], str] = {
    check_iban: "iban-mod97",
    check_sepa_iban: "iban-sepa",
    check_bic: "bic",
    check_bangladeshi_bic: "bic-bangladesh",
    check_routing_number: "aba-checksum",
    check_phone: "phone-number",
    check_clabe: "clabe-control-digit",
    check_cpf_or_cnpj: "cpf-cnpj-check-digits",
    check_ifsc: "ifsc",
    check_evm_address: "evm-eip55",
    check_solana_address: "solana-address",
    check_tron_address: "tron-base58check",
    check_offer: "bolt12-offer",
    check_lightning_address: "lightning-address",
}

# The other way round: the function behind a check name, which contract examples must pass to be shown.
CHECK_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{name: function for function, name in CHECK_NAMES.items()},
    # The kit checks inside the field validators named below.
    "spark-address": check_spark_address,
    "bolt11-invoice": check_invoice,
}


def _underlying(function: Any) -> Any:
    # Validators declared with @field_validator / @model_validator reach the core schema as bound classmethods.
    return getattr(function, "__func__", function)


# Pydantic's own constraint validators live here (min_length on a Literal, say).
PYDANTIC_CONSTRAINTS = "pydantic._internal._validators"
# Every other validator, by the function itself.
OTHER_VALIDATORS: dict[Any, Meaning] = {
    _underlying(BrlAccount._key_matches_type): Check("pix-key"),
    _underlying(LegacyPixAccount._key_matches_type): Check("pix-key"),
    _underlying(SparkWallet._address): Check("spark-address"),
    _underlying(Lightning._invoice): Check("bolt11-invoice"),
    # EmailStr is `str` to type checkers; its validator is read from the class itself.
    _underlying(vars(EmailStr)["_validate"]): Check("email"),
    plausible_birth_date: Check("birth-date-range"),
    check_country: Expressed({"enum": COUNTRY_CODES}),
    latin_letters_and_digits: Expressed({"pattern": "^[A-Za-z0-9]+$"}),
    iso_text: Silent("refuses non-strings, which `type: string` already does"),
    _underlying(CnyAccount._wallet_spelling): Silent("spells AliPay/WechatPay as the contract does; refuses nothing"),
    _underlying(BusinessBeneficiary._flatten_business_info): Normalize("flatten-business-info"),
}
# Normalisations by the BeforeValidator function that performs them.
NORMALIZER_NAMES: dict[Any, str] = {function: name for name, function in NORMALIZERS.items()}


def meaning_of(validator: Any) -> Meaning:
    """What a validator found in a model's core schema means to the schema; LookupError if it is unnamed."""
    if isinstance(validator, CheckedValidator):
        check, args = validator.check, {}
        if isinstance(check, partial):
            args = dict(check.keywords)
            check = check.func
        if check in CHECK_NAMES:
            return Check(CHECK_NAMES[check], args)
        raise LookupError(f"checked({check!r}) has no name: add it to CHECK_NAMES in requirements/markers.py")
    function = _underlying(validator)
    constraint = function.func if isinstance(function, partial) else function
    if getattr(constraint, "__module__", "") == PYDANTIC_CONSTRAINTS:
        # Pydantic's own min_length/max_length/... on a non-str type: its schema states the keyword.
        return Silent("a Pydantic constraint, stated by Pydantic's schema")
    if function in NORMALIZER_NAMES:
        return Normalize(NORMALIZER_NAMES[function])
    if function in OTHER_VALIDATORS:
        return OTHER_VALIDATORS[function]
    raise LookupError(f"validator {function!r} is not named in requirements/markers.py")
