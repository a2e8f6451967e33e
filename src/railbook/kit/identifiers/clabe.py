"""Mexican CLABE numbers: 18 digits, a known bank code, the control digit (clabe package)."""

from __future__ import annotations

from clabe import BANKS, compute_control_digit

from railbook.kit.identifiers import CheckDigitError, FormatError


def check_clabe(value: str) -> str:
    """A CLABE whose bank code exists and whose last digit is the weighted (3-7-1) control digit."""
    # isascii: str.isdigit also takes superscripts and the digits of other scripts.
    if len(value) != 18 or not (value.isascii() and value.isdigit()):
        raise FormatError("CLABE must be exactly 18 digits")
    if value[:3] not in BANKS:
        raise CheckDigitError(f"CLABE bank code {value[:3]} is not assigned to any bank")
    if compute_control_digit(value) != value[-1]:
        raise CheckDigitError("CLABE control digit does not match")
    return value
