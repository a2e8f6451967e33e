"""SWIFT/BIC codes: structure and an assigned country (schwifty)."""

from __future__ import annotations

import re

from schwifty import BIC, registry
from schwifty.domain import Bank
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


def registry_banks(bic: str) -> list[Bank]:
    """The bank registry's entries for a well-formed BIC (one per domestic bank code it serves)."""
    entries = registry.get_banks_by_bic(bic)
    # As schwifty's BIC.bank_names does: registries list a bank under its 8- or its 11-character form.
    if not entries and len(bic) == 11:
        entries = registry.get_banks_by_bic(bic[:8])
    elif not entries and len(bic) == 8:
        entries = registry.get_banks_by_bic(f"{bic}XXX")
    return entries
