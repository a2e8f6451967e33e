"""The create request around accountInfo (`ExternalAccountCreateRequest` and the platform variant)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from railbook.kit.wire import WireModel

OwnershipType = Literal["FIRST_PARTY", "THIRD_PARTY"]


class PlatformAccountCreate(WireModel):
    """`PlatformExternalAccountCreateRequest`; accountInfo is parsed separately by its accountType."""

    currency: str = Field(min_length=1, max_length=10)
    platform_account_id: str | None = Field(default=None, min_length=1, max_length=255)
    ownership_type: OwnershipType | None = None
    # Seed-era field: the wallet's network (derived from the wallet type when omitted).
    crypto_network: str | None = Field(default=None, min_length=1, max_length=32)
    account_info: dict[str, Any]


class CustomerAccountCreate(PlatformAccountCreate):
    """`ExternalAccountCreateRequest`: adds the customer and the default-deposit flag."""

    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    default_uma_deposit_account: bool = False
