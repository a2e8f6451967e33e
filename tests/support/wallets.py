"""Self-custody wallets with real keys made in the test, signing as each chain's wallets sign.

EVM and Tron sign with eth-account (Tron's TIP-191 prefix, as TronWeb's `signMessageV2`); Solana with
Ed25519 from `cryptography`; Spark with libsecp256k1 (coincurve), ECDSA over SHA-256 of the message
by the identity key, as the Spark SDK's `signMessageWithIdentityKey` does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import base58
from coincurve import PrivateKey
from coincurve.ecdsa import der_to_cdata, serialize_compact
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.kit.test_identifiers import make_spark_address
from tests.support.eth import Account, SignableMessage, encode_defunct


@dataclass
class Wallet:
    """A wallet of one account type: its address and a way to sign text with its key."""

    account_type: str
    currency: str
    address: str
    key: Any
    compact: bool = False

    def sign(self, message: str) -> str:
        """The signature the chain's wallets hand back for `message`, in their encoding."""
        body = message.encode()
        if self.account_type == "SOLANA_WALLET":
            return base58.b58encode(self.key.sign(body)).decode()
        if self.account_type == "SPARK_WALLET":
            der = self.key.sign(body, hasher=lambda data: hashlib.sha256(data).digest())
            return (serialize_compact(der_to_cdata(der)) if self.compact else der).hex()
        if self.account_type == "TRON_WALLET":
            signable = SignableMessage(b"T", b"RON Signed Message:\n" + str(len(body)).encode(), body)
            return "0x" + Account.sign_message(signable, self.key.key).signature.hex()
        return "0x" + Account.sign_message(encode_defunct(text=message), self.key.key).signature.hex()

    def info(self, **extra: Any) -> dict[str, Any]:
        """The accountInfo of a create."""
        return {"accountType": self.account_type, "address": self.address, **extra}


def new_wallet(account_type: str, *, compact: bool = False) -> Wallet:
    """A wallet with a fresh key."""
    if account_type == "SOLANA_WALLET":
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Wallet(account_type, "USDC", base58.b58encode(public).decode(), key)
    if account_type == "SPARK_WALLET":
        spark_key = PrivateKey()
        return Wallet(account_type, "BTC", make_spark_address("sparkrt", spark_key), spark_key, compact)
    evm = Account.create()
    if account_type == "TRON_WALLET":
        address = base58.b58encode_check(b"\x41" + bytes.fromhex(evm.address[2:])).decode()
        return Wallet(account_type, "USDT", address, evm)
    currency = {"ETHEREUM_WALLET": "USDC", "BASE_WALLET": "USDC", "POLYGON_WALLET": "USDC"}.get(account_type, "USDT")
    return Wallet(account_type, currency, evm.address, evm)
