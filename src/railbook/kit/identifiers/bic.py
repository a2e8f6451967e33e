"""SWIFT/BIC codes: structure and an assigned country (schwifty)."""

from __future__ import annotations

import re

from schwifty import BIC
from schwifty.exceptions import SchwiftyException

from railbook.kit.identifiers import FormatError

BIC_PATTERN = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def check_bic(value: str) -> str:
    """An 8 or 11 character BIC whose country code is assigned."""
    if not BIC_PATTERN.fullmatch(value):
        raise FormatError("SWIFT/BIC must be 8 or 11 characters: bank, country, location, optional branch")
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise FormatError(f"not a valid SWIFT/BIC: {exc}") from exc
    return value


def bic_country(value: str) -> str:
    """The ISO country of a BIC (characters 5 and 6)."""
    return value[4:6]
