"""The kit's message-signature checks, alone: each family's wallets' own signatures pass, anything else fails."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from railbook.kit.identifiers.bech32 import check_spark_address
from railbook.kit.signatures import MalformedSignature, SignatureFamily, SignatureMismatch, check_signature
from tests.support.wallets import new_wallet

MESSAGE = "Railbook wallet ownership verification\nNonce: 00ff\nÜnïcödé too"
FAMILY_OF = {
    "ETHEREUM_WALLET": SignatureFamily.EVM, "TRON_WALLET": SignatureFamily.TRON,
    "SOLANA_WALLET": SignatureFamily.SOLANA, "SPARK_WALLET": SignatureFamily.SPARK,
}  # fmt: skip


@pytest.mark.parametrize("account_type", sorted(FAMILY_OF))
def test_a_wallets_signature_passes_and_another_message_or_key_fails(account_type: str) -> None:
    wallet, other = new_wallet(account_type), new_wallet(account_type)
    family = FAMILY_OF[account_type]
    check_signature(family, wallet.address, MESSAGE, wallet.sign(MESSAGE))
    with pytest.raises(SignatureMismatch):
        check_signature(family, wallet.address, MESSAGE + " ", wallet.sign(MESSAGE))
    with pytest.raises(SignatureMismatch):
        check_signature(family, wallet.address, MESSAGE, other.sign(MESSAGE))


def test_evm_accepts_v_as_0_or_1_and_any_address_case() -> None:
    wallet = new_wallet("ETHEREUM_WALLET")
    signature = bytes.fromhex(wallet.sign(MESSAGE)[2:])
    zero_based = signature[:64] + bytes([signature[64] - 27])
    check_signature(SignatureFamily.EVM, wallet.address.lower(), MESSAGE, zero_based.hex())
    check_signature(SignatureFamily.EVM, wallet.address.upper().replace("0X", "0x"), MESSAGE, "0X" + signature.hex())


def test_an_ethereum_signature_does_not_pass_for_tron_and_back() -> None:
    evm, tron = new_wallet("ETHEREUM_WALLET"), new_wallet("TRON_WALLET")
    # The same key material under the other chain's prefix recovers another key.
    with pytest.raises(SignatureMismatch):
        check_signature(SignatureFamily.TRON, tron.address, MESSAGE, evm.sign(MESSAGE))
    with pytest.raises(SignatureMismatch):
        check_signature(SignatureFamily.EVM, evm.address, MESSAGE, tron.sign(MESSAGE))


def test_spark_takes_der_and_compact_and_refuses_other_lengths() -> None:
    der, compact = new_wallet("SPARK_WALLET"), new_wallet("SPARK_WALLET", compact=True)
    check_signature(SignatureFamily.SPARK, der.address, MESSAGE, der.sign(MESSAGE))
    check_signature(SignatureFamily.SPARK, compact.address, MESSAGE, compact.sign(MESSAGE))
    with pytest.raises(MalformedSignature):
        check_signature(SignatureFamily.SPARK, der.address, MESSAGE, compact.sign(MESSAGE)[:-2])


def test_spark_takes_a_high_s_signature_as_the_same_signature() -> None:
    wallet = new_wallet("SPARK_WALLET", compact=True)
    raw = bytes.fromhex(wallet.sign(MESSAGE))
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    mirrored = raw[:32] + (order - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    check_signature(SignatureFamily.SPARK, wallet.address, MESSAGE, mirrored.hex())


@pytest.mark.subprocess
def test_checking_signatures_leaves_the_recursion_limit_alone() -> None:
    # In a fresh process: a library that raises the limit (py_ecc does) would let deep JSON crash it.
    script = textwrap.dedent(
        """
        import sys
        before = sys.getrecursionlimit()
        from railbook.kit.signatures import SignatureFamily, SignatureMismatch, check_signature
        address = "0x" + "5a" * 20
        for family, addr, signature in [
            (SignatureFamily.EVM, address, "ab" * 64 + "1b"),
            (SignatureFamily.TRON, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "ab" * 64 + "1c"),
        ]:
            try:
                check_signature(family, addr, "m", signature)
            except SignatureMismatch:
                pass
        print(before, sys.getrecursionlimit(), "py_ecc" in sys.modules)
        """
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["1000", "1000", "False"]


VECTORS = json.loads((Path(__file__).parent / "data" / "wallet_signatures.json").read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['family']}-{len(v['message'])}" for v in VECTORS])
def test_signatures_made_by_the_wallets_own_libraries_pass(vector: dict[str, str]) -> None:
    # Made by ethers, TronWeb, @solana/web3.js + tweetnacl and the Spark SDK, not by this code base.
    family = SignatureFamily(vector["family"])
    if family is SignatureFamily.SPARK:
        # The SDK's address for the identity key is one Railbook accepts.
        assert check_spark_address(vector["address"]) == (vector["address"], "REGTEST")
    signatures = [vector["signature"], vector.get("signature_compact_hex")]
    for signature in filter(None, signatures):
        check_signature(family, vector["address"], vector["message"], signature)
        with pytest.raises(SignatureMismatch):
            check_signature(family, vector["address"], vector["message"] + ".", signature)
