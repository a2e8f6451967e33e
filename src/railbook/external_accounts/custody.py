"""Which accounts prove their ownership: FIRST_PARTY self-custody wallets of a chain that signs messages."""

from __future__ import annotations

from typing import Any

from railbook.external_accounts.models import AccountStatus
from railbook.external_accounts.rails.registry import MODELS
from railbook.kit.signatures import SignatureFamily

# The statuses in which an ownership challenge can be started or answered.
OWNERSHIP_STATUSES = frozenset({AccountStatus.PENDING_OWNERSHIP_VERIFICATION, AccountStatus.UNVERIFIED})


def why_not_provable(account_type: str, ownership_type: str | None, info: dict[str, Any]) -> str | None:
    """None when the account can prove ownership; otherwise why not, in words for a 409."""
    if MODELS[account_type].signature_family is None:
        return f"{account_type} is not a self-custody crypto wallet"
    if ownership_type != "FIRST_PARTY":
        return "only FIRST_PARTY wallets prove ownership (this account's ownershipType is " + (
            f"{ownership_type})" if ownership_type else "not set)"
        )
    if info.get("vaspName"):
        # Custodial: the VASP answers for the wallet (Travel Rule), not a key the customer holds.
        return f"the wallet is held at a VASP ({info['vaspName']}), not in self-custody"
    return None


def signature_family(account_type: str) -> SignatureFamily:
    """How an account type's wallets sign (only for types `why_not_provable` accepts)."""
    family = MODELS[account_type].signature_family
    if family is None:
        raise LookupError(f"{account_type} wallets do not sign messages")
    return family
