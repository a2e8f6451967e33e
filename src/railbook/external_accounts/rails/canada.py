"""Canada: CAD_ACCOUNT (institution number, transit number and account number)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from railbook.external_accounts.rails.base import AccountInfo, Rail, normalise_identifier
from railbook.external_accounts.rails.beneficiaries import CadBeneficiaryChoice

InstitutionNumber = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[0-9]{3}$")]
TransitNumber = Annotated[str, Field(min_length=5, max_length=5, pattern=r"^[0-9]{5}$")]
CaAccountNumber = Annotated[str, Field(min_length=7, max_length=12, pattern=r"^[0-9]{7,12}$")]


class CadAccount(AccountInfo):
    """`CadExternalAccountCreateInfo`: bank code (3 digits), branch transit (5) and account (7-12)."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"CAD"}),
        payment_rails=("BANK_TRANSFER",),
        primary=("accountNumber",),
        name_check="UNSUPPORTED",
    )

    account_type: Literal["CAD_ACCOUNT"]
    bank_code: InstitutionNumber
    branch_code: TransitNumber
    account_number: CaAccountNumber
    beneficiary: CadBeneficiaryChoice

    def primary_identifier(self) -> str:
        """Institution, transit and account together: account numbers repeat across banks and branches."""
        return normalise_identifier(f"{self.bank_code}{self.branch_code}{self.account_number}")


MODELS: list[type[AccountInfo]] = [CadAccount]
