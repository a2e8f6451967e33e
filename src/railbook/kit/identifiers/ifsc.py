"""Indian IFSC codes: four letters (bank), a zero, six characters (branch). IFSC has no check digit."""

from __future__ import annotations

import re

from railbook.kit.identifiers import FormatError

IFSC_PATTERN = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")


def check_ifsc(value: str) -> str:
    """An 11-character IFSC."""
    if not IFSC_PATTERN.match(value):
        raise FormatError("IFSC must be 4 letters, the digit 0, then 6 letters or digits")
    return value
