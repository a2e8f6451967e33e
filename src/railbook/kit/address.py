"""The postal address shared by customers and beneficiaries (`Address`)."""

from __future__ import annotations

from pydantic import Field

from railbook.kit.countries import CountryCode
from railbook.kit.wire import WireModel


class Address(WireModel):
    """A postal address (`Address`)."""

    line1: str = Field(min_length=1, max_length=255)
    line2: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=255)
    state: str | None = Field(default=None, max_length=255)
    postal_code: str = Field(min_length=1, max_length=32)
    country: CountryCode
