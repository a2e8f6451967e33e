"""Plaid's sandbox data: the non-OAuth test institutions and the `user_good` Item (providers.md A.9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_INSTITUTION_ID = "ins_109508"

INSTITUTIONS: dict[str, str] = {
    "ins_109508": "First Platypus Bank",
    "ins_109509": "First Gingham Credit Union",
    "ins_109510": "Tattersall Federal Credit Union",
    "ins_109511": "Tartan Bank",
    "ins_109512": "Houndstooth Bank",
}

ROUTING = "011401533"
WIRE_ROUTING = "021000021"
# Subtypes /auth/get returns numbers for (Plaid: checking, savings and cash management).
AUTH_SUBTYPES = frozenset({"checking", "savings", "cash management"})


@dataclass(frozen=True)
class SandboxAccount:
    """One account of the `user_good` Item, before it gets an Item-specific account_id."""

    mask: str
    name: str
    official_name: str | None
    type: str
    subtype: str
    available: float | None
    current: float
    limit: float | None = None

    @property
    def account_number(self) -> str:
        """The ACH account number Plaid's sandbox gives this account."""
        return f"111122223333{self.mask}"


USER_GOOD_ACCOUNTS: tuple[SandboxAccount, ...] = (
    SandboxAccount(
        "0000", "Plaid Checking", "Plaid Gold Standard 0% Interest Checking", "depository", "checking", 100, 110
    ),
    SandboxAccount(
        "1111", "Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving", "depository", "savings", 200, 210
    ),
    SandboxAccount("2222", "Plaid CD", "Plaid Bronze Standard 0.2% Interest CD", "depository", "cd", None, 1000),
    SandboxAccount(
        "3333",
        "Plaid Credit Card",
        "Plaid Diamond 12.5% APR Interest Credit Card",
        "credit",
        "credit card",
        None,
        410,
        2000,
    ),
    SandboxAccount(
        "4444",
        "Plaid Money Market",
        "Plaid Platinum Standard 1.85% Interest Money Market",
        "depository",
        "money market",
        43200,
        43200,
    ),
    SandboxAccount("5555", "Plaid IRA", None, "investment", "ira", None, 320.76),
    SandboxAccount("6666", "Plaid 401k", None, "investment", "401k", None, 23631.98),
    SandboxAccount("7777", "Plaid Student Loan", None, "loan", "student", None, 65262),
    SandboxAccount("8888", "Plaid Mortgage", None, "loan", "mortgage", None, 56302.06),
)


def user_good_owner() -> dict[str, Any]:
    """The Owner object Plaid's sandbox returns on every `user_good` account."""
    return {
        "names": ["Alberta Bobbeth Charleson"],
        "phone_numbers": [
            {"data": "2025550123", "primary": False, "type": "home"},
            {"data": "1112224444", "primary": False, "type": "work"},
            {"data": "1112225555", "primary": False, "type": "mobile"},
        ],
        "emails": [
            {"data": "accountholder0@example.com", "primary": True, "type": "primary"},
            {"data": "accountholder1@example.com", "primary": False, "type": "secondary"},
            {
                "data": "extraordinarily.long.email.username.123456@reallylonghostname.com",
                "primary": False,
                "type": "other",
            },
        ],
        "addresses": [
            {
                "data": {
                    "street": "2992 Cameron Road",
                    "city": "Malakoff",
                    "region": "NY",
                    "postal_code": "14236",
                    "country": "US",
                },
                "primary": True,
            },
            {
                "data": {
                    "street": "2493 Leisure Lane",
                    "city": "San Matias",
                    "region": "CA",
                    "postal_code": "93405-2255",
                    "country": "US",
                },
                "primary": False,
            },
        ],
    }


# The spec's `Products` enum: anything else in a product list is an INVALID_FIELD.
PRODUCTS = frozenset(
    [
        "assets",
        "auth",
        "balance",
        "balance_plus",
        "beacon",
        "identity",
        "identity_match",
        "investments",
        "investments_auth",
        "liabilities",
        "payment_initiation",
        "identity_verification",
        "transactions",
        "credit_details",
        "income",
        "income_verification",
        "standing_orders",
        "transfer",
        "employment",
        "recurring_transactions",
        "transactions_refresh",
        "signal",
        "statements",
        "processor_payments",
        "processor_identity",
        "profile",
        "cra_base_report",
        "cra_income_insights",
        "cra_partner_insights",
        "cra_network_insights",
        "cra_cashflow_insights",
        "cra_monitoring",
        "cra_lend_score",
        "cra_plaid_credit_score",
        "layer",
        "pay_by_bank",
        "protect_linked_bank",
        "protect_transactions",
    ]
)
# Products a `user_good` Item could add later (Item.available_products).
ITEM_PRODUCTS = ("assets", "auth", "balance", "identity", "investments", "liabilities", "transactions")
