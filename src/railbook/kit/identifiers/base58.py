"""Base58 addresses: Solana public keys and Tron base58check addresses (base58 package)."""

from __future__ import annotations

import base58

from railbook.kit.identifiers import CheckDigitError, FormatError

TRON_VERSION = 0x41


def check_solana_address(value: str) -> str:
    """Base58 text that decodes to a 32-byte public key."""
    try:
        raw = base58.b58decode(value)
    except ValueError as exc:
        raise FormatError("Solana address must be base58") from exc
    if len(raw) != 32 or not 32 <= len(value) <= 44:
        raise FormatError("Solana address must decode to 32 bytes")
    return value


def check_tron_address(value: str) -> str:
    """Base58check with version byte 0x41 and a 20-byte account (addresses start with T)."""
    try:
        raw = base58.b58decode(value)
    except ValueError as exc:
        raise FormatError("Tron address must be base58") from exc
    if len(raw) != 25 or raw[0] != TRON_VERSION:
        raise FormatError("Tron address must be 21 bytes with version 0x41 (it starts with T)")
    try:
        base58.b58decode_check(value)
    except ValueError as exc:
        raise CheckDigitError("Tron address checksum does not match") from exc
    return value
