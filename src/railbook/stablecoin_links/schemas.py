"""The link request as the contract defines it (`StablecoinProviderAccountLinkRequest`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, Strict

from railbook.kit.wire import WireModel


class StablecoinProvider(StrEnum):
    """Providers Railbook can link."""

    BRALE = "BRALE"


class LinkStatus(StrEnum):
    """What the stored credentials are worth now."""

    ACTIVE = "ACTIVE"
    INVALID = "INVALID"
    REVOKED = "REVOKED"


class LinkRequest(WireModel):
    """`{provider, apiClientId, apiClientSecret, providerAccountId?}`; the secret never reaches a repr or a log."""

    provider: Annotated[StablecoinProvider, Strict(False)]
    api_client_id: str = Field(min_length=1, max_length=255)
    api_client_secret: SecretStr = Field(min_length=1, max_length=1024)
    # Brale account ids are 27-character KSUIDs; accepted leniently and checked against what the keys reach.
    provider_account_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")
