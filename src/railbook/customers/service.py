"""Customer use cases: create, read, list, update, delete. Services never commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import uuid_utils
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.us import itin, ssn

from railbook.customers import repository
from railbook.customers.models import Customer
from railbook.customers.schemas import (
    BusinessCustomerCreate,
    BusinessCustomerUpdate,
    CustomerType,
    IdentificationType,
    IndividualCustomerCreate,
    IndividualCustomerUpdate,
    IndividualFields,
)
from railbook.errors import Conflict, GridError, InvalidInput, NotFound
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.kit.ids import new_id
from railbook.principal import Principal

# Keys kept in their own columns rather than in the profile document.
_COLUMN_KEYS = {"customerType", "platformCustomerId", "umaAddress", "identifier"}

# Sandbox: the last three characters of an individual's fullName decide the KYC outcome.
_SANDBOX_KYC_BY_SUFFIX = {"001": "PENDING", "002": "REJECTED", "003": "UNVERIFIED"}


def render(customer: Customer) -> dict[str, Any]:
    """The customer as the API shows it (`IndividualCustomer` / `BusinessCustomer`)."""
    status_key = "kycStatus" if customer.customer_type == CustomerType.INDIVIDUAL else "kybStatus"
    return {
        "id": customer.id,
        "platformCustomerId": customer.platform_customer_id,
        "customerType": customer.customer_type,
        **customer.profile,
        "umaAddress": customer.uma_address,
        status_key: customer.verification_status,
        "createdAt": rfc3339(customer.created_at),
        "updatedAt": rfc3339(customer.updated_at),
        "isDeleted": customer.deleted_at is not None,
    }


def _profile(request: IndividualCustomerCreate | BusinessCustomerCreate) -> dict[str, Any]:
    return {key: value for key, value in request.wire().items() if key not in _COLUMN_KEYS}


def _currencies_column(currencies: list[str] | None) -> str | None:
    return f",{','.join(currencies)}," if currencies else None


def _check_identifier(fields: IndividualFields) -> None:
    """The write-only identifier must be a valid SSN or ITIN, issued by the US."""
    if fields.identifier is None:
        return
    errors: list[dict[str, str]] = []
    if fields.id_type not in (IdentificationType.SSN, IdentificationType.ITIN):
        errors.append({"field": "idType", "message": "identifier needs idType SSN or ITIN"})
    elif fields.id_type is IdentificationType.SSN and not _valid(ssn, fields.identifier, r"###-##-####"):
        errors.append({"field": "identifier", "message": "not a valid SSN (format ###-##-####)"})
    elif fields.id_type is IdentificationType.ITIN and not _valid(itin, fields.identifier, r"9##-##-####"):
        errors.append({"field": "identifier", "message": "not a valid ITIN (format 9##-##-####)"})
    if fields.country_of_issuance not in (None, "US"):
        errors.append({"field": "countryOfIssuance", "message": "SSN and ITIN are issued by US"})
    if errors:
        raise InvalidInput("Invalid identification", errors)


def _valid(module: Any, value: str, shape: str) -> bool:
    if len(value) != len(shape) or any((s == "-") != (v == "-") for s, v in zip(shape, value, strict=True)):
        return False
    return bool(module.is_valid(value))


def _sandbox_kyc(full_name: str | None) -> str:
    if not full_name:
        return "UNVERIFIED"
    return _SANDBOX_KYC_BY_SUFFIX.get(full_name[-3:], "APPROVED")


def _initial_status(principal: Principal, request: IndividualCustomerCreate | BusinessCustomerCreate) -> str:
    # Businesses start UNVERIFIED; production has no KYC provider yet, so individuals do too.
    if isinstance(request, IndividualCustomerCreate) and principal.is_sandbox:
        return _sandbox_kyc(request.full_name)
    return "UNVERIFIED"


def _check_unique(session: Session, principal: Principal, *, platform_customer_id: str | None,
                  uma_address: str | None, own_id: str | None = None) -> None:  # fmt: skip
    if platform_customer_id is not None:
        existing = repository.live_with(session, principal, platform_customer_id=platform_customer_id)
        if existing is not None and existing.id != own_id:
            raise Conflict(
                "A customer with this platformCustomerId already exists",
                details={"existingId": existing.id, "field": "platformCustomerId"},
            )
    if uma_address is not None:
        existing = repository.live_with(session, principal, uma_address=uma_address)
        if existing is not None and existing.id != own_id:
            raise Conflict("This UMA address is already taken", code="UMA_ADDRESS_EXISTS")


def create(
    session: Session,
    principal: Principal,
    request: IndividualCustomerCreate | BusinessCustomerCreate,
    uma_domain: str,
    keys: MasterKeys,
) -> Customer:
    """A new customer; 409 when platformCustomerId or umaAddress is already taken."""
    if isinstance(request, IndividualCustomerCreate):
        _check_identifier(request)
    generated = uuid_utils.uuid7().hex
    platform_customer_id = request.platform_customer_id or generated
    uma_address = request.uma_address or f"${generated}@{uma_domain}"
    _check_unique(session, principal, platform_customer_id=platform_customer_id, uma_address=uma_address)
    now = utcnow()
    customer = Customer(
        id=new_id("Customer"),
        platform_id=principal.platform_id,
        mode=principal.mode.value,
        customer_type=request.customer_type.value,
        platform_customer_id=platform_customer_id,
        uma_address=uma_address,
        region=request.region,
        currencies=_currencies_column(request.currencies),
        verification_status=_initial_status(principal, request),
        profile=_profile(request),
        created_at=now,
        updated_at=now,
    )
    identifier = getattr(request, "identifier", None)
    if identifier is not None:
        customer.identifier = keys.encrypt(identifier.encode(), customer.id.encode())
    session.add(customer)
    _flush_unique(session)
    return customer


def _flush_unique(session: Session) -> None:
    # Two concurrent requests can both pass the check above; the partial unique indexes decide.
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("A customer with this platformCustomerId or umaAddress already exists") from exc


def get(session: Session, principal: Principal, customer_id: str) -> Customer:
    """The customer (deleted ones included, flagged isDeleted), or 404 USER_NOT_FOUND."""
    customer = repository.get(session, principal, customer_id)
    if customer is None:
        raise NotFound("USER_NOT_FOUND", f"Customer {customer_id} not found")
    return customer


def update(
    session: Session,
    principal: Principal,
    customer_id: str,
    request: IndividualCustomerUpdate | BusinessCustomerUpdate,
    keys: MasterKeys,
) -> Customer:
    """Apply the fields sent (others keep their values); customerType must match the customer's."""
    customer = repository.get_live(session, principal, customer_id)
    if customer is None:
        raise NotFound("USER_NOT_FOUND", f"Customer {customer_id} not found")
    if request.customer_type.value != customer.customer_type:
        raise InvalidInput(
            "customerType does not match the customer",
            [{"field": "customerType", "message": f"this customer is {customer.customer_type}"}],
        )
    sent = request.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    if "email" in sent and "phoneNumber" in sent:
        raise InvalidInput(
            "Update email and phoneNumber in separate requests",
            [
                {"field": "email", "message": "cannot change together with phoneNumber"},
                {"field": "phoneNumber", "message": "cannot change together with email"},
            ],
        )
    if isinstance(request, IndividualCustomerUpdate):
        _check_identifier(request)
    _check_unique(session, principal, platform_customer_id=None, uma_address=sent.get("umaAddress"),
                  own_id=customer.id)  # fmt: skip
    profile = dict(customer.profile)
    for key, value in sent.items():
        if key in _COLUMN_KEYS:
            continue
        if key == "businessInfo" and isinstance(profile.get(key), dict):
            profile[key] = {**profile[key], **value}
        else:
            profile[key] = value
    customer.profile = profile
    if "umaAddress" in sent:
        customer.uma_address = sent["umaAddress"]
    if "identifier" in sent:
        # Government ids are kept encrypted, like every other secret (record id as associated data).
        customer.identifier = keys.encrypt(str(sent["identifier"]).encode(), customer.id.encode())
    if "region" in sent:
        customer.region = sent["region"]
    if "currencies" in sent:
        customer.currencies = _currencies_column(sent["currencies"])
    customer.updated_at = utcnow()
    _flush_unique(session)
    return customer


# What else goes when a customer is deleted, run in the same transaction: each package that owns
# rows of a customer (external accounts) contributes one through the composition root (`app.py`),
# since it imports this package and this package may not import it back.
CustomerCascade = Callable[[Session, Principal, str], None]


def delete(session: Session, principal: Principal, customer_id: str, *, cascade: Sequence[CustomerCascade]) -> Customer:
    """Soft-delete, with what `cascade` takes along; a second delete is 410 CUSTOMER_DELETED."""
    customer = get(session, principal, customer_id)
    if customer.deleted_at is not None:
        raise GridError(410, "CUSTOMER_DELETED", f"Customer {customer_id} has already been deleted")
    now = utcnow()
    customer.deleted_at = now
    customer.updated_at = now
    session.flush()
    for step in cascade:
        step(session, principal, customer.id)
    return customer


# The customer id used throughout Grid's documentation; sandbox creates it so examples run verbatim.
EXAMPLE_CUSTOMER_ID = "Customer:019542f5-b3e7-1d02-0000-000000000001"


def ensure_example_customer(session: Session, principal: Principal) -> Customer | None:
    """Create the documentation's example customer for a sandbox principal (once per installation)."""
    if not principal.is_sandbox or session.get(Customer, EXAMPLE_CUSTOMER_ID) is not None:
        return None
    now = utcnow()
    customer = Customer(
        id=EXAMPLE_CUSTOMER_ID,
        platform_id=principal.platform_id,
        mode=principal.mode.value,
        customer_type=CustomerType.INDIVIDUAL.value,
        platform_customer_id="9f84e0c2a72c4fa",
        uma_address="$john.doe@railbook.local",
        verification_status="APPROVED",
        profile={"fullName": "John Doe", "birthDate": "1990-01-15", "nationality": "US"},
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    return customer
