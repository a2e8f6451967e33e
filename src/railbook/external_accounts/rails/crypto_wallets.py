"""Crypto wallets: Spark, Ethereum, Base, Polygon, Arbitrum, Plasma, Solana, Tron. Usable as soon as created."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from railbook.external_accounts.rails.base import AccountInfo, Rail
from railbook.external_accounts.rails.beneficiaries import WalletBeneficiary
from railbook.external_accounts.rails.checks import checked, context_of, rule_error, run_check
from railbook.kit.identifiers.base58 import check_solana_address, check_tron_address
from railbook.kit.identifiers.bech32 import SPARK_NETWORKS, check_spark_address
from railbook.kit.identifiers.evm import check_evm_address
from railbook.kit.signatures import SignatureFamily

VaspName = Annotated[str, Field(min_length=1, max_length=255)]
EvmAddress = Annotated[str, checked(check_evm_address)]


class Wallet(AccountInfo):
    """Fields every wallet shares (`WalletBeneficiaryFields`, `WalletCustodyFields`).

    An INDIVIDUAL owner needs fullName and countryOfResidence: WalletIndividualBeneficiary requires both.
    """

    # The wallet's network: a *_MAINNET value, or a test network in sandbox. Derived when omitted.
    networks: ClassVar[tuple[str, ...]] = ()

    address: str
    beneficiary: WalletBeneficiary | None = None
    vasp_name: VaspName | None = None

    def network(self) -> str | None:
        """The network the address itself names, when it names one."""
        return None


def _wallet_rail(currencies: set[str]) -> Rail:
    return Rail(currencies=frozenset(currencies), primary=("address",), is_wallet=True)


class SparkWallet(Wallet):
    """`SparkWalletExternalAccountInfo`: a bech32m Spark address whose prefix names its network."""

    rail: ClassVar[Rail] = _wallet_rail({"BTC"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.SPARK
    # Mainnet first; one cryptoNetwork per Spark address prefix.
    networks: ClassVar[tuple[str, ...]] = tuple(f"SPARK_{network}" for network in SPARK_NETWORKS.values())
    account_type: Literal["SPARK_WALLET"]
    address: Annotated[str, Field(min_length=1, max_length=200)]

    @field_validator("address")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        networks: list[str] = []

        def check(text: str) -> str:
            address, network = check_spark_address(text)
            networks.append(network)
            return address

        address = run_check(check, value, info)
        if networks and networks[0] != "MAINNET" and not context_of(info).allow_test_networks:
            raise rule_error(f"address is on Spark {networks[0]}; production accepts only mainnet (spark1) addresses")
        return address.lower()

    def network(self) -> str | None:
        """The network the address prefix names (sparkt1... is SPARK_TESTNET)."""
        prefix = self.address[: self.address.rfind("1")]
        network = SPARK_NETWORKS.get(prefix)
        return f"SPARK_{network}" if network else None


class EthereumWallet(Wallet):
    """`EthereumWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC", "USDT"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.EVM
    networks: ClassVar[tuple[str, ...]] = ("ETHEREUM_MAINNET", "ETHEREUM_SEPOLIA")
    account_type: Literal["ETHEREUM_WALLET"]
    address: EvmAddress


class BaseWallet(Wallet):
    """`BaseWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.EVM
    networks: ClassVar[tuple[str, ...]] = ("BASE_MAINNET", "BASE_SEPOLIA")
    account_type: Literal["BASE_WALLET"]
    address: EvmAddress


class PolygonWallet(Wallet):
    """`PolygonWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.EVM
    networks: ClassVar[tuple[str, ...]] = ("POLYGON_MAINNET", "POLYGON_AMOY")
    account_type: Literal["POLYGON_WALLET"]
    address: EvmAddress


class ArbitrumWallet(Wallet):
    """`ArbitrumWalletExternalAccountInfo` (Grid PR #907, 2026-09): USDC and USDT on Arbitrum One."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC", "USDT"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.EVM
    networks: ClassVar[tuple[str, ...]] = ("ARBITRUM_MAINNET", "ARBITRUM_SEPOLIA")
    account_type: Literal["ARBITRUM_WALLET"]
    address: EvmAddress


class PlasmaWallet(Wallet):
    """`PlasmaWalletExternalAccountInfo`."""

    rail: ClassVar[Rail] = _wallet_rail({"USDT"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.EVM
    networks: ClassVar[tuple[str, ...]] = ("PLASMA_MAINNET", "PLASMA_TESTNET")
    account_type: Literal["PLASMA_WALLET"]
    address: EvmAddress


class SolanaWallet(Wallet):
    """`SolanaWalletExternalAccountInfo`: a base58 32-byte public key."""

    rail: ClassVar[Rail] = _wallet_rail({"USDC"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.SOLANA
    networks: ClassVar[tuple[str, ...]] = ("SOLANA_MAINNET", "SOLANA_DEVNET", "SOLANA_TESTNET")
    account_type: Literal["SOLANA_WALLET"]
    address: Annotated[str, checked(check_solana_address)]

    def primary_identifier(self) -> str:
        """Base58 is case-sensitive: compare as given."""
        return self.address


class TronWallet(Wallet):
    """`TronWalletExternalAccountInfo`: a base58check address starting with T."""

    rail: ClassVar[Rail] = _wallet_rail({"USDT"})
    signature_family: ClassVar[SignatureFamily | None] = SignatureFamily.TRON
    networks: ClassVar[tuple[str, ...]] = ("TRON_MAINNET", "TRON_NILE", "TRON_SHASTA")
    account_type: Literal["TRON_WALLET"]
    address: Annotated[str, checked(check_tron_address)]

    def primary_identifier(self) -> str:
        """Base58 is case-sensitive: compare as given."""
        return self.address


MODELS: list[type[AccountInfo]] = [
    SparkWallet, EthereumWallet, BaseWallet, PolygonWallet, ArbitrumWallet, PlasmaWallet, SolanaWallet, TronWallet,
]  # fmt: skip
