"""Brale: the issuer client Railbook uses (`build`, typed by `issuer_api.IssuerClient`) and its simulator."""

from railbook.config import Settings
from railbook.providers.brale.client import BraleClient
from railbook.providers.brale.simulator import create_brale_simulator as create_simulator
from railbook.providers.issuer_api import IssuerClient

__all__ = ["build", "create_simulator"]


def build(settings: Settings) -> IssuerClient:
    """The Brale client: Brale's hosts (`live`) or the simulator (mounted on this server by default)."""
    return BraleClient.from_settings(settings)
