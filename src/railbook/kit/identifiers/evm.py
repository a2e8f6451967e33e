"""EVM addresses: 0x + 40 hex digits; mixed case must carry a valid EIP-55 checksum."""

from __future__ import annotations

import re

from eth_hash.backends.pysha3 import keccak256

from railbook.kit.identifiers import CheckDigitError, FormatError

EVM_PATTERN = re.compile(r"^0x[0-9a-fA-F]{40}$")


def eip55(address: str) -> str:
    """The EIP-55 mixed-case checksum form of an address."""
    digits = address[2:].lower()
    digest = keccak256(digits.encode()).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(digits, digest[:40], strict=True))


def check_evm_address(value: str) -> str:
    """A 20-byte hex address; all-lower or all-upper skips the checksum, as EIP-55 allows."""
    if not EVM_PATTERN.fullmatch(value):
        raise FormatError("EVM address must be 0x followed by 40 hexadecimal digits")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and eip55(value) != value:
        raise CheckDigitError("EVM address checksum (EIP-55 mixed case) does not match")
    return value
