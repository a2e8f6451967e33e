"""ISO 3166-1 alpha-2 country codes, from pycountry (loaded once)."""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator

ALPHA_2: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)


def check_country(code: str) -> str:
    """Accept an assigned ISO 3166-1 alpha-2 code (upper case)."""
    if code not in ALPHA_2:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. US")
    return code


CountryCode = Annotated[str, AfterValidator(check_country)]
