"""IBANs: country length and structure, then the mod-97 check digits (schwifty)."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.domain import Bank
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException
from schwifty.registry import get_iban_spec

from railbook.kit.countries import ALPHA_2
from railbook.kit.identifiers import CheckDigitError, FormatError


def normalise_iban(value: str) -> str:
    """Upper case without spaces (the form IBANs are stored and compared in)."""
    return "".join(value.split()).upper()


def check_iban(value: str, country: str | None = None) -> str:
    """A valid IBAN (optionally of `country`), normalised."""
    iban = normalise_iban(value)
    if country is not None and not iban.startswith(country):
        raise FormatError(f"IBAN must start with {country}")
    try:
        IBAN(iban, validate_bban=False)
    except InvalidChecksumDigits as exc:
        raise CheckDigitError("IBAN check digits do not match (mod-97)") from exc
    except SchwiftyException as exc:
        raise FormatError(f"not a valid IBAN: {exc}") from exc
    return iban


def check_sepa_iban(value: str) -> str:
    """A valid IBAN of a country in the SEPA zone (schwifty's registry), normalised."""
    iban = normalise_iban(value)
    try:
        in_sepa = IBAN(iban, allow_invalid=True).in_sepa_zone
    except SchwiftyException:
        return check_iban(iban)  # an unknown country: check_iban names the problem
    if not in_sepa:
        raise FormatError(f"IBAN country {iban[:2]} is not in the SEPA zone")
    return check_iban(iban)


def registry_bic(iban: str) -> str | None:
    """The BIC of the IBAN's bank from schwifty's bank registry, when the registry knows the bank."""
    try:
        bic = IBAN(normalise_iban(iban), allow_invalid=True).bic
    except SchwiftyException:
        return None
    return str(bic) if bic is not None else None


def sepa_countries() -> frozenset[str]:
    """The countries of the SEPA zone, from schwifty's IBAN registry."""
    countries = set()
    for country in sorted(ALPHA_2):
        try:
            spec = get_iban_spec(country)
        except (KeyError, SchwiftyException):
            continue
        if spec.in_sepa_zone:
            countries.add(country)
    return frozenset(countries)


def registry_bank(iban: str) -> Bank | None:
    """The bank registry's entry for the IBAN's bank code, when the registry knows the bank."""
    try:
        return IBAN(normalise_iban(iban), allow_invalid=True).bank
    except SchwiftyException:
        return None
