"""Field types shared by rail families: the contract's patterns plus the real checks."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field

from railbook.external_accounts.rails.checks import checked
from railbook.kit.identifiers.aba import check_routing_number
from railbook.kit.identifiers.bic import check_bic
from railbook.kit.identifiers.iban import check_iban, normalise_iban
from railbook.kit.identifiers.phone import check_phone

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def compact_iban(value: Any) -> Any:
    """An IBAN without whitespace, in upper case (anything but a string is left as it is)."""
    # An IBAN is printed in groups of four and often in lower case; it is the same account.
    return normalise_iban(value) if isinstance(value, str) else value


def compact_phone(value: Any) -> Any:
    """A phone number without whitespace, hyphens, parentheses or dots."""
    # "+44 20 7946-0958" is the E.164 number +442079460958 written for people.
    return _PHONE_SEPARATORS.sub("", value) if isinstance(value, str) else value


_ACCOUNT_SEPARATORS = re.compile(r"[\s\-]")
_ACCOUNT_CHARACTERS = re.compile(r"[A-Za-z0-9]+")


def compact_account_number(value: Any) -> Any:
    """An account number without whitespace or hyphens."""
    # "0123 4567-89" as printed on a statement is the account 012345678 9.
    return _ACCOUNT_SEPARATORS.sub("", value) if isinstance(value, str) else value


def latin_letters_and_digits(value: str) -> str:
    """Refuse anything but ASCII letters and digits."""
    # The schema sets only a length; a bank account number is ASCII letters and digits (Arabic-Indic
    # digits, right-to-left text, markup or SQL are not an account anywhere Railbook pays).
    if not _ACCOUNT_CHARACTERS.fullmatch(value):
        raise ValueError("must be letters A-Z and digits 0-9 (spaces and hyphens are dropped)")
    return value


# Before the contract's pattern is checked: one stored form for a value written several ways.
COMPACT_IBAN = BeforeValidator(compact_iban)
COMPACT_PHONE = BeforeValidator(compact_phone)

SWIFT_PATTERN = r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$"
PHONE_PATTERN = r"^\+[0-9]{6,14}$"

BankName = Annotated[str, Field(min_length=1, max_length=255)]
AccountNumber = Annotated[
    str, Field(min_length=1, max_length=34), AfterValidator(latin_letters_and_digits),
    BeforeValidator(compact_account_number),
]  # fmt: skip
SwiftCode = Annotated[str, Field(min_length=8, max_length=11, pattern=SWIFT_PATTERN), checked(check_bic)]
RoutingNumber = Annotated[str, Field(min_length=9, max_length=9, pattern=r"^[0-9]{9}$"), checked(check_routing_number)]
Iban = Annotated[
    str,
    Field(min_length=15, max_length=34, pattern=r"^[A-Z]{2}[0-9]{2}[A-Za-z0-9]{11,30}$"),
    checked(check_iban),
    COMPACT_IBAN,
]
BankAccountType = Literal["CHECKING", "SAVINGS"]
Provider = Annotated[str, Field(min_length=1, max_length=255)]
Email = EmailStr


def phone_of(country: str) -> AfterValidator:
    """Validator: a phone number valid for `country` (use with the contract's pattern in an Annotated)."""
    return checked(partial(check_phone, country=country))


Phone = Annotated[str, Field(min_length=7, max_length=15, pattern=PHONE_PATTERN), checked(check_phone), COMPACT_PHONE]
