"""What Railbook asks of Plaid: the calls its routes and jobs make, as a Protocol."""

from __future__ import annotations

from typing import Protocol

from railbook.providers.plaid.results import ExchangedItem, ItemAccounts, ItemIdentity, LinkToken


class PlaidApi(Protocol):
    """The Plaid calls Railbook makes; `client.PlaidClient` makes them against Plaid or the simulator."""

    def create_link_token(self, client_user_id: str) -> LinkToken:
        """A Link token for one end user."""
        ...

    def link_public_tokens(self, link_token: str) -> frozenset[str]:
        """The public tokens the Link sessions of a link token handed out."""
        ...

    def exchange_public_token(self, public_token: str) -> ExchangedItem:
        """The access token and Item a public token stands for."""
        ...

    def get_auth(self, access_token: str) -> ItemAccounts:
        """The Item's accounts with their ACH numbers."""
        ...

    def get_identity(self, access_token: str) -> ItemIdentity:
        """The Item's accounts with their holders."""
        ...

    def remove_item(self, access_token: str) -> None:
        """End the Item: its access token stops working."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
