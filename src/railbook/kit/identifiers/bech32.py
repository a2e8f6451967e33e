"""Bech32 text (BOLT11 invoices) and Spark addresses (bech32m with a Spark network prefix)."""

from __future__ import annotations

from bech32 import CHARSET, bech32_hrp_expand, bech32_polymod, convertbits
from coincurve import PublicKey

from railbook.kit.identifiers import CheckDigitError, FormatError

# BIP-173 and BIP-350: what the checksum polymod leaves for bech32 and for bech32m.
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3
# Spark's network prefixes, named as in the Spark SDK; cryptoNetwork values are SPARK_<network>.
SPARK_NETWORKS = {"spark": "MAINNET", "sparkt": "TESTNET", "sparkrt": "REGTEST", "sparks": "SIGNET", "sparkl": "LOCAL"}
# A Spark address is a SparkAddress protobuf whose field 1 is the 33-byte identity public key.
SPARK_IDENTITY_TAG = bytes([0x0A, 0x21])


def split_bech32(value: str) -> tuple[str, list[int]]:
    """The prefix and every data word (checksum included) of bech32-shaped text; FormatError otherwise."""
    if any(ord(char) < 33 or ord(char) > 126 for char in value):
        raise FormatError("bech32 text has spaces or characters outside printable ASCII")
    if value.lower() != value and value.upper() != value:
        raise FormatError("bech32 text must not mix upper and lower case")
    text = value.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text):
        raise FormatError("bech32 text needs a prefix, the separator 1 and a checksum")
    hrp, data_part = text[:separator], text[separator + 1 :]
    if any(char not in CHARSET for char in data_part):
        raise FormatError("bech32 text has characters outside the bech32 alphabet")
    return hrp, [CHARSET.find(char) for char in data_part]


def decode_bech32(value: str, constant: int = BECH32_CONST) -> tuple[str, list[int]]:
    """The prefix and data words (checksum removed) of bech32 text, or of bech32m with BECH32M_CONST."""
    hrp, data = split_bech32(value)
    if bech32_polymod(bech32_hrp_expand(hrp) + data) != constant:
        kind = "bech32m" if constant == BECH32M_CONST else "bech32"
        raise CheckDigitError(f"{kind} checksum does not match")
    return hrp, data[:-6]


def decode_bech32m(value: str) -> tuple[str, list[int]]:
    """The prefix and data words of a bech32m string."""
    return decode_bech32(value, BECH32M_CONST)


def check_spark_address(value: str) -> tuple[str, str]:
    """A Spark address (lower-cased) and its network: MAINNET, TESTNET, REGTEST, SIGNET or LOCAL."""
    hrp, _ = split_bech32(value)
    network = SPARK_NETWORKS.get(hrp)
    if network is None:
        raise FormatError(f"Spark address must start with spark1 (or a test network prefix), not {hrp}1")
    spark_identity_key(value)
    return value.lower(), network


def spark_identity_key(value: str) -> bytes:
    """The 33-byte compressed secp256k1 identity key a Spark address carries (FormatError when it has none)."""
    _, words = decode_bech32m(value)
    payload = convertbits(words, 5, 8, False)
    if payload is None:
        raise FormatError("Spark address data does not decode to whole bytes")
    raw = bytes(payload)
    if not raw.startswith(SPARK_IDENTITY_TAG) or len(raw) < 35:
        raise FormatError("Spark address must carry a 33-byte identity public key")
    try:
        PublicKey(raw[2:35])
    except ValueError as exc:
        raise FormatError("Spark address identity key is not a valid secp256k1 public key") from exc
    return raw[2:35]
