"""Which countries each accountType pays into: its rail's own list, else the countries whose money it is (CLDR)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import pycountry
from babel.core import get_global

from railbook.external_accounts.rails.base import AccountInfo
from railbook.kit.countries import ALPHA_2

# The currencies a type with no list of its own (SWIFT) takes: ISO 4217's, so not BTC or USDC.
ISO_4217: frozenset[str] = frozenset(currency.alpha_3 for currency in pycountry.currencies)


@functools.cache
def currency_countries(currency: str) -> frozenset[str]:
    """Countries where `currency` is legal tender today (CLDR through Babel)."""
    territories: Mapping[str, list[tuple[str, object, object, bool]]] = get_global("territory_currencies")
    return frozenset(
        territory
        for territory, currencies in territories.items()
        if territory in ALPHA_2
        and any(code == currency and until is None and tender for code, _, until, tender in currencies)
    )


@functools.cache
def countries_of(model: type[AccountInfo]) -> frozenset[str] | None:
    """The countries `model` pays into; None for any country (wallets, SWIFT)."""
    rail = model.rail
    if rail.countries is not None:
        return rail.countries
    if rail.is_wallet or rail.currencies is None:
        return None
    return frozenset().union(*(currency_countries(currency) for currency in rail.currencies))


def serves(model: type[AccountInfo], *, currency: str | None, country: str | None) -> bool:
    """Whether `model` pays `currency` into `country` (a None filter matches anything)."""
    currencies = model.rail.currencies
    if currency is not None and currency not in (currencies if currencies is not None else ISO_4217):
        return False
    if country is None:
        return True
    countries = countries_of(model)
    return countries is None or country in countries
