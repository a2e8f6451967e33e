"""Field labels, and the rule that every validator must be named before a schema is built."""

from __future__ import annotations

import pytest

from railbook.requirements.labels import label
from railbook.requirements.markers import meaning_of


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accountNumber", "Account number"),
        ("iban", "IBAN"),
        ("swiftCode", "SWIFT code"),
        ("clabeNumber", "CLABE number"),
        ("pixKeyType", "PIX key type"),
        ("ifsc", "IFSC"),
        ("fiToFiInformation", "FI to FI information"),
        ("taxId", "Tax ID"),
        ("defaultUmaDepositAccount", "Default UMA deposit account"),
        ("line1", "Line 1"),
        ("bolt12", "BOLT12"),
    ],
)
def test_labels(name: str, expected: str) -> None:
    assert label(name) == expected


def test_an_unnamed_validator_stops_the_build() -> None:
    def new_rule(value: str) -> str:
        return value

    with pytest.raises(LookupError, match="not named"):
        meaning_of(new_rule)
