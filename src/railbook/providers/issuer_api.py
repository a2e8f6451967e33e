"""What Railbook asks of a stablecoin issuer, and the failures an issuer client may raise."""

from __future__ import annotations

from typing import Protocol


class IssuerFailure(Exception):
    """Base of every failure an issuer client raises."""


class IssuerCredentialsRejected(IssuerFailure):
    """The issuer refused the API client credentials."""


class IssuerUnavailable(IssuerFailure):
    """The issuer could not answer usefully (unreachable, 5xx, rate limited, unreadable)."""

    # Seconds the issuer asked callers to wait, when it said.
    retry_after: float | None = None


class IssuerClient(Protocol):
    """The calls Railbook makes to a stablecoin issuer."""

    def list_account_ids(self, client_id: str, client_secret: str) -> list[str]:
        """The ids of every account these credentials reach, in the issuer's order."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
