"""What each Plaid endpoint does to the simulator's state and the body it answers with (minus request_id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from railbook.providers.plaid.simulator.data import (
    AUTH_SUBTYPES,
    ITEM_PRODUCTS,
    PRODUCTS,
    ROUTING,
    WIRE_ROUTING,
    user_good_owner,
)
from railbook.providers.plaid.simulator.errors import PlaidFault
from railbook.providers.plaid.simulator.state import SimAccount, SimItem, SimulatorState

Body = dict[str, Any]

LINK_TOKEN_FIELDS = frozenset(
    [
        "client_name",
        "language",
        "country_codes",
        "user",
        "user_id",
        "products",
        "required_if_supported_products",
        "optional_products",
        "additional_consented_products",
        "webhook",
        "access_token",
        "access_tokens",
        "link_customization_name",
        "appearance_mode",
        "redirect_uri",
        "android_package_name",
        "institution_data",
        "card_switch",
        "account_filters",
        "eu_config",
        "institution_id",
        "payment_configuration",
        "payment_initiation",
        "employment",
        "income_verification",
        "base_report",
        "credit_partner_insights",
        "cra_options",
        "consumer_report_permissible_purpose",
        "auth",
        "transfer",
        "update",
        "identity_verification",
        "statements",
        "third_party_user_token",
        "investments",
        "investments_auth",
        "hosted_link",
        "transactions",
        "cashflow_report",
        "cra_enabled",
        "identity",
        "financekit_supported",
        "enable_multi_item_link",
        "user_token",
    ]
)
_LANGUAGES = frozenset(
    {"da", "nl", "en", "et", "fr", "de", "hi", "it", "ja", "lv", "lt", "no", "pl", "pt", "ro", "es", "sv", "vi"}
)
_COUNTRIES = frozenset(
    {"US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE"}
    | {"AT", "FI"}
)


def _wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _products(body: Body, name: str, *, required: bool) -> list[str]:
    value = body.get(name)
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(product, str) for product in value):
        raise PlaidFault("INVALID_FIELD", f"{name} must be an array of strings")
    unknown = [product for product in value if product not in PRODUCTS]
    if unknown:
        raise PlaidFault("INVALID_PRODUCT", None)
    if required and not value:
        raise PlaidFault("INVALID_FIELD", f"{name} must contain at least one product")
    return list(value)


def link_token_create(state: SimulatorState, body: Body) -> Body:
    """/link/token/create: a link token for one end user, valid 4 hours."""
    if not body["client_name"].strip():
        raise PlaidFault("INVALID_FIELD", "client_name must be a non-empty string")
    if body["language"] not in _LANGUAGES:
        raise PlaidFault("INVALID_FIELD", "language must be a supported language code")
    if not body["country_codes"] or any(code not in _COUNTRIES for code in body["country_codes"]):
        raise PlaidFault("INVALID_FIELD", "country_codes must be a non-empty list of supported country codes")
    user = body.get("user")
    if user is None and body.get("user_id") is None:
        raise PlaidFault("MISSING_FIELDS", "user")
    client_user_id = str(body.get("user_id") or "")
    if user is not None:
        if not isinstance(user, dict):
            raise PlaidFault("INVALID_FIELD", "user must be an object")
        client_user_id = user.get("client_user_id") or ""
        if not isinstance(client_user_id, str) or not client_user_id.strip():
            raise PlaidFault("MISSING_FIELDS", "user.client_user_id")
    update_mode = body.get("access_token") is not None
    if update_mode:
        state.item_for(str(body["access_token"]))
    products = _products(body, "products", required=not update_mode)
    for extra in ("required_if_supported_products", "optional_products", "additional_consented_products"):
        products += [product for product in _products(body, extra, required=False) if product not in products]
    webhook = body.get("webhook")
    token, expires_at = state.create_link_token(client_user_id, products, webhook if isinstance(webhook, str) else None)
    return {"link_token": token, "expiration": _wire_time(expires_at)}


def link_token_get(state: SimulatorState, body: Body) -> Body:
    """/link/token/get: the link token's metadata and its finished Link sessions with their public tokens."""
    link = state.known_link_token(body["link_token"])
    sessions = []
    for session in link.sessions:
        item = state.items.get(session.item_id)
        institution = {"name": item.institution_name, "institution_id": item.institution_id} if item else None
        accounts = [_session_account(account) for account in item.accounts] if item else []
        added = {"public_token": session.public_token, "accounts": accounts, "institution": institution}
        metadata = {"institution": institution, "accounts": accounts, "link_session_id": session.link_session_id}
        sessions.append(
            {
                "link_session_id": session.link_session_id,
                "started_at": _wire_time(session.started_at),
                "finished_at": _wire_time(session.finished_at),
                "results": {"item_add_results": [added]},
                "on_success": {"public_token": session.public_token, "metadata": metadata},
            }
        )
    return {
        "link_token": body["link_token"],
        "created_at": _wire_time(link.created_at),
        "expiration": _wire_time(link.expires_at),
        "metadata": {"initial_products": link.products, "webhook": link.webhook, "country_codes": ["US"]},
        "link_sessions": sessions,
    }


def _session_account(account: SimAccount) -> Body:
    sandbox = account.sandbox
    return {"id": account.account_id, "name": sandbox.name, "mask": sandbox.mask, "type": sandbox.type,
            "subtype": sandbox.subtype}  # fmt: skip


def sandbox_public_token_create(state: SimulatorState, body: Body) -> Body:
    """/sandbox/public_token/create: skip Link and get a public token for a new `user_good` Item."""
    products = _products(body, "initial_products", required=True)
    options = body.get("options") or {}
    username = options.get("override_username") or "user_good"
    if username != "user_good":
        raise PlaidFault("INVALID_FIELD", "the simulator knows only the sandbox user user_good")
    webhook = options.get("webhook")
    token = state.create_public_token(body["institution_id"], products, webhook if isinstance(webhook, str) else None)
    return {"public_token": token}


def public_token_exchange(state: SimulatorState, body: Body) -> Body:
    """/item/public_token/exchange: a single-use public token becomes an access token."""
    access_token, item_id = state.exchange(body["public_token"])
    return {"access_token": access_token, "item_id": item_id}


def _usable_item(state: SimulatorState, body: Body) -> SimItem:
    item = state.item_for(body["access_token"])
    if item.error_code is not None:
        raise PlaidFault(item.error_code)
    return item


def _selected(item: SimItem, body: Body) -> list[SimAccount]:
    wanted = (body.get("options") or {}).get("account_ids")
    if wanted is None:
        return list(item.accounts)
    if not isinstance(wanted, list):
        raise PlaidFault("INVALID_FIELD", "options.account_ids must be an array of strings")
    known = {account.account_id for account in item.accounts}
    if any(account_id not in known for account_id in wanted):
        raise PlaidFault("INVALID_ACCOUNT_ID")
    return [account for account in item.accounts if account.account_id in wanted]


def _account(account: SimAccount) -> Body:
    sandbox = account.sandbox
    return {
        "account_id": account.account_id,
        "balances": {
            "available": sandbox.available,
            "current": sandbox.current,
            "limit": sandbox.limit,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
        },
        "mask": sandbox.mask,
        "name": sandbox.name,
        "official_name": sandbox.official_name,
        "type": sandbox.type,
        "subtype": sandbox.subtype,
        "holder_category": "personal",
    }


def _item(item: SimItem) -> Body:
    billed = sorted(item.products)
    return {
        "item_id": item.item_id,
        "institution_id": item.institution_id,
        "institution_name": item.institution_name,
        "webhook": item.webhook,
        "auth_method": "INSTANT_AUTH",
        "error": None,
        "available_products": [product for product in ITEM_PRODUCTS if product not in billed],
        "billed_products": billed,
        "products": billed,
        "consented_products": billed,
        "consent_expiration_time": None,
        "update_type": "background",
    }


def auth_get(state: SimulatorState, body: Body) -> Body:
    """/auth/get: checking and savings accounts with their ACH numbers."""
    item = _usable_item(state, body)
    accounts = [account for account in _selected(item, body) if account.sandbox.subtype in AUTH_SUBTYPES]
    if not accounts:
        raise PlaidFault("NO_AUTH_ACCOUNTS")
    ach = [
        {
            "account_id": account.account_id,
            "account": account.sandbox.account_number,
            "routing": ROUTING,
            "wire_routing": WIRE_ROUTING,
            "is_tokenized_account_number": False,
            "can_transfer_in": True,
            "can_transfer_out": True,
        }
        for account in accounts
    ]
    return {
        "accounts": [_account(account) for account in accounts],
        "numbers": {"ach": ach, "eft": [], "international": [], "bacs": []},
        "item": _item(item),
    }


def identity_get(state: SimulatorState, body: Body) -> Body:
    """/identity/get: every account with its owners."""
    item = _usable_item(state, body)
    accounts = [{**_account(account), "owners": [user_good_owner()]} for account in _selected(item, body)]
    return {"accounts": accounts, "item": _item(item)}


def accounts_get(state: SimulatorState, body: Body) -> Body:
    """/accounts/get: the Item's accounts."""
    item = _usable_item(state, body)
    return {"accounts": [_account(account) for account in _selected(item, body)], "item": _item(item)}


def item_remove(state: SimulatorState, body: Body) -> Body:
    """/item/remove: the Item and its access tokens are gone for good."""
    state.remove_item(body["access_token"])
    return {}


def reset_login(state: SimulatorState, body: Body) -> Body:
    """/sandbox/item/reset_login: the Item now needs its user to log in again (ITEM_LOGIN_REQUIRED)."""
    state.item_for(body["access_token"]).error_code = "ITEM_LOGIN_REQUIRED"
    return {"reset_login": True}
