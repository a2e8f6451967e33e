"""Plaid: the client Railbook uses (`build`, typed by `PlaidApi`) and the local simulator (`create_simulator`)."""

from __future__ import annotations

from railbook.config import Settings
from railbook.providers.plaid.api import PlaidApi
from railbook.providers.plaid.simulator import create_simulator

__all__ = ["PlaidApi", "build", "create_simulator"]


def build(settings: Settings) -> PlaidApi:
    """The Plaid client: Plaid's hosts, or the simulator (mounted on this server unless told otherwise)."""
    # Imported here: plaid-python takes a third of a second to load, and not every process calls Plaid.
    from railbook.providers.plaid.client import PlaidClient

    simulator_url = None
    if settings.plaid_env == "simulator":
        simulator_url = settings.plaid_simulator_url or f"http://{settings.host}:{settings.port}/_simulators/plaid"
    return PlaidClient.from_settings(
        settings, simulator_url=simulator_url, timeout_seconds=settings.plaid_timeout_seconds
    )
