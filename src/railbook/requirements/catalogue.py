"""Every requirements answer's parts, serialised once at start-up: a request only picks and joins them."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import orjson

from railbook.external_accounts.rails.corridors import countries_of, serves
from railbook.external_accounts.rails.legacy import LegacyAccount
from railbook.external_accounts.rails.registry import MODELS
from railbook.requirements.schema import beneficiary_types, create_body_schema, variants


@dataclass(frozen=True)
class Entry:
    """One accountType of the current generation, and its schemas as JSON bytes."""

    account_type: str
    # (beneficiaryType or None, sandbox, customer path) -> the entry's JSON with that schema.
    rendered: dict[tuple[str | None, bool, bool], bytes]


# The current generation's accountTypes: the older one is accepted, not offered.
OFFERED: tuple[str, ...] = tuple(name for name, model in MODELS.items() if not issubclass(model, LegacyAccount))
_BUILDING = threading.Lock()


def catalogue() -> tuple[Entry, ...]:
    """The current generation's accountTypes with every schema variant rendered (built once per process)."""
    # The start-up thread and an early request may ask at once: one builds, the other waits for it.
    with _BUILDING:
        return _build()


@functools.cache
def _build() -> tuple[Entry, ...]:
    entries = []
    # Many variants render alike (sandbox and production of a bank account): one copy of each text.
    texts: dict[bytes, bytes] = {}
    for account_type in OFFERED:
        model = MODELS[account_type]
        countries = countries_of(model)
        facts = {
            "accountType": account_type,
            "currencies": sorted(model.rail.currencies) if model.rail.currencies is not None else None,
            "countries": sorted(countries) if countries is not None else None,
            "paymentRails": list(model.rail.payment_rails),
            "beneficiaryTypes": beneficiary_types(account_type),
        }
        # One schema at a time, rendered and dropped: building all of them first left ~15 MB of freed
        # but unreturnable heap behind (VmRSS, measured).
        rendered = {}
        for variant in variants():
            if variant.account_type == account_type:
                schema = create_body_schema(
                    account_type, beneficiary_type=variant.beneficiary_type, sandbox=variant.sandbox,
                    customer_path=variant.customer_path,
                )  # fmt: skip
                key = (variant.beneficiary_type, variant.sandbox, variant.customer_path)
                text = _exact(orjson.dumps({**facts, "schema": schema}))
                rendered[key] = texts.setdefault(text, text)
        entries.append(Entry(account_type, rendered))
    return tuple(entries)


def _exact(rendered: bytes) -> bytes:
    # orjson's bytes keep the capacity they grew to (about twice the text); a copy holds the text alone.
    return bytes(bytearray(rendered))


def answer(
    *, currency: str | None, country: str | None, beneficiary_type: str | None, account_type: str | None,
    sandbox: bool, customer_path: bool,
) -> bytes:  # fmt: skip
    """`{"data": [...]}`: the accountTypes serving the corridor, each with its create-body schema."""
    parts = []
    for entry in catalogue():
        model = MODELS[entry.account_type]
        if account_type is not None and entry.account_type != account_type:
            continue
        if not serves(model, currency=currency, country=country):
            continue
        key = (beneficiary_type, sandbox, customer_path)
        if beneficiary_type is not None and key not in entry.rendered:
            continue  # the type takes no beneficiary of that kind (CNY bank transfers are business only, say)
        parts.append(entry.rendered.get(key, entry.rendered[(None, sandbox, customer_path)]))
    return b'{"data":[' + b",".join(parts) + b"]}"
