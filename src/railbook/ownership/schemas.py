"""Request models of the challenge and verify operations (`OwnershipChallengeRequest`, `OwnershipVerifyRequest`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from railbook.kit.wire import WireModel

# Longer than any signature of the families Railbook checks (a DER signature is 144 hex digits).
MAX_SIGNATURE_LENGTH = 1024


class ChallengeRequest(WireModel):
    """`{method}`: WALLET_SIGNATURE or LIVENESS."""

    method: Literal["WALLET_SIGNATURE", "LIVENESS"]


class VerifyRequest(WireModel):
    """`{signature, signatureScheme?}`; signatureScheme concerns Bitcoin wallets and is ignored for the others."""

    signature: str = Field(min_length=1, max_length=MAX_SIGNATURE_LENGTH)
    signature_scheme: Literal["bip137", "electrum"] = "bip137"
