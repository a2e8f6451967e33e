"""United Kingdom: GBP_ACCOUNT (Faster Payments)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from railbook.external_accounts.rails.base import AccountInfo, Rail, normalise_identifier
from railbook.external_accounts.rails.beneficiaries import FiatBeneficiary

# The legacy generation's sort code, which allowed hyphens: 12-34-56.
LEGACY_SORT_CODE = re.compile(r"^[0-9]{2}-?[0-9]{2}-?[0-9]{2}$")


def drop_sort_code_hyphens(value: Any) -> Any:
    """`12-34-56` (legacy form) becomes `123456`; anything else is left for the pattern to judge."""
    if isinstance(value, str) and LEGACY_SORT_CODE.match(value):
        return value.replace("-", "")
    return value


SortCode = Annotated[
    str, Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$"), BeforeValidator(drop_sort_code_hyphens)
]
UkAccountNumber = Annotated[str, Field(min_length=8, max_length=8, pattern=r"^[0-9]{8}$")]


class GbpAccount(AccountInfo):
    """`GbpExternalAccountCreateInfo`: a 6-digit sort code and an 8-digit account number."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"GBP"}),
        payment_rails=("FASTER_PAYMENTS",),
        primary=("accountNumber",),
        name_check="UNSUPPORTED",
    )

    account_type: Literal["GBP_ACCOUNT"]
    sort_code: SortCode
    account_number: UkAccountNumber
    beneficiary: FiatBeneficiary

    def primary_identifier(self) -> str:
        """Sort code and account number together: the same account number exists at many banks."""
        return normalise_identifier(f"{self.sort_code}{self.account_number}")


MODELS: list[type[AccountInfo]] = [GbpAccount]
