"""Phone numbers in E.164, valid for their country (phonenumbers)."""

from __future__ import annotations

import phonenumbers

from railbook.kit.identifiers import FormatError


def check_phone(value: str, country: str | None = None) -> str:
    """A valid E.164 number, of `country` (ISO alpha-2) when given; returned in E.164."""
    if not value.startswith("+"):
        raise FormatError("phone number must be in E.164 form, starting with +")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise FormatError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise FormatError("not a valid phone number for its country code")
    region = phonenumbers.region_code_for_number(number)
    if country is not None and region != country:
        raise FormatError(f"must be a {country} phone number (this one is {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
