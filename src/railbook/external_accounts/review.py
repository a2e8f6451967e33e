"""Name verification and review: how a new account's status is decided."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from railbook.errors import GridError
from railbook.external_accounts.models import AccountStatus

# token_set_ratio at or above this (0-100) counts as a partial match: "Jane Smith" vs "Jane Q Smith".
PARTIAL_MATCH_THRESHOLD = 85.0

# Sandbox: the last three digits of the primary identifier decide the name check (contract notes §14).
SANDBOX_OUTCOMES = {
    "102": "NOT_MATCHED",
    "103": "PARTIAL_MATCH",
    "104": "PENDING",
    "106": "UNSUPPORTED",
    "107": "CHECKED_BY_RECEIVING_FI",
}
INVALID_ACCOUNT_SUFFIX = "105"
# A PENDING sandbox check settles to this after RAILBOOK_SANDBOX_PENDING_SECONDS: the contract notes
# say only "check still running", and the default outcome lets the account be used.
SANDBOX_PENDING_SETTLES_TO = "MATCHED"

STATUS_FOR_VERIFICATION = {
    "MATCHED": AccountStatus.ACTIVE,
    "UNSUPPORTED": AccountStatus.ACTIVE,
    "CHECKED_BY_RECEIVING_FI": AccountStatus.ACTIVE,
    "PARTIAL_MATCH": AccountStatus.UNDER_REVIEW,
    "NOT_MATCHED": AccountStatus.UNDER_REVIEW,
    "PENDING": AccountStatus.PENDING,
}


@dataclass(frozen=True)
class Review:
    """The outcome of the checks that can be decided at creation."""

    verification: str
    status: str
    verified_name: str | None = None


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and word order removed: "Doe, José" == "jose doe"."""
    stripped = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(char for char in stripped if not unicodedata.combining(char))
    words = re.sub(r"[^a-z0-9 ]+", " ", ascii_only.lower()).split()
    return " ".join(sorted(words))


def compare_names(expected: str, actual: str) -> str:
    """MATCHED, PARTIAL_MATCH or NOT_MATCHED for a holder name returned by a provider."""
    left, right = normalise_name(expected), normalise_name(actual)
    if left and left == right:
        return "MATCHED"
    if left and right and fuzz.token_set_ratio(left, right) >= PARTIAL_MATCH_THRESHOLD:
        return "PARTIAL_MATCH"
    return "NOT_MATCHED"


def sandbox_suffix(identifier: str) -> str:
    """The last three characters of the identifier (of the user part when it has a domain)."""
    user_part = identifier.split("@", 1)[0] if "@" in identifier else identifier
    return user_part[-3:]


def review_new_account(
    *, sandbox: bool, is_wallet: bool, identifier: str, default_check: str, beneficiary_name: str | None
) -> Review | None:
    """The decision at creation; None for wallets (no name check, ACTIVE at once)."""
    if is_wallet:
        return None
    if sandbox:
        suffix = sandbox_suffix(identifier)
        if suffix == INVALID_ACCOUNT_SUFFIX:
            raise GridError(400, "INVALID_BANK_ACCOUNT", "The bank rejected these account details")
        verification = SANDBOX_OUTCOMES.get(suffix, "MATCHED")
    else:
        verification = default_check
    verified_name = beneficiary_name if verification == "MATCHED" else None
    return Review(verification, STATUS_FOR_VERIFICATION[verification], verified_name)
