"""Human labels for wire field names: `accountNumber` -> "Account number", `swiftCode` -> "SWIFT code"."""

from __future__ import annotations

import re

# Words written in capitals wherever they appear in a label.
ACRONYMS = {
    "iban": "IBAN",
    "swift": "SWIFT",
    "bic": "BIC",
    "clabe": "CLABE",
    "pix": "PIX",
    "upi": "UPI",
    "ifsc": "IFSC",
    "vpa": "VPA",
    "id": "ID",
    "uma": "UMA",
    "fi": "FI",
    "vasp": "VASP",
    "evm": "EVM",
    "bolt12": "BOLT12",
}
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def label(name: str) -> str:
    """A sentence-case label, acronyms kept in capitals and digits set apart (`line1` -> "Line 1")."""
    if name.lower() in ACRONYMS:
        return ACRONYMS[name.lower()]
    words = [word.lower() for word in _WORDS.findall(name)]
    shown = [ACRONYMS.get(word, word) for word in words]
    if shown and shown[0] == words[0]:
        shown[0] = shown[0].capitalize()
    return " ".join(shown)
