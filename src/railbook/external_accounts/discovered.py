"""The directory the rails' named fields are checked against: built from the rail models, read by parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from railbook.directory import Directory
from railbook.directory.institutions import CorridorNames, build_discoveries
from railbook.directory.vasps import build_vasps
from railbook.external_accounts.rails.base import AccountInfo, FieldError
from railbook.external_accounts.rails.corridors import countries_of
from railbook.external_accounts.rails.crypto_wallets import Wallet
from railbook.external_accounts.rails.registry import MODELS


def bank_name_corridors() -> list[CorridorNames]:
    """Every corridor an accountType with a `bankName` pays into, with the operators it names there."""
    corridors = []
    for model in MODELS.values():
        if "bank_name" not in model.model_fields or model.rail.currencies is None:
            continue
        for country in sorted(countries_of(model) or ()):
            for currency in sorted(model.rail.currencies):
                corridors.append(CorridorNames(country, currency, model.mobile_providers))
    return corridors


def build_directory(discoveries_file: Path | None, vasps_file: Path | None) -> Directory:
    """The app's directory, once at start-up."""
    return Directory(build_discoveries(bank_name_corridors(), discoveries_file), build_vasps(vasps_file))


def directory_errors(
    directory: Directory, model: type[AccountInfo], currency: Any, raw: dict[str, Any]
) -> list[FieldError]:
    """`bankName` a discovered name where the type takes one; a wallet's `vaspName` a listed VASP."""
    errors: list[FieldError] = []
    bank_name = raw.get("bankName")
    if model.discovered_bank_name and isinstance(bank_name, str) and bank_name and isinstance(currency, str):
        corridors = [(country, currency) for country in sorted(countries_of(model) or ())]
        problem = directory.discoveries.bank_name_problem(corridors, bank_name, raw.get("iban"))
        if problem is not None:
            errors.append({"field": "accountInfo.bankName", "message": problem})
    vasp_name = raw.get("vaspName")
    if issubclass(model, Wallet) and isinstance(vasp_name, str) and vasp_name and not directory.vasps.knows(vasp_name):
        errors.append(
            {"field": "accountInfo.vaspName", "message": "vaspName must be one of the names GET /vasps returns"}
        )
    return errors
