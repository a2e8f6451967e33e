"""What every accountType model is: its fields (Pydantic) plus its rail facts and cross-field rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from railbook.kit.wire import WireModel

FieldError = dict[str, Any]


@dataclass(frozen=True)
class Rail:
    """Facts about an accountType that are not fields."""

    # `currency` values the type is used with; None means any ISO 4217 code (SWIFT).
    currencies: frozenset[str] | None
    # `paymentRails` in responses (fiat types); wallets have none.
    payment_rails: tuple[str, ...] = ()
    # The field whose normalised value identifies the destination (duplicates, sandbox suffixes).
    primary: tuple[str, ...] = ("accountNumber",)
    # Name verification when no provider checks the name: UNSUPPORTED or CHECKED_BY_RECEIVING_FI.
    name_check: str = "UNSUPPORTED"
    # Wallets and Lightning are usable at once; bank accounts go through review.
    is_wallet: bool = False


class AccountInfo(WireModel):
    """Base of every accountInfo model; subclasses set `account_type` to a Literal and `rail`."""

    rail: ClassVar[Rail]

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Rules spanning several fields, checked on the raw request so they are reported with the rest."""
        return []

    @classmethod
    def currency_errors(cls, currency: str, raw: dict[str, Any]) -> list[FieldError] | None:
        """Currency rules that depend on the raw accountInfo; None leaves the check to `rail.currencies`."""
        return None

    def primary_identifier(self) -> str:
        """The destination's identity, normalised (upper-case IBAN, lower-case EVM, digits only...)."""
        data = self.wire()
        for name in self.rail.primary:
            value = data.get(name)
            if isinstance(value, str) and value:
                return normalise_identifier(value)
        return ""

    def stored(self) -> dict[str, Any]:
        """The normalised form kept in the database and rendered back."""
        return self.wire()


def normalise_identifier(value: str) -> str:
    """Compare identifiers without spaces, hyphens or case."""
    return "".join(value.split()).replace("-", "").lower()


def require_one_of(raw: dict[str, Any], names: tuple[str, ...], message: str) -> list[FieldError]:
    """An error on each of `names` when none of them is present."""
    if any(raw.get(name) not in (None, "") for name in names):
        return []
    return [{"field": f"accountInfo.{name}", "message": message} for name in names]


def only_one_of(raw: dict[str, Any], names: tuple[str, ...], message: str) -> list[FieldError]:
    """An error on each of `names` present when more than one is."""
    present = [name for name in names if raw.get(name) not in (None, "")]
    if len(present) <= 1:
        return []
    return [{"field": f"accountInfo.{name}", "message": message} for name in present]


def field_in(raw: dict[str, Any], name: str, allowed: set[str], message: str) -> list[FieldError]:
    """An error when a present string field is not one of `allowed` (case-insensitive)."""
    value = raw.get(name)
    if isinstance(value, str) and value.upper() not in {item.upper() for item in allowed}:
        return [{"field": f"accountInfo.{name}", "message": message}]
    return []
