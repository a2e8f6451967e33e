"""Parse a create request in one pass: the envelope, accountInfo by its accountType, cross-field rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pycountry
from pydantic import ValidationError

from railbook.directory import Directory
from railbook.errors import GridError, InvalidInput, field_errors_from_pydantic
from railbook.external_accounts.discovered import directory_errors
from railbook.external_accounts.rails.base import AccountInfo, FieldError
from railbook.external_accounts.rails.checks import RuleContext
from railbook.external_accounts.rails.crypto_wallets import Wallet
from railbook.external_accounts.rails.registry import MODELS, account_info_adapter, model_for
from railbook.external_accounts.schemas import CustomerAccountCreate, PlatformAccountCreate
from railbook.principal import Principal

log = logging.getLogger("railbook.external_accounts")

ISO_CURRENCIES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


@dataclass(frozen=True)
class ParsedCreate:
    """A create request that passed every rule."""

    envelope: PlatformAccountCreate
    info: AccountInfo
    crypto_network: str | None
    # Sandbox only: check digits that failed and were accepted (`{field, message}`), which production refuses.
    soft_failures: tuple[dict[str, str], ...] = ()


def parse_create(raw: Any, principal: Principal, directory: Directory, *, customer_path: bool) -> ParsedCreate:
    """Validate everything, list every failure at once, or return the typed request."""
    if not isinstance(raw, dict):
        raise InvalidInput("Request body must be a JSON object", [{"field": "body", "message": "expected an object"}])
    body = hoist_platform_account_id(raw)
    errors: list[FieldError] = []
    envelope_model = CustomerAccountCreate if customer_path else PlatformAccountCreate
    envelope: PlatformAccountCreate | None = None
    try:
        envelope = envelope_model.model_validate(body)
    except ValidationError as exc:
        errors += field_errors_from_pydantic(exc.errors(), body)
    context = RuleContext(enforce_check_digits=not principal.is_sandbox, allow_test_networks=principal.is_sandbox)
    info: AccountInfo | None = None
    raw_info = body.get("accountInfo")
    if isinstance(raw_info, dict):
        try:
            info = account_info_adapter().validate_python(raw_info, context=context)
        except ValidationError as exc:
            located = [{**error, "loc": ("accountInfo", *error["loc"])} for error in exc.errors()]
            errors += field_errors_from_pydantic(located, body)
        model = model_for(raw_info.get("accountType"))
        if model is not None:
            errors += model.cross_rules(raw_info)
            errors += directory_errors(directory, model, body.get("currency"), raw_info)
    model = model_for(raw_info.get("accountType")) if isinstance(raw_info, dict) else None
    errors += _currency_errors(body.get("currency"), model, raw_info)
    crypto_network = None
    if model is not None and issubclass(model, Wallet):
        crypto_network, network_errors = _crypto_network(body.get("cryptoNetwork"), model, principal)
        errors += network_errors
    elif model is not None and body.get("cryptoNetwork") is not None:
        # Refused, not dropped: a network on a bank account (or an invoice, which names its own) is a mistake.
        errors.append({"field": "cryptoNetwork", "message": "only wallet accountTypes take cryptoNetwork"})
    if errors:
        only_currency = all(error["field"] == "currency" for error in errors)
        if only_currency:
            raise GridError(400, "INVALID_CURRENCY", "currency does not fit this accountType", {"errors": errors})
        raise InvalidInput("Request validation failed", _dedupe(errors))
    if context.soft_failures:
        # Sandbox accepts documentation placeholders such as routing number 123456789.
        log.info("sandbox accepted failed check digits", extra={"checks": context.soft_failures})
    assert envelope is not None and info is not None
    if isinstance(info, Wallet) and (named := info.network()) is not None:
        if body.get("cryptoNetwork") not in (None, named):
            raise InvalidInput(
                "cryptoNetwork does not match the address",
                [{"field": "cryptoNetwork", "message": f"the address is on {named}"}],
            )
        crypto_network = named
    return ParsedCreate(envelope, info, crypto_network, tuple(context.soft_failures))


def hoist_platform_account_id(raw: dict[str, Any]) -> dict[str, Any]:
    """Seeds put platformAccountId inside accountInfo; the top-level one wins when both are sent."""
    info = raw.get("accountInfo")
    if not isinstance(info, dict) or "platformAccountId" not in info:
        return raw
    body = dict(raw)
    inner = dict(info)
    moved = inner.pop("platformAccountId")
    body["accountInfo"] = inner
    body.setdefault("platformAccountId", moved)
    return body


def _currency_errors(currency: Any, model: type[AccountInfo] | None, raw_info: Any) -> list[FieldError]:
    if not isinstance(currency, str) or model is None:
        return []
    specific = model.currency_errors(currency, raw_info if isinstance(raw_info, dict) else {})
    if specific is not None:
        return specific
    allowed = model.rail.currencies
    if allowed is None:
        if currency in ISO_CURRENCIES:
            return []
        return [{"field": "currency", "message": "must be an ISO 4217 currency code"}]
    if currency in allowed:
        return []
    account_type = next(name for name, candidate in MODELS.items() if candidate is model)
    expected = ", ".join(sorted(allowed))
    return [
        {
            "field": "currency",
            "message": f"{account_type} takes currency {expected}",
            "constraint": {"enum": sorted(allowed)},
        }
    ]


def _crypto_network(value: Any, model: type[Wallet], principal: Principal) -> tuple[str | None, list[FieldError]]:
    mainnet = model.networks[0] if model.networks else None
    if value is None:
        return mainnet, []
    if value not in model.networks:
        message = f"{value} is not a network of this wallet type"
        return None, [{"field": "cryptoNetwork", "message": message, "constraint": {"enum": list(model.networks)}}]
    if value != mainnet and not principal.is_sandbox:
        return None, [{"field": "cryptoNetwork", "message": f"test network {value} is only allowed in sandbox"}]
    return str(value), []


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for error in errors:
        key = (error["field"], error.get("message", ""))
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique
