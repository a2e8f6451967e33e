"""Crypto wallets: Spark, Ethereum, Base, Polygon, Plasma, Solana, Tron. Usable as soon as created."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from railbook.external_accounts.rails.base import AccountInfo, FieldError, Rail
from railbook.external_accounts.rails.beneficiaries import WalletBeneficiary
from railbook.external_accounts.rails.checks import checked
from railbook.kit.identifiers.base58 import check_solana_address, check_tron_address
from railbook.kit.identifiers.bech32 import check_spark_address
from railbook.kit.identifiers.evm import check_evm_address

VaspName = Annotated[str, Field(min_length=1, max_length=255)]
EvmAddress = Annotated[str, checked(check_evm_address)]


class Wallet(AccountInfo):
    """Fields every wallet shares (`WalletBeneficiaryFields`, `WalletCustodyFields`)."""

    # The wallet's network: a *_MAINNET value, or a test network in sandbox. Derived when omitted.
    networks: ClassVar[tuple[str, ...]] = ()

    address: str
    beneficiary: WalletBeneficiary | None = None
    vasp_name: VaspName | None = None

    @classmethod
    def cross_rules(cls, raw: dict[str, Any]) -> list[FieldError]:
        """A wallet owned by an individual needs fullName and countryOfResidence (schema-enforced)."""
        return []


def _wallet_rail(currencies: set[str]) -> Rail:
    return Rail(currencies=frozenset(currencies), primary=("address",), is_wallet=True)


class SparkWallet(Wallet):
    """`SparkWalletExternalAccountInfo`: a bech32m Spark address."""

    rail: ClassVar[Rail] = _wallet_rail({"BTC", "USDB"})
    networks: ClassVar[tuple[str, ...]] = ("SPARK_MAINNET", "SPARK_TESTNET", "SPARK_REGTEST", "SPARK_SIGNET")
    account_type: Literal["SPARK_WALLET"]
    address: Annotated[str, Field(min_length=1, max_length=200), checked(check_spark_address)]


class EthereumWallet(Wallet):
    """`EthereumWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC", "USDT"})
    networks: ClassVar[tuple[str, ...]] = ("ETHEREUM_MAINNET", "ETHEREUM_SEPOLIA")
    account_type: Literal["ETHEREUM_WALLET"]
    address: EvmAddress


class BaseWallet(Wallet):
    """`BaseWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    networks: ClassVar[tuple[str, ...]] = ("BASE_MAINNET", "BASE_SEPOLIA")
    account_type: Literal["BASE_WALLET"]
    address: EvmAddress


class PolygonWallet(Wallet):
    """`PolygonWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    networks: ClassVar[tuple[str, ...]] = ("POLYGON_MAINNET", "POLYGON_AMOY")
    account_type: Literal["POLYGON_WALLET"]
    address: EvmAddress


class PlasmaWallet(Wallet):
    """`PlasmaWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDT"})
    networks: ClassVar[tuple[str, ...]] = ("PLASMA_MAINNET", "PLASMA_TESTNET")
    account_type: Literal["PLASMA_WALLET"]
    address: EvmAddress


class SolanaWallet(Wallet):
    """`SolanaWalletExternalAccountInfo`: a base58 32-byte public key."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    networks: ClassVar[tuple[str, ...]] = ("SOLANA_MAINNET", "SOLANA_DEVNET", "SOLANA_TESTNET")
    account_type: Literal["SOLANA_WALLET"]
    address: Annotated[str, checked(check_solana_address)]

    def primary_identifier(self) -> str:
        """Base58 is case-sensitive: compare as given."""
        return self.address


class TronWallet(Wallet):
    """`TronWalletExternalAccountInfo`: a base58check address starting with T."""

    rail: ClassVar[Rail] = _wallet_rail({"USDT"})
    networks: ClassVar[tuple[str, ...]] = ("TRON_MAINNET", "TRON_NILE", "TRON_SHASTA")
    account_type: Literal["TRON_WALLET"]
    address: Annotated[str, checked(check_tron_address)]

    def primary_identifier(self) -> str:
        """Base58 is case-sensitive: compare as given."""
        return self.address


MODELS: list[type[AccountInfo]] = [
    SparkWallet, EthereumWallet, BaseWallet, PolygonWallet, PlasmaWallet, SolanaWallet, TronWallet,
]  # fmt: skip
