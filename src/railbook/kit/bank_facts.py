"""Facts that follow from an account's identifiers alone, each group naming the data source it comes from.

`derive` is pure and total: an identifier that does not parse yields no fact (validating is the models'
job) and nothing raises. An IBAN or CLABE whose only fault is a check digit still names its bank, with
`checkDigitsValid` / `controlDigitValid` false: sandbox stores such accounts, and the bank code is read
from its own positions. Sources with no maintained bank directory (ABA routing numbers, IFSC) give nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from clabe import BANK_NAMES, BANKS, compute_control_digit
from schwifty import IBAN

from railbook.kit.clock import rfc3339
from railbook.kit.identifiers import CheckDigitError, IdentifierError
from railbook.kit.identifiers.bic import bic_country, check_bic, registry_banks
from railbook.kit.identifiers.evm import check_evm_address, eip55
from railbook.kit.identifiers.iban import check_iban, normalise_iban, registry_bank, registry_bic
from railbook.kit.identifiers.lightning import INVOICE_NETWORKS, decode_invoice

IBAN_SOURCE = "schwifty IBAN registry"
BANK_SOURCE = "schwifty bank registry"
CLABE_SOURCE = "clabe package bank list"
BOLT11_SOURCE = "bolt11 invoice decoder"
EVM_SOURCE = "EIP-55 checksum (keccak-256)"

# The current generation says swiftCode, the legacy IBAN swiftBic; clabeNumber is the wire name of a CLABE.
BIC_KEYS = ("swiftCode", "swiftBic", "bic")
CLABE_KEYS = ("clabeNumber", "clabe")
SOON_SECONDS = 3600

Facts = dict[str, Any]


def derive(account_info: dict[str, Any], *, now: datetime | None = None) -> Facts:
    """The facts an accountInfo's identifiers give, by group (iban, bic, clabe, bank, lightning, evm)."""
    groups = {
        "iban": _iban(account_info.get("iban")),
        "bic": _bic(_first(account_info, BIC_KEYS)),
        "clabe": _clabe(_first(account_info, CLABE_KEYS)),
        "bank": _bank(account_info),
        "lightning": _invoice(account_info.get("invoice"), now),
        "evm": _evm(account_info.get("address")),
    }
    return {name: group for name, group in groups.items() if group is not None}


def fill_missing(account_info: dict[str, Any], *, fields: Collection[str]) -> dict[str, str]:
    """Those of `fields` (bankName, swiftCode) the client left out and the registries give.

    `fields` are the ones the caller's model has: the kit knows no accountType. bankName is the bank of
    the IBAN, else the BIC, else the CLABE; swiftCode is the BIC of the IBAN's bank.
    """
    bank = _bank(account_info) or {}
    filled: dict[str, str] = {}
    if "bankName" in fields and not account_info.get("bankName") and "name" in bank:
        filled["bankName"] = bank["name"]
    # With no BIC sent, a bank's BIC can only have come from the IBAN's bank code.
    if "swiftCode" in fields and not any(account_info.get(key) for key in BIC_KEYS) and "bic" in bank:
        filled["swiftCode"] = bank["bic"]
    return filled


def _first(account_info: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of `keys` the accountInfo has."""
    return next((account_info[key] for key in keys if account_info.get(key) is not None), None)


def _compact_iban(value: Any) -> tuple[str, bool] | None:
    """The compact IBAN and whether its check digits hold; None when its structure is wrong."""
    if not isinstance(value, str):
        return None
    try:
        return check_iban(value), True
    except CheckDigitError:
        # check_iban tests mod-97 last: a CheckDigitError means the country, length and BBAN are right.
        return normalise_iban(value), False
    except IdentifierError:
        return None


def _iban(value: Any) -> Facts | None:
    """The IBAN's forms, country, bank and branch codes, and whether SEPA reaches it."""
    parsed = _compact_iban(value)
    if parsed is None:
        return None
    compact, check_digits_valid = parsed
    iban = IBAN(compact, allow_invalid=True)
    facts: Facts = {"compact": compact, "print": iban.formatted, "country": iban.country_code}
    if iban.bank_code:
        facts["bankCode"] = iban.bank_code
    if iban.branch_code:
        facts["branchCode"] = iban.branch_code
    facts |= {"checkDigitsValid": check_digits_valid, "sepaReachable": iban.in_sepa_zone, "source": IBAN_SOURCE}
    return facts


def _checked_bic(value: Any) -> str | None:
    """A well-formed BIC of an assigned country, else None."""
    if not isinstance(value, str):
        return None
    try:
        return check_bic(value)
    except IdentifierError:
        return None


def _bic(value: Any) -> Facts | None:
    """The BIC's country and what the bank registry says of it."""
    bic = _checked_bic(value)
    if bic is None:
        return None
    entries = registry_banks(bic)
    facts: Facts = {"bic": bic, "country": bic_country(bic), "registered": bool(entries)}
    if entries:
        facts["bankNames"] = sorted({entry.name for entry in entries})
        # The registry marks, per domestic bank code, the BIC that payments to that code go to.
        facts["primary"] = any(entry.primary for entry in entries)
    facts["source"] = BANK_SOURCE
    return facts


def _clabe(value: Any) -> Facts | None:
    """An 18-digit CLABE's bank code and whether its control digit holds."""
    # isascii: str.isdigit also takes superscripts and other scripts' digits.
    if not isinstance(value, str) or len(value) != 18 or not (value.isascii() and value.isdigit()):
        return None
    valid = compute_control_digit(value) == value[-1]
    return {"bankCode": value[:3], "controlDigitValid": valid, "source": CLABE_SOURCE}


def _bank(account_info: dict[str, Any]) -> Facts | None:
    """The account's bank: by the IBAN's bank code, else by the BIC, else by the CLABE's bank code."""
    return (
        _iban_bank(account_info.get("iban"))
        or _bic_bank(_first(account_info, BIC_KEYS))
        or _clabe_bank(_first(account_info, CLABE_KEYS))
    )


def _iban_bank(value: Any) -> Facts | None:
    """The registry's bank for the IBAN's bank code."""
    parsed = _compact_iban(value)
    if parsed is None or (bank := registry_bank(parsed[0])) is None:
        return None
    facts: Facts = {"name": bank.name}
    if (bic := registry_bic(parsed[0])) is not None:
        facts["bic"] = bic
    return facts | {"country": bank.country_code, "code": bank.bank_code, "source": BANK_SOURCE}


def _bic_bank(value: Any) -> Facts | None:
    """The registry's bank for a BIC, when most of the registry's entries for it agree on its name."""
    bic = _checked_bic(value)
    entries = registry_banks(bic) if bic is not None else []
    if bic is None or not entries:
        return None
    # One BIC serves many bank codes, under branch names (Commerzbank: 285 entries, 179 named Commerzbank)
    # or the names of banks it absorbed (CAIXESBB: 18 names, once each). Only a majority names the bank.
    name, count = Counter(entry.name for entry in entries).most_common(1)[0]
    if count * 2 <= len(entries):
        return None
    return {"name": name, "bic": bic, "country": bic_country(bic), "source": BANK_SOURCE}


def _clabe_bank(value: Any) -> Facts | None:
    """The bank the clabe package lists for the CLABE's first three digits (and its SPEI participant code)."""
    if _clabe(value) is None or (spei_code := BANKS.get(value[:3])) is None or spei_code not in BANK_NAMES:
        return None
    return {"name": BANK_NAMES[spei_code], "code": value[:3], "speiCode": spei_code, "country": "MX",
            "source": CLABE_SOURCE}  # fmt: skip


def _invoice(value: Any, now: datetime | None) -> Facts | None:
    """A BOLT11 invoice's network, amount, expiry (relative to `now`) and payee node."""
    if not isinstance(value, str):
        return None
    try:
        invoice = decode_invoice(value)
    except IdentifierError:
        return None
    moment = _utc(now).timestamp()
    expires = invoice.date + invoice.expiry
    facts: Facts = {"network": INVOICE_NETWORKS[invoice.currency]}
    if invoice.amount_msat is not None:
        facts["amountMsat"] = invoice.amount_msat
        # A fraction of a satoshi has no whole-sats form; amountMsat is the exact figure.
        if invoice.amount_msat % 1000 == 0:
            facts["amountSats"] = invoice.amount_msat // 1000
    # An expiry tag can name a moment past year 9999, which has no calendar form.
    with suppress(OverflowError, ValueError, OSError):
        facts["expiresAt"] = rfc3339(datetime.fromtimestamp(expires, UTC))
    facts["expired"] = expires <= moment  # as check_invoice: expired at the expiry second itself
    facts["expiresWithinHour"] = moment < expires <= moment + SOON_SECONDS
    if invoice.payee:
        facts["payeeNodeId"] = invoice.payee
    facts["source"] = BOLT11_SOURCE
    return facts


def _utc(now: datetime | None) -> datetime:
    """`now`, or the current time; a naive time is taken as UTC."""
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _evm(value: Any) -> Facts | None:
    """An EVM address's EIP-55 form and the case it was sent in (no fact when a mixed case fails EIP-55)."""
    if not isinstance(value, str):
        return None
    try:
        check_evm_address(value)
    except IdentifierError:
        return None
    checksummed = eip55(value)
    digits = value[2:]
    # An address without letters is its own checksummed form.
    case = "checksummed" if value == checksummed else "lowercase" if digits == digits.lower() else "uppercase"
    return {"checksummedAddress": checksummed, "addressCase": case, "source": EVM_SOURCE}
