"""The create body of an accountType as a draft 2020-12 JSON Schema, generated from the rail models.

Pydantic writes the schema of the envelope and of the accountInfo model (with `RequirementsGenerator`
marking what it cannot state); this module adds what `parse_create` decides outside the models
(currency, cryptoNetwork, cross-field rules) and narrows the beneficiary union to one member on request.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any, NamedTuple

import orjson

from railbook.external_accounts.rails.base import AccountInfo
from railbook.external_accounts.rails.crypto_wallets import Wallet
from railbook.external_accounts.rails.registry import MODELS
from railbook.external_accounts.schemas import CustomerAccountCreate, PlatformAccountCreate
from railbook.requirements.examples import attach_examples, contract_account_info, contract_envelope, fits
from railbook.requirements.generator import DRAFT_2020_12, RequirementsGenerator
from railbook.requirements.markers import (
    ADDRESS_NETWORK_CHECK,
    BODY_NORMALIZATION,
    CHECK,
    CROSS_CHECKS,
    DISCOVERED_BANK_NAME_CHECK,
    EITHER_OR,
    ISO_4217_CHECK,
    LISTED_VASP_CHECK,
    NORMALIZE,
)
from railbook.requirements.shape import Schema, finish, narrow_union, prune_definitions, union_tags

ISO_4217_PATTERN = "^[A-Z]{3}$"
BENEFICIARY_TAG = "beneficiaryType"


class Variant(NamedTuple):
    """The arguments of one create-body schema."""

    account_type: str
    beneficiary_type: str | None
    sandbox: bool
    customer_path: bool


def account_types() -> list[str]:
    """Every accountType a create body may name, in registry order."""
    return list(MODELS)


def beneficiary_types(account_type: str) -> list[str]:
    """The beneficiaryType values the accountType's beneficiary union has (none for LIGHTNING)."""
    beneficiary = _account_info(account_type)["properties"]["accountInfo"]["properties"].get("beneficiary")
    return union_tags(beneficiary, BENEFICIARY_TAG) if beneficiary is not None else []


def variants() -> list[Variant]:
    """Every (accountType, beneficiaryType or None, sandbox, customer path) a schema exists for."""
    return [
        Variant(account_type, beneficiary_type, sandbox, customer_path)
        for account_type in account_types()
        for beneficiary_type in [None, *beneficiary_types(account_type)]
        for sandbox in (False, True)
        for customer_path in (False, True)
    ]


def all_schemas() -> dict[Variant, Schema]:
    """Every variant's schema (what a server builds once at start-up)."""
    return {variant: create_body_schema(variant.account_type, **_options(variant)) for variant in variants()}


def _options(variant: Variant) -> dict[str, Any]:
    return {
        "beneficiary_type": variant.beneficiary_type,
        "sandbox": variant.sandbox,
        "customer_path": variant.customer_path,
    }


def create_body_schema(
    account_type: str, *, beneficiary_type: str | None, sandbox: bool, customer_path: bool
) -> Schema:
    """The whole create body for `account_type`; a beneficiaryType the type lacks leaves the full union."""
    model = MODELS.get(account_type)
    if model is None:
        raise KeyError(f"{account_type} is not an accountType")
    envelope = _copy(_envelope(customer_path))
    info = _copy(_account_info(account_type))
    body: Schema = {
        "$schema": DRAFT_2020_12,
        "title": f"Create an external account: {account_type}",
        **envelope,
        "$defs": info["$defs"],
    }
    properties = body["properties"]
    account_info = properties["accountInfo"] = info["properties"]["accountInfo"]
    properties["currency"] = _currency(model, properties["currency"])
    if issubclass(model, Wallet):
        properties["cryptoNetwork"] = _crypto_network(model, sandbox)
    else:
        # Only wallets name a network; parse_create refuses it on every other type.
        properties.pop("cryptoNetwork", None)
    if "beneficiary" in account_info["properties"]:
        narrow_union(account_info["properties"]["beneficiary"], BENEFICIARY_TAG, beneficiary_type)
    prune_definitions(body)
    return body


def _copy(schema: Schema) -> Schema:
    # The cached pieces are shared; orjson's round trip copies them fast and proves them JSON.
    copied: Schema = orjson.loads(orjson.dumps(schema))
    return copied


@functools.cache
def _account_info(account_type: str) -> Schema:
    """{"properties": {"accountInfo": ...}, "$defs": ...} for one accountType, generated once."""
    model = MODELS[account_type]
    generated = model.model_json_schema(by_alias=True, mode="validation", schema_generator=RequirementsGenerator)
    root: Schema = {"properties": {"accountInfo": generated}, "$defs": generated.pop("$defs", {})}
    finish(root)
    cross_checks = _cross_checks(model)
    if cross_checks:
        generated[CROSS_CHECKS] = cross_checks
    _mark_directory_names(model, generated)
    _state_either_or(model, generated)
    attach_examples(root, generated, contract_account_info(account_type))
    return root


@functools.cache
def _envelope(customer_path: bool) -> Schema:
    """The request around accountInfo (generated once per path); accountInfo itself is filled in per type."""
    model = CustomerAccountCreate if customer_path else PlatformAccountCreate
    generated = model.model_json_schema(by_alias=True, mode="validation", schema_generator=RequirementsGenerator)
    generated["properties"].pop("accountInfo")
    generated.pop("title", None)
    generated.pop("description", None)
    finish(generated)
    attach_examples(generated, generated, contract_envelope(customer_path))
    generated["properties"]["accountInfo"] = {}
    # parse_create moves a seed's accountInfo.platformAccountId up before anything is checked.
    generated[NORMALIZE] = BODY_NORMALIZATION
    return generated


def _owner(model: type[AccountInfo], attribute: str) -> type:
    """The class in `model`'s MRO that defines `attribute`."""
    return next(cls for cls in model.__mro__ if attribute in cls.__dict__)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _cross_checks(model: type[AccountInfo]) -> list[Schema]:
    """The model's cross-field rules (when it has its own), named by the class that defines them."""
    owner = _owner(model, "cross_rules")
    if owner is AccountInfo:
        return []
    return [{"name": f"{_kebab(owner.__name__)}-rules", "description": inspect.getdoc(model.cross_rules) or ""}]


def _state_either_or(model: type[AccountInfo], generated: Schema) -> None:
    """The model's either-or groups as `oneOf` (exactly one group, none of the others' fields) or `anyOf`."""
    choice = model.either_or
    if choice is None:
        return
    members: list[Schema] = []
    for group in choice.groups:
        member: Schema = {"required": list(group)}
        others = [name for name in choice.fields if name not in group]
        if choice.exclusive and others:
            member["not"] = {"anyOf": [{"required": [name]} for name in others]}
        members.append(member)
    generated["oneOf" if choice.exclusive else "anyOf"] = members
    generated[EITHER_OR] = {"groups": [list(group) for group in choice.groups], "exclusive": choice.exclusive}


def _mark_directory_names(model: type[AccountInfo], generated: Schema) -> None:
    """Names checked against GET /discoveries or GET /vasps (external_accounts/discovered.py): the server decides."""
    properties = generated.get("properties", {})
    if model.discovered_bank_name and "bankName" in properties:
        properties["bankName"][CHECK] = DISCOVERED_BANK_NAME_CHECK
        properties["bankName"]["description"] = "One of the bankName values GET /discoveries returns for the corridor"
    if "vaspName" in properties:
        properties["vaspName"][CHECK] = LISTED_VASP_CHECK
        properties["vaspName"]["description"] = "One of the vaspName values GET /vasps returns"


def _currency(model: type[AccountInfo], generated: Schema) -> Schema:
    """The rail's currencies as an enum; a pattern and a marker where the server decides."""
    node: Schema = {"title": generated["title"], "type": "string"}
    owner = _owner(model, "currency_errors")
    if owner is not AccountInfo:
        node["pattern"] = ISO_4217_PATTERN
        node[CHECK] = f"{_kebab(owner.__name__)}-currency"
        node["description"] = inspect.getdoc(model.currency_errors) or ""
    elif model.rail.currencies is None:
        node["pattern"] = ISO_4217_PATTERN
        node[CHECK] = ISO_4217_CHECK
    else:
        node["enum"] = sorted(model.rail.currencies)
    examples = [example for example in generated.get("examples", ()) if fits({}, node, example)]
    if examples:
        node["examples"] = examples
    return node


def _crypto_network(model: type[Wallet], sandbox: bool) -> Schema:
    """The wallet's networks (mainnet only outside sandbox); omitted or null means mainnet."""
    networks = list(model.networks) if sandbox else list(model.networks[:1])
    node: Schema = {
        "title": "Crypto network",
        "anyOf": [{"type": "string", "enum": networks}, {"type": "null"}],
        "default": None,
    }
    if _owner(model, "network") is not Wallet:
        # The address names its network (Spark prefixes): a different cryptoNetwork is refused.
        node[CHECK] = ADDRESS_NETWORK_CHECK
    return node
