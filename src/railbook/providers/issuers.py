"""Stablecoin issuers by the `provider` value of a link: the name shown in messages and how a client is built.

A second issuer is a package beside `brale/` (a client that satisfies `issuer_api.IssuerClient` and
raises its failures, and a simulator) plus one line in `ISSUERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from railbook.config import Settings
from railbook.providers import brale
from railbook.providers.issuer_api import IssuerClient


@dataclass(frozen=True)
class Issuer:
    """One supported issuer: the name shown in messages and how its client is built."""

    name: str
    build: Callable[[Settings], IssuerClient]


# By the `provider` value of a stablecoin provider account link.
ISSUERS: Mapping[str, Issuer] = {
    "BRALE": Issuer("Brale", brale.build),
}


def build_issuer_clients(settings: Settings) -> dict[str, IssuerClient]:
    """A client per supported issuer, for these settings."""
    return {provider: issuer.build(settings) for provider, issuer in ISSUERS.items()}
