"""Spark addresses: bech32m with a Spark network prefix (bech32 package primitives)."""

from __future__ import annotations

from bech32 import CHARSET, bech32_hrp_expand, bech32_polymod

from railbook.kit.identifiers import CheckDigitError, FormatError

# BIP-350: bech32m's checksum constant (the bech32 package verifies only the original constant).
BECH32M_CONST = 0x2BC830A3
SPARK_NETWORKS = {"spark": "MAINNET", "sparkt": "TESTNET", "sparkrt": "REGTEST", "sparks": "SIGNET", "sparkl": "LOCAL"}


def decode_bech32m(value: str) -> tuple[str, list[int]]:
    """The human-readable part and the data words of a bech32m string."""
    if value.lower() != value and value.upper() != value:
        raise FormatError("bech32m text must not mix upper and lower case")
    text = value.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text):
        raise FormatError("bech32m text needs a prefix, the separator 1 and a checksum")
    hrp, data_part = text[:separator], text[separator + 1 :]
    if any(char not in CHARSET for char in data_part):
        raise FormatError("bech32m text has characters outside the bech32 alphabet")
    data = [CHARSET.find(char) for char in data_part]
    if bech32_polymod(bech32_hrp_expand(hrp) + data) != BECH32M_CONST:
        raise CheckDigitError("bech32m checksum does not match")
    return hrp, data[:-6]


def check_spark_address(value: str) -> tuple[str, str]:
    """A Spark address and its network (MAINNET, TESTNET, REGTEST, SIGNET or LOCAL)."""
    hrp, _ = decode_bech32m(value)
    network = SPARK_NETWORKS.get(hrp)
    if network is None:
        raise FormatError(f"Spark address must start with spark1 (or a test prefix), not {hrp}1")
    return value.lower(), network
