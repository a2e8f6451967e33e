"""The seed-era generation: US_ACCOUNT, CLABE, PIX, IBAN, UPI, answered in the shape they were sent."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from railbook.external_accounts.rails.base import AccountInfo, Rail
from railbook.external_accounts.rails.beneficiaries import LegacyBeneficiary
from railbook.external_accounts.rails.fields import AccountNumber, BankAccountType, BankName, RoutingNumber


class LegacyUsAccount(AccountInfo):
    """`US_ACCOUNT`: accountCategory became bankAccountType in USD_ACCOUNT."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"USD"}),
        payment_rails=("ACH", "WIRE", "RTP", "FEDNOW"),
        name_check="CHECKED_BY_RECEIVING_FI",
    )
    current_type: ClassVar[str] = "USD_ACCOUNT"

    account_type: Literal["US_ACCOUNT"]
    account_number: AccountNumber
    routing_number: RoutingNumber
    account_category: BankAccountType
    bank_name: BankName | None = None
    beneficiary: LegacyBeneficiary

    def stored(self) -> dict[str, Any]:
        """Stored as USD_ACCOUNT."""
        data = self.wire()
        data["accountType"] = self.current_type
        data["bankAccountType"] = data.pop("accountCategory")
        return data

    @staticmethod
    def render_legacy(stored: dict[str, Any]) -> dict[str, Any]:
        """Back to the US_ACCOUNT shape."""
        data = dict(stored)
        data["accountType"] = "US_ACCOUNT"
        data["accountCategory"] = data.pop("bankAccountType", "CHECKING")
        return data


MODELS: list[type[AccountInfo]] = [LegacyUsAccount]
