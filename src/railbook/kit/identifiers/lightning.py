"""Lightning destinations: BOLT11 invoices (bolt11), BOLT12 offers, Lightning addresses (LUD-16)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bech32 import CHARSET
from bolt11 import Bolt11
from bolt11 import decode as decode_bolt11
from bolt11.exceptions import Bolt11Exception, Bolt11SignatureVerifyException

from railbook.kit.identifiers import CheckDigitError, FormatError
from railbook.kit.identifiers.bech32 import decode_bech32

# BOLT11 currency prefixes: lnbc is Bitcoin mainnet, the others are test networks.
INVOICE_NETWORKS = {"bc": "MAINNET", "tb": "TESTNET", "bcrt": "REGTEST", "tbs": "SIGNET"}
LIGHTNING_ADDRESS = re.compile(r"^[a-z0-9\-_.+]+@(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Invoice:
    """What Railbook needs from a decoded invoice."""

    network: str
    expires_at: int


def decode_invoice(value: str) -> Bolt11:
    """A decodable, correctly signed BOLT11 invoice of a known network, expired or not.

    Text that is not bech32 at all is a FormatError; a bech32 checksum or a signature that does not
    match is a CheckDigitError (the shape is right, the check fails).
    """
    text = value.strip()
    if not text.lower().startswith("ln"):
        raise FormatError("a BOLT11 invoice starts with ln")
    try:
        hrp, _ = decode_bech32(text)
    except CheckDigitError as exc:
        raise CheckDigitError("BOLT11 invoice checksum does not match (bech32)") from exc
    text = text.lower()
    try:
        invoice = decode_bolt11(text)
    except Bolt11SignatureVerifyException as exc:
        raise CheckDigitError("BOLT11 invoice signature does not match its payee") from exc
    # The decoder reads the tagged fields bit by bit: malformed ones surface as assorted errors.
    except (Bolt11Exception, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FormatError(f"not a BOLT11 invoice: {exc}") from exc
    if invoice.currency not in INVOICE_NETWORKS:
        raise FormatError(f"unknown BOLT11 network prefix {hrp}")
    return invoice


def check_invoice(value: str, now: float | None = None) -> Invoice:
    """A decodable, correctly signed, unexpired BOLT11 invoice, with its network."""
    invoice = decode_invoice(value)
    expires_at = invoice.date + invoice.expiry
    if expires_at <= (now if now is not None else time.time()):
        raise FormatError("BOLT11 invoice has expired")
    return Invoice(INVOICE_NETWORKS[invoice.currency], expires_at)


def check_offer(value: str) -> str:
    """A BOLT12 offer: lno1 then bech32 characters (offers carry no checksum)."""
    text = value.strip().lower()
    if not text.startswith("lno1") or len(text) < 20:
        raise FormatError("a BOLT12 offer starts with lno1")
    body = text[4:].replace("+", "")
    if any(char not in CHARSET for char in body):
        raise FormatError("a BOLT12 offer uses only the bech32 alphabet")
    return text


def check_lightning_address(value: str) -> str:
    """A Lightning address user@domain with LUD-16 characters (lower-cased)."""
    text = value.strip().lower()
    if not LIGHTNING_ADDRESS.match(text):
        raise FormatError("Lightning address must be user@domain, with a-z 0-9 - _ . + in the user part")
    return text
