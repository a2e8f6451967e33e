"""US ABA routing transit numbers."""

from __future__ import annotations

from stdnum.us import rtn

from railbook.kit.identifiers import CheckDigitError, FormatError


def check_routing_number(value: str) -> str:
    """Nine digits whose weighted (3-7-1) sum is a multiple of ten."""
    if len(value) != 9 or not value.isdigit():
        raise FormatError("routing number must be exactly 9 digits")
    if not rtn.is_valid(value):
        raise CheckDigitError("routing number check digit does not match (ABA checksum)")
    return value
