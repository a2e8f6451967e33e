"""What every accountType model is: its fields (Pydantic) plus its rail facts and cross-field rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from railbook.kit.bank_facts import fill_missing
from railbook.kit.signatures import SignatureFamily
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
    # The countries paid into, when not the countries whose currency it is (CLDR): see rails/corridors.py.
    countries: frozenset[str] | None = None


@dataclass(frozen=True)
class EitherOr:
    """The field groups an accountInfo chooses between: exactly one (or, not exclusive, at least one).

    Its cross rules read the groups from here, and the requirements schema states them (`oneOf`/`anyOf`).
    """

    groups: tuple[tuple[str, ...], ...]
    exclusive: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field of every group, in order."""
        return tuple(name for group in self.groups for name in group)


def bank_or_mobile_choice(bank_field: str = "accountNumber") -> EitherOr:
    """A bank transfer (`bank_field`) or a mobile-money wallet (phoneNumber), never both."""
    return EitherOr(((bank_field,), ("phoneNumber",)))


class AccountInfo(WireModel):
    """Base of every accountInfo model; subclasses set `account_type` to a Literal and `rail`."""

    rail: ClassVar[Rail]
    # `bankName` must be a name `GET /discoveries` lists for the corridor (Grid's guides: NGN, PHP, ILS,
    # the SWIFT-named Asian rails), checked where Railbook's directory knows the corridor's names.
    discovered_bank_name: ClassVar[bool] = False
    # Mobile-money operators named in `bankName` (mixed bank/mobile types), listed by `GET /discoveries`.
    mobile_providers: ClassVar[tuple[str, ...]] = ()
    # Optional fields the registries fill from the identifier when the client leaves them out
    # (`swiftCode` from an IBAN, `bankName` from an IBAN or BIC), stored and answered like sent ones.
    filled_from_identifiers: ClassVar[tuple[str, ...]] = ()
    # The either-or shapes of the type (bank transfer or mobile money, UPI or NEFT...), when it has them.
    either_or: ClassVar[EitherOr | None] = None
    # How the wallet signs a message, for self-custody wallets that can prove ownership (None: cannot).
    signature_family: ClassVar[SignatureFamily | None] = None

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Rules spanning several fields, checked on the raw request so they are reported with the rest."""
        return []

    @classmethod
    def payment_rails_for(cls, stored: dict[str, Any]) -> list[str]:
        """`paymentRails` in responses: the rails this account is paid over (a bank-or-mobile type is one)."""
        rails = cls.rail.payment_rails
        if set(rails) == {"BANK_TRANSFER", "MOBILE_MONEY"}:
            banked = any(stored.get(name) for name in ("accountNumber", "iban"))
            return ["BANK_TRANSFER" if banked or not stored.get("phoneNumber") else "MOBILE_MONEY"]
        return list(rails)

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
        """The normalised form kept in the database and rendered back (with the registries' fills)."""
        data = self.wire()
        if self.filled_from_identifiers:
            data |= fill_missing(data, fields=self.filled_from_identifiers)
        return data


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


def _present(raw: dict[str, Any], name: str) -> bool:
    return raw.get(name) not in (None, "")


def _provider_key(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def bank_or_mobile(
    raw: dict[str, Any],
    choice: EitherOr | None,
    *,
    bank_needs: tuple[str, ...] = (),
    bank_only: tuple[str, ...] = (),
    providers: tuple[str, ...] = (),
) -> list[FieldError]:
    """Mixed bank/mobile types: the bank field or phoneNumber (mobile money) of `choice`, one of the two.

    `bank_needs` are also required for a bank transfer, `bank_only` are refused with mobile money, and
    `providers` (when given) are the mobile-money operators `bankName` must name.
    """
    assert choice is not None, "a bank-or-mobile type declares its either_or"
    shapes = choice.fields
    bank_field = shapes[0]
    message = f"give {bank_field} (bank transfer) or phoneNumber (mobile money)"
    if not any(_present(raw, name) for name in shapes):
        return require_one_of(raw, shapes, message)
    # One external account is one destination: its identity, duplicates and sandbox outcome hang on it.
    both = only_one_of(raw, shapes, f"{message}, not both")
    if both:
        return both
    if _present(raw, bank_field):
        return [
            {"field": f"accountInfo.{name}", "message": f"a bank transfer needs {name}"}
            for name in bank_needs
            if not _present(raw, name)
        ]
    errors = [
        {"field": f"accountInfo.{name}", "message": f"{name} is for bank transfers only; mobile money uses phoneNumber"}
        for name in bank_only
        if _present(raw, name)
    ]
    bank_name = raw.get("bankName")
    allowed = {_provider_key(provider) for provider in providers}
    if providers and isinstance(bank_name, str) and bank_name and _provider_key(bank_name) not in allowed:
        names = " or ".join(providers)
        message = f"mobile money goes through {names}: bankName must name the provider"
        errors.append({"field": "accountInfo.bankName", "message": message})
    return errors
