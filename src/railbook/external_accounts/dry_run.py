"""Validate-only: a create body checked exactly as a create checks it, with nothing stored or emitted."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection

from railbook.db import Database
from railbook.directory import Directory
from railbook.errors import GridError
from railbook.external_accounts import repository, service
from railbook.external_accounts.parsing import ParsedCreate, parse_create
from railbook.kit.bank_facts import derive
from railbook.principal import Principal

FieldNote = dict[str, Any]


async def validate(
    database: Database, principal: Principal, raw: Any, directory: Directory, *, customer_path: bool
) -> dict[str, Any]:
    """`{valid, errors, warnings, normalized, derived}` for a create body (a body that is no object is a 400)."""
    errors: list[FieldNote] = []
    parsed: ParsedCreate | None = None
    try:
        parsed = parse_create(raw, principal, directory, customer_path=customer_path)
    except GridError as exc:
        field_errors = (exc.details or {}).get("errors")
        if exc.status != 400 or not isinstance(raw, dict) or not field_errors:
            raise
        errors += field_errors
    raw_info = raw.get("accountInfo")
    derived = derive(raw_info) if isinstance(raw_info, dict) else {}
    warnings = _derived_warnings(derived)
    normalized: dict[str, Any] | None = None
    if parsed is not None:
        warnings = [_sandbox_only(failure) for failure in parsed.soft_failures] + warnings
        # On the creates' own committer: validates arriving together share one transaction, as creates
        # do, which cost about two thirds of the CPU of one read each as a get does (docs/performance.md).
        stored = await database.grouped.run_async(
            partial(_as_stored, principal=principal, parsed=parsed, customer_path=customer_path)
        )
        errors += stored.errors
        warnings += stored.warnings
        normalized = stored.normalized
    body: dict[str, Any] = {"valid": not errors, "errors": errors, "warnings": warnings, "derived": derived}
    if normalized is not None and not errors:
        body["normalized"] = normalized
    return body


@dataclass
class _Stored:
    """What the database says of a parsed body: a missing customer, a duplicate, the stored form."""

    errors: list[FieldNote] = field(default_factory=list)
    warnings: list[FieldNote] = field(default_factory=list)
    normalized: dict[str, Any] | None = None


def _as_stored(connection: Connection, *, principal: Principal, parsed: ParsedCreate, customer_path: bool) -> _Stored:
    stored = _Stored()
    try:
        customer_id = service.customer_id_of(parsed, customer_path=customer_path)
        if customer_id is not None:
            # No row lock: nothing is written, so nothing has to wait for this read.
            service.require_customer(connection, principal.scope_parameters(), customer_id, lock=None)
        account = service.prepare(connection, principal, parsed, customer_path=customer_path)
    except GridError as exc:
        stored.errors += (exc.details or {}).get("errors", [])
        return stored
    stored.normalized = service.render_info(account)
    existing_id = repository.find_destination_id(connection, account)
    if existing_id is not None:
        message = "this destination already exists: a create would answer 409"
        stored.warnings.append(
            {"field": "accountInfo", "code": "DUPLICATE", "message": message, "existingId": existing_id}
        )
    return stored


def _sandbox_only(failure: dict[str, str]) -> FieldNote:
    message = f"{failure['message']}: accepted in sandbox, refused in production"
    return {"field": failure["field"], "code": "CHECK_DIGITS_SANDBOX_ONLY", "message": message}


def _derived_warnings(derived: dict[str, Any]) -> list[FieldNote]:
    warnings: list[FieldNote] = []
    evm = derived.get("evm")
    if isinstance(evm, dict) and evm.get("addressCase") == "lowercase":
        checksummed = evm["checksummedAddress"]
        message = f"all lower case carries no EIP-55 checksum against typing errors; checksummed: {checksummed}"
        warnings.append({"field": "accountInfo.address", "code": "ADDRESS_NOT_CHECKSUMMED", "message": message})
    lightning = derived.get("lightning")
    if isinstance(lightning, dict) and lightning.get("expiresWithinHour"):
        message = f"the invoice expires within the hour (at {lightning.get('expiresAt')})"
        warnings.append({"field": "accountInfo.invoice", "code": "INVOICE_EXPIRES_SOON", "message": message})
    return warnings
