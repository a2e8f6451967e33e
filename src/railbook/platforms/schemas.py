"""/config request model (`PlatformConfigUpdateRequest`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from railbook.kit.wire import WireModel


class PlatformConfigUpdate(WireModel):
    """Fields a platform may change; nested objects are kept as sent and echoed back."""

    uma_domain: str | None = Field(default=None, min_length=1, max_length=255)
    webhook_endpoint: str | None = Field(default=None, min_length=1, max_length=2048)
    supported_currencies: list[dict[str, Any]] | None = Field(default=None, max_length=200)
    embedded_wallet_config: dict[str, Any] | None = None
    card_tokenization2fa_config: dict[str, Any] | None = Field(default=None, alias="cardTokenization2faConfig")
    fee_configs: list[dict[str, Any]] | None = Field(default=None, max_length=200)
