"""Request bodies for the create benchmark: a realistic mix of rails with valid, unique identifiers."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

from clabe import compute_control_digit

from railbook.external_accounts.review import INVALID_ACCOUNT_SUFFIX, sandbox_suffix
from railbook.kit.identifiers.aba import check_routing_number
from railbook.kit.identifiers.evm import eip55
from railbook.kit.identifiers.phone import check_phone

# (weight, generator name): roughly what a remittance/payout platform's book looks like.
RAIL_MIX: tuple[tuple[int, str], ...] = (
    (30, "usd"),
    (20, "eur"),
    (12, "mxn"),
    (12, "brl"),
    (10, "kes"),
    (16, "evm"),
)

ROUTING_NUMBERS = ("011401533", "021000021", "021000089", "026009593", "121000358", "111000025", "061000104")
DE_BANK_CODES = ("37040044", "10070000", "50010517", "20041133", "70020270")
CLABE_BANKS = ("002", "012", "014", "072", "021", "044")
FIRST_NAMES = ("Alberta", "Juan", "Ana", "Wanjiru", "Hans", "Lucia", "Grace", "Ada", "Kofi", "Priya", "Mateo", "Sofia")
LAST_NAMES = ("Charleson", "Hernandez", "Souza", "Kamau", "Schmidt", "Garcia", "Hopper", "Lovelace", "Mensah", "Rao")
EMAIL_DOMAINS = ("exemplo.com.br", "mail.com", "empresa.com.br")


class BodyFactory:
    """Makes request bodies; every identifier it hands out is unique within the factory."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.seen: set[str] = set()
        self.weights = [weight for weight, _ in RAIL_MIX]
        self.names = [name for _, name in RAIL_MIX]
        self.routing = [number for number in ROUTING_NUMBERS if _valid_routing(number)]

    def body(self) -> dict[str, Any]:
        """One create body (without customerId), rail chosen by the mix."""
        kind = self.random.choices(self.names, self.weights)[0]
        maker = getattr(self, f"_{kind}")
        for _ in range(100):
            candidate: dict[str, Any] = maker()
            identifier = _identifier_of(candidate["accountInfo"])
            # Sandbox turns a "105" suffix into INVALID_BANK_ACCOUNT; keep every body creatable.
            if identifier in self.seen or sandbox_suffix(identifier) == INVALID_ACCOUNT_SUFFIX:
                continue
            self.seen.add(identifier)
            return candidate
        raise RuntimeError(f"could not make a fresh {kind} identifier")

    def bodies(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` bodies."""
        for _ in range(count):
            yield self.body()

    def _name(self) -> str:
        return f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"

    def _digits(self, count: int) -> str:
        return "".join(self.random.choices("0123456789", k=count))

    def _individual(self) -> dict[str, Any]:
        return {"beneficiaryType": "INDIVIDUAL", "fullName": self._name()}

    def _usd(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "accountType": "USD_ACCOUNT",
            "accountNumber": self._digits(self.random.choice((10, 12))),
            "routingNumber": self.random.choice(self.routing),
            "bankAccountType": self.random.choice(("CHECKING", "SAVINGS")),
            "beneficiary": self._individual(),
        }
        return {"currency": "USD", "accountInfo": info}

    def _eur(self) -> dict[str, Any]:
        bban = self.random.choice(DE_BANK_CODES) + self._digits(10)
        beneficiary = {**self._individual(), "countryOfResidence": "DE"}
        info = {"accountType": "EUR_ACCOUNT", "iban": iban("DE", bban), "beneficiary": beneficiary}
        return {"currency": "EUR", "accountInfo": info}

    def _mxn(self) -> dict[str, Any]:
        stem = self.random.choice(CLABE_BANKS) + self.random.choice(("180", "010", "320", "580")) + self._digits(11)
        clabe = stem + compute_control_digit(stem)
        info = {"accountType": "MXN_ACCOUNT", "clabeNumber": clabe, "beneficiary": self._individual()}
        return {"currency": "MXN", "accountInfo": info}

    def _brl(self) -> dict[str, Any]:
        tax_id = cpf(self._digits(9))
        key_type = self.random.choice(("CPF", "EMAIL", "RANDOM"))
        if key_type == "CPF":
            key = tax_id
        elif key_type == "EMAIL":
            key = f"cliente.{self._digits(8)}@{self.random.choice(EMAIL_DOMAINS)}"
        else:
            key = str(uuid.UUID(int=self.random.getrandbits(128), version=4))
        info = {
            "accountType": "BRL_ACCOUNT",
            "pixKey": key,
            "pixKeyType": key_type,
            "taxId": tax_id,
            "beneficiary": self._individual(),
        }
        return {"currency": "BRL", "accountInfo": info}

    def _kes(self) -> dict[str, Any]:
        while True:
            phone = "+2547" + self.random.choice("0129") + self._digits(7)
            if _valid_phone(phone):
                break
        info = {
            "accountType": "KES_ACCOUNT",
            "phoneNumber": phone,
            "provider": "M-PESA",
            "beneficiary": self._individual(),
        }
        return {"currency": "KES", "accountInfo": info}

    def _evm(self) -> dict[str, Any]:
        account_type = self.random.choice(("ETHEREUM_WALLET", "BASE_WALLET", "POLYGON_WALLET"))
        address = eip55("0x" + f"{self.random.getrandbits(160):040x}")
        return {"currency": "USDC", "accountInfo": {"accountType": account_type, "address": address}}


def iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 13616 check digits."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def cpf(nine: str) -> str:
    """A CPF with its two check digits."""
    digits = [int(char) for char in nine]
    for length in (9, 10):
        total = sum(digit * weight for digit, weight in zip(digits, range(length + 1, 1, -1), strict=True))
        digits.append((total * 10 % 11) % 10)
    return "".join(map(str, digits))


def _identifier_of(info: dict[str, Any]) -> str:
    for name in ("accountNumber", "iban", "clabeNumber", "pixKey", "phoneNumber", "address"):
        if name in info:
            return f"{info['accountType']}:{info[name]}"
    raise ValueError(info)


def _valid_routing(number: str) -> bool:
    try:
        check_routing_number(number)
    except ValueError:
        return False
    return True


def _valid_phone(number: str) -> bool:
    try:
        check_phone(number, "KE")
    except ValueError:
        return False
    return True
