"""Lightning: exactly one of a BOLT11 invoice, a BOLT12 offer or a Lightning address."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from railbook.external_accounts.rails.base import AccountInfo, EitherOr, FieldError, Rail, normalise_identifier
from railbook.external_accounts.rails.checks import checked, context_of, rule_error, run_check
from railbook.kit.identifiers.lightning import check_invoice, check_lightning_address, check_offer

DESTINATIONS = ("invoice", "bolt12", "lightningAddress")


class Lightning(AccountInfo):
    """`LightningExternalAccountInfo`; the three destinations exclude each other."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"BTC"}), primary=("invoice", "bolt12", "lightningAddress"), is_wallet=True
    )

    account_type: Literal["LIGHTNING"]
    either_or: ClassVar[EitherOr | None] = EitherOr(tuple((name,) for name in DESTINATIONS))
    invoice: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    bolt12: Annotated[str, Field(min_length=1, max_length=4096), checked(check_offer)] | None = None
    lightning_address: Annotated[str, Field(min_length=3, max_length=320), checked(check_lightning_address)] | None = (
        None
    )

    @field_validator("invoice")
    @classmethod
    def _invoice(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        decoded = check_invoice_with_policy(value, info)
        if decoded is not None and decoded != "MAINNET" and not context_of(info).allow_test_networks:
            raise rule_error(f"invoice is for {decoded}; production accepts only mainnet invoices")
        # Wallets show invoices upper-case in QR codes; bech32 is case-insensitive, so store one form.
        return value.strip().lower()

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """Exactly one destination, and no beneficiary (a Lightning destination has no named owner)."""
        errors: list[FieldError] = []
        if raw.get("beneficiary") is not None:
            errors.append({"field": "accountInfo.beneficiary", "message": "LIGHTNING takes no beneficiary"})
        present = [name for name in DESTINATIONS if raw.get(name) not in (None, "")]
        if len(present) == 1:
            return errors
        message = "give exactly one of invoice, bolt12 or lightningAddress"
        names = present or list(DESTINATIONS)
        return errors + [{"field": f"accountInfo.{name}", "message": message} for name in names]

    def primary_identifier(self) -> str:
        """The destination, lower-cased; invoices and offers by digest, as they outgrow the identifier column."""
        if self.lightning_address:
            return normalise_identifier(self.lightning_address)
        long_form = normalise_identifier(self.invoice or self.bolt12 or "")
        prefix = "bolt11" if self.invoice else "bolt12"
        return f"{prefix}:sha256:{hashlib.sha256(long_form.encode()).hexdigest()}"


def check_invoice_with_policy(value: str, info: ValidationInfo) -> str | None:
    """The invoice's network, or None when a bad signature was let through in sandbox."""
    networks: list[str] = []

    def check(text: str) -> str:
        networks.append(check_invoice(text).network)
        return text

    run_check(check, value, info)
    return networks[0] if networks else None


MODELS: list[type[AccountInfo]] = [Lightning]
