"""Message signatures of self-custody wallets, each checked with its chain's own scheme through a maintained library.

- EVM: EIP-191 `personal_sign`, 65 bytes hex (r, s, v); the address of the key recovered (libsecp256k1
  through coincurve, keccak-256 from eth-hash's pysha3 backend) must be the wallet's. Contract wallets (EIP-1271)
  sign through a contract call and are not checked here.
- Tron: TronWeb's `signMessageV2` (TIP-191): keccak-256 of "\\x19TRON Signed Message:\\n" + length + message,
  65 bytes hex; the recovered key's base58check address (0x41 + 20 bytes) must be the wallet's.
- Solana: Ed25519 over the message's UTF-8 bytes, the 64-byte signature in base58 (`cryptography`).
- Spark: ECDSA on secp256k1 over SHA-256 of the message's UTF-8 bytes, by the identity key the Spark
  address carries, hex DER or 64-byte compact: what the Spark SDK's `signMessageWithIdentityKey` returns
  (libsecp256k1 through coincurve).
"""

from __future__ import annotations

import hashlib
import string
from enum import StrEnum

import base58
from coincurve import PublicKey
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from eth_hash.backends.pysha3 import keccak256

from railbook.kit.identifiers.bech32 import spark_identity_key

RECOVERABLE_LENGTH = 65
ED25519_LENGTH = 64
COMPACT_LENGTH = 64
# A DER ECDSA signature on secp256k1: two INTEGERs of at most 33 bytes in a SEQUENCE.
DER_MAX_LENGTH = 72
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HEX = frozenset(string.hexdigits)
_BASE58 = frozenset(base58.BITCOIN_ALPHABET.decode())
# EIP-191 version 0x45 (`personal_sign`) and Tron's TIP-191 counterpart: prefix, then the message's length.
_ETHEREUM_PREFIX = b"\x19Ethereum Signed Message:\n"
_TRON_PREFIX = b"\x19TRON Signed Message:\n"


class SignatureFamily(StrEnum):
    """How a wallet type signs a message."""

    EVM = "EVM"
    TRON = "TRON"
    SOLANA = "SOLANA"
    SPARK = "SPARK"


class MalformedSignature(ValueError):
    """The signature is not in the family's encoding or length: nothing was checked."""


class SignatureMismatch(ValueError):
    """A well-formed signature that is not the wallet's key over this exact message."""


def check_signature(family: SignatureFamily, address: str, message: str, signature: str) -> None:
    """Return when `signature` is the wallet at `address` signing `message`; MalformedSignature or SignatureMismatch."""
    if family is SignatureFamily.EVM:
        _check_evm(address, message, signature)
    elif family is SignatureFamily.TRON:
        _check_tron(address, message, signature)
    elif family is SignatureFamily.SOLANA:
        _check_solana(address, message, signature)
    else:
        _check_spark(address, message, signature)


def _hex_bytes(signature: str, *, what: str) -> bytes:
    text = signature[2:] if signature[:2] in ("0x", "0X") else signature
    if not text or not _HEX.issuperset(text):
        raise MalformedSignature(f"must be {what} in hexadecimal (0x optional)")
    if len(text) % 2:
        raise MalformedSignature("has an odd number of hex digits")
    return bytes.fromhex(text)


def _recoverable(signature: str) -> bytes:
    raw = _hex_bytes(signature, what="65 bytes (r, s, v)")
    if len(raw) != RECOVERABLE_LENGTH:
        raise MalformedSignature(f"must be {RECOVERABLE_LENGTH} bytes (130 hex digits), not {len(raw)}")
    v = raw[-1]
    if v not in (0, 1, 27, 28):
        raise MalformedSignature(f"recovery byte v must be 27 or 28 (or 0 or 1), not {v}")
    _check_range(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"))
    # Ledger and some libraries write v as 0/1: the same signature.
    return raw[:-1] + bytes([v + 27 if v < 27 else v])


def _recovered_address(digest: bytes, raw: bytes) -> bytes:
    """The 20-byte Ethereum-style address of the key that made `raw` (r, s, v) over `digest`."""
    try:
        key = PublicKey.from_signature_and_message(raw[:64] + bytes([raw[64] - 27]), digest, hasher=None)
    except ValueError as exc:
        raise SignatureMismatch("does not recover to any public key") from exc
    return _keccak(key.format(compressed=False)[1:])[12:]


def _eip191_digest(prefix: bytes, message: str) -> bytes:
    body = message.encode()
    return _keccak(prefix + str(len(body)).encode() + body)


def _check_evm(address: str, message: str, signature: str) -> None:
    recovered = _recovered_address(_eip191_digest(_ETHEREUM_PREFIX, message), _recoverable(signature))
    if recovered.hex() != address.lower().removeprefix("0x"):
        raise SignatureMismatch(f"was made by 0x{recovered.hex()}, not by this wallet's address")


def _check_tron(address: str, message: str, signature: str) -> None:
    recovered = _recovered_address(_eip191_digest(_TRON_PREFIX, message), _recoverable(signature))
    tron_address = base58.b58encode_check(b"\x41" + recovered).decode()
    if tron_address != address:
        raise SignatureMismatch(f"was made by {tron_address}, not by this wallet's address")


def _check_solana(address: str, message: str, signature: str) -> None:
    if not signature or not _BASE58.issuperset(signature):
        raise MalformedSignature("must be base58 (the Bitcoin alphabet)")
    raw = base58.b58decode(signature)
    if len(raw) != ED25519_LENGTH:
        raise MalformedSignature(f"must decode to {ED25519_LENGTH} bytes, not {len(raw)}")
    key = Ed25519PublicKey.from_public_bytes(base58.b58decode(address))
    try:
        key.verify(raw, message.encode())
    except InvalidSignature as exc:
        raise SignatureMismatch("is not this wallet's Ed25519 signature of the message") from exc


def _check_spark(address: str, message: str, signature: str) -> None:
    raw = _hex_bytes(signature, what="a DER or 64-byte compact ECDSA signature")
    if len(raw) == COMPACT_LENGTH:
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    elif len(raw) <= DER_MAX_LENGTH and raw[:1] == b"\x30":
        try:
            r, s = decode_dss_signature(raw)
        except ValueError as exc:
            raise MalformedSignature("is not a DER-encoded ECDSA signature") from exc
    else:
        raise MalformedSignature(f"must be DER (at most {DER_MAX_LENGTH} bytes) or 64 bytes compact, not {len(raw)}")
    _check_range(r, s)
    # libsecp256k1 verifies low-S signatures only; a high-S one is the same signature, mirrored.
    der = encode_dss_signature(r, min(s, SECP256K1_ORDER - s))
    if not PublicKey(spark_identity_key(address)).verify(der, message.encode(), hasher=_sha256):
        raise SignatureMismatch("is not this Spark address's identity key signing the message")


def _check_range(r: int, s: int) -> None:
    if not (0 < r < SECP256K1_ORDER and 0 < s < SECP256K1_ORDER):
        raise MalformedSignature("has r or s outside 1 .. n-1 of secp256k1")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _keccak(data: bytes) -> bytes:
    return keccak256(data)
