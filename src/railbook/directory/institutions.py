"""`GET /discoveries`: the receiving institutions of each corridor, built once from maintained sources."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clabe
from pydantic import Field, TypeAdapter, ValidationError
from schwifty.registry import get_banks_by_country, get_countries

from railbook.directory.names import name_key, same_institution
from railbook.kit.identifiers.iban import registry_bank
from railbook.kit.wire import WireModel

# Where a corridor's names come from, and whether the source lists every institution of it.
SCHWIFTY = "schwifty bank registry"
CLABE = "clabe (SPEI participants)"
CONTRACT = "Grid contract (named operators)"
OPERATOR = "operator directory file"


@dataclass(frozen=True)
class Institution:
    """One name a client may pass as `bankName` for a corridor."""

    bank_name: str
    display_name: str
    country: str
    currency: str
    source: str

    def wire(self) -> dict[str, str]:
        """The `DiscoveryListResponse` item."""
        return {
            "bankName": self.bank_name,
            "displayName": self.display_name,
            "country": self.country,
            "currency": self.currency,
        }


class DirectoryEntry(WireModel):
    """One line of the operator's discoveries file (the payout partner's list for a corridor)."""

    bank_name: str = Field(min_length=1, max_length=255)
    display_name: str | None = Field(default=None, min_length=1, max_length=255)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


Corridor = tuple[str, str]


class Discoveries:
    """Every corridor's institutions, and the `bankName` rule that reads them."""

    def __init__(self, institutions: Iterable[Institution], complete: Iterable[Corridor]) -> None:
        unique: dict[tuple[str, str, str], Institution] = {}
        for institution in institutions:
            unique.setdefault((institution.country, institution.currency, name_key(institution.bank_name)), institution)
        self.institutions = sorted(unique.values(), key=lambda item: (item.country, item.currency, item.bank_name))
        self.by_corridor: dict[Corridor, list[Institution]] = defaultdict(list)
        for institution in self.institutions:
            self.by_corridor[(institution.country, institution.currency)].append(institution)
        # Corridors whose list is whole: a `bankName` not on it is refused. Elsewhere the list helps, the IBAN decides.
        self.complete = frozenset(complete)

    def listed(self, country: str | None, currency: str | None) -> list[Institution]:
        """The institutions matching the filters (None matches any)."""
        return [
            institution
            for institution in self.institutions
            if country in (None, institution.country) and currency in (None, institution.currency)
        ]

    def bank_name_problem(self, corridors: list[Corridor], bank_name: str, iban: Any) -> str | None:
        """Why `bankName` is not a name of `corridors` (on their whole list; else the IBAN's bank), or None."""
        whole = [corridor for corridor in corridors if corridor in self.complete]
        if whole:
            names = {name_key(item.bank_name) for corridor in whole for item in self.by_corridor[corridor]}
            if name_key(bank_name) in names:
                return None
            country, currency = whole[0]
            return f"bankName must be one of the names GET /discoveries?country={country}&currency={currency} returns"
        # An IBAN of another country is its own error; its bank says nothing about this corridor's names.
        of_corridor = isinstance(iban, str) and iban.strip()[:2].upper() in {country for country, _ in corridors}
        known = _registry_bank(iban) if of_corridor else None
        if known is not None and not any(same_institution(bank_name, name) for name in known):
            return f"the IBAN is an account at {known[0]}; bankName names another bank"
        return None


def _registry_bank(iban: Any) -> tuple[str, ...] | None:
    """The names (full and short) schwifty's registry holds for the IBAN's bank, when it knows the bank."""
    bank = registry_bank(iban) if isinstance(iban, str) else None
    if not bank:
        return None
    return tuple(name for name in (bank.name, bank.short_name) if name)


@dataclass(frozen=True)
class CorridorNames:
    """A corridor whose accountTypes take a `bankName`: its banks, and the operators the contract names there."""

    country: str
    currency: str
    operators: tuple[str, ...] = ()


def build_discoveries(corridors: Iterable[CorridorNames], directory_file: Path | None) -> Discoveries:
    """The directory from schwifty, clabe, the contract's operator names and the operator's file."""
    institutions: list[Institution] = []
    complete: set[Corridor] = set()
    registry_countries = set(get_countries())
    for corridor in corridors:
        country, currency = corridor.country, corridor.currency
        institutions += [Institution(name, name, country, currency, CONTRACT) for name in corridor.operators]
        if country in registry_countries:
            institutions += _registry(country, currency)
        if country == "MX":
            institutions += _spei(currency)
            complete.add((country, currency))
    if directory_file is not None:
        for entry in read_directory_file(directory_file):
            display_name = entry.display_name or entry.bank_name
            institutions.append(Institution(entry.bank_name, display_name, entry.country, entry.currency, OPERATOR))
            complete.add((entry.country, entry.currency))
    return Discoveries(institutions, complete)


def _registry(country: str, currency: str) -> list[Institution]:
    # A country's registry may hold a bank several times (one row per bank code): one name is enough.
    return [
        Institution(bank.name, bank.short_name or bank.name, country, currency, SCHWIFTY)
        for bank in get_banks_by_country(country)
        if bank.primary and bank.name
    ]


def _spei(currency: str) -> list[Institution]:
    return [Institution(name, name, "MX", currency, CLABE) for name in sorted(set(clabe.BANK_NAMES.values()))]


def read_directory_file(path: Path) -> list[DirectoryEntry]:
    """The operator's discoveries file: a JSON array of {bankName, displayName?, country, currency}."""
    try:
        return TypeAdapter(list[DirectoryEntry]).validate_python(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise ValueError(f"RAILBOOK_DISCOVERIES_FILE {path}: {exc}") from exc
