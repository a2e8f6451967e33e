"""United States: USD_ACCOUNT (ACH, wire, RTP, FedNow)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from railbook.external_accounts.rails.base import AccountInfo, Rail
from railbook.external_accounts.rails.beneficiaries import FiatBeneficiary
from railbook.external_accounts.rails.fields import BankAccountType, RoutingNumber

BankName140 = Annotated[str, Field(min_length=1, max_length=140)]
# The schema allows 1-34 characters; the guide (seed 004) says 4-17 digits, which is what US banks
# issue, and the guide wins (docs/decisions.md, Parsing).
UsAccountNumber = Annotated[str, Field(min_length=4, max_length=17, pattern=r"^[0-9]{4,17}$")]


class UsdAccount(AccountInfo):
    """`UsdExternalAccountCreateInfo`; the intermediary fields and fiToFiInformation matter on WIRE only."""

    rail: ClassVar[Rail] = Rail(
        currencies=frozenset({"USD"}),
        payment_rails=("ACH", "WIRE", "RTP", "FEDNOW"),
        # Account holder names on US rails are checked by the receiving bank.
        name_check="CHECKED_BY_RECEIVING_FI",
        # ACH, wire, RTP and FedNow reach US banks, not every country whose money is the dollar.
        countries=frozenset({"US"}),
    )

    account_type: Literal["USD_ACCOUNT"]
    account_number: UsAccountNumber
    routing_number: RoutingNumber
    bank_name: BankName140 | None = None
    bank_account_type: BankAccountType | None = None
    intermediary_bank_name: BankName140 | None = None
    intermediary_routing_number: RoutingNumber | None = None
    fi_to_fi_information: Annotated[str, Field(max_length=210)] | None = None
    beneficiary: FiatBeneficiary


MODELS: list[type[AccountInfo]] = [UsdAccount]
