"""External account use cases. Services never commit; status changes emit webhooks in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.customers import repository as customers
from railbook.db import before_commit, table_of
from railbook.errors import Conflict, InvalidInput, NotFound
from railbook.external_accounts import repository
from railbook.external_accounts.custody import why_not_provable
from railbook.external_accounts.models import AccountStatus, ExternalAccount, NewAccount, StatusChange
from railbook.external_accounts.parsing import ParsedCreate
from railbook.external_accounts.rails.registry import MODELS
from railbook.external_accounts.review import STATUS_FOR_VERIFICATION, Review, review_new_account
from railbook.external_accounts.rows import new_account_row
from railbook.jobs.queue import enqueue
from railbook.kit.clock import utcnow
from railbook.kit.driver_sql import DriverStatement
from railbook.platforms.config import ownership_verification_required
from railbook.principal import Principal
from railbook.webhooks.events import EXTERNAL_ACCOUNT_STATUS_UPDATED, emit

# Queued with every deletion for the packages that keep something of an account (Plaid removes its
# Item): each subscribes by handling this kind, so this package needs to know none of them.
DELETED_KIND = "external_accounts.deleted"
# Queued with a sandbox account whose name check starts PENDING, due when the check settles.
SETTLE_SANDBOX_CHECK_KIND = "external_accounts.settle_sandbox_check"


def render(account: ExternalAccount | NewAccount) -> dict[str, Any]:
    """The account as the API shows it (`ExternalAccount`), in the generation it was created in."""
    body: dict[str, Any] = {"id": account.id}
    if account.customer_id is not None:
        body["customerId"] = account.customer_id
    body["status"] = account.status
    if account.platform_account_id is not None:
        body["platformAccountId"] = account.platform_account_id
    if account.ownership_type is not None:
        body["ownershipType"] = account.ownership_type
    body["currency"] = account.currency
    if account.customer_id is not None:
        body["defaultUmaDepositAccount"] = bool(account.is_default)
    if account.verification_status is not None:
        body["beneficiaryVerificationStatus"] = account.verification_status
    if account.verified_name is not None:
        body["beneficiaryVerifiedData"] = {"fullName": account.verified_name}
    if account.crypto_network is not None:
        body["cryptoNetwork"] = account.crypto_network
    body["accountInfo"] = render_info(account)
    return body


def render_info(account: ExternalAccount | NewAccount) -> dict[str, Any]:
    """accountInfo with the response-only paymentRails, or the legacy shape for legacy requests."""
    if account.legacy_type is not None:
        legacy = MODELS[account.legacy_type]
        info: dict[str, Any] = legacy.render_legacy(account.account_info)  # type: ignore[attr-defined]
        return {"accountType": info.pop("accountType"), **info}
    info = dict(account.account_info)
    info = {"accountType": info.pop("accountType"), **info}
    rails = MODELS[account.account_type].payment_rails_for(account.account_info)
    if rails:
        info["paymentRails"] = rails
    return info


def beneficiary_name(info: dict[str, Any]) -> str | None:
    """The beneficiary's fullName (or a business's legalName) in a stored accountInfo."""
    beneficiary = info.get("beneficiary")
    if not isinstance(beneficiary, dict):
        return None
    name = beneficiary.get("fullName") or beneficiary.get("legalName")
    return str(name) if name else None


def create(
    connection: Connection,
    principal: Principal,
    parsed: ParsedCreate,
    *,
    customer_path: bool,
    sandbox_pending_seconds: float,
) -> NewAccount:
    """A new account for a customer (or the platform); 409 when the destination already exists.

    A sandbox name check that starts PENDING settles after `sandbox_pending_seconds`, in a job.
    """
    customer_id = customer_id_of(parsed, customer_path=customer_path)
    customer_lock: customers.RowLock | None = None
    if customer_id is not None and getattr(parsed.envelope, "default_uma_deposit_account", False):
        # Taking the default flag locks the customer first, so concurrent creates take it one after another.
        require_customer(connection, principal.scope_parameters(), customer_id, lock="update")
    elif customer_id is not None:
        # A shared lock, taken by the insert: a concurrent customer deletion then waits for this
        # create (and deletes its account too) or this create waits for it (and finds the customer gone).
        customer_lock = "share"
    account = prepare(connection, principal, parsed, customer_path=customer_path)
    store_new(connection, account, reason="created", actor=f"token:{principal.token_id}", customer_lock=customer_lock)
    if principal.is_sandbox and account.verification_status == "PENDING":
        payload = {"externalAccountId": account.id}
        enqueue(connection, SETTLE_SANDBOX_CHECK_KIND, payload, delay_seconds=sandbox_pending_seconds)
    return account


def customer_id_of(parsed: ParsedCreate, *, customer_path: bool) -> str | None:
    """The customer a create names (none on the platform's own accounts)."""
    customer_id: str | None = getattr(parsed.envelope, "customer_id", None) if customer_path else None
    return customer_id


def require_customer(
    connection: Connection, scope: Mapping[str, str], customer_id: str, *, lock: customers.RowLock | None
) -> None:
    """400 naming customerId unless the customer exists, undeleted, in the scope (row-locked when `lock`)."""
    if not customers.is_live(connection, scope, customer_id, lock=lock):
        # A missing object named in the body is a bad request; 404 is for the resource in the path,
        # and the contract lists no 404 for the creates.
        raise InvalidInput(
            f"Customer {customer_id} not found",
            [{"field": "customerId", "message": "names no customer of this platform and mode"}],
        )


def prepare(connection: Connection, principal: Principal, parsed: ParsedCreate, *, customer_path: bool) -> NewAccount:
    """The account a create would insert (whether its customer exists is the caller's to check)."""
    envelope = parsed.envelope
    customer_id = customer_id_of(parsed, customer_path=customer_path)
    wants_default = bool(getattr(envelope, "default_uma_deposit_account", False))
    stored = parsed.info.stored()
    account_type = str(stored["accountType"])
    proves_ownership = why_not_provable(
        account_type, envelope.ownership_type, stored
    ) is None and ownership_verification_required(connection, principal.platform_id, principal.mode)
    return new_account_row(
        platform_id=principal.platform_id,
        mode=principal.mode.value,
        customer_id=customer_id,
        info=parsed.info,
        stored=stored,
        currency=envelope.currency,
        review=review_at_creation(principal, parsed, stored),
        platform_account_id=envelope.platform_account_id,
        ownership_type=envelope.ownership_type,
        crypto_network=parsed.crypto_network,
        is_default=wants_default and customer_id is not None,
        # The platform asks FIRST_PARTY self-custody wallets to prove ownership before unrestricted use.
        status=AccountStatus.PENDING_OWNERSHIP_VERIFICATION if proves_ownership else None,
    )


def store_new(
    connection: Connection,
    account: NewAccount,
    *,
    reason: str,
    actor: str,
    customer_lock: customers.RowLock | None = None,
) -> None:
    """Insert a new account with its first audit entry: 409 (naming the live copy) when the destination exists.

    With a `customer_lock`, the insert also checks and locks the account's customer: 400 when it is gone.
    """
    if account.is_default and account.customer_id is not None:
        repository.clear_default(connection, account.customer_id)
    try:
        # A plain INSERT, not the session's unit of work: the row is only rendered afterwards, and
        # the ORM flush was the largest share of a create's time (docs/decisions.md, Performance).
        inserted = repository.insert_account(connection, account, customer_lock=customer_lock)
    except IntegrityError as exc:
        # The default flag is taken under the customer's row lock, and a live destination makes the
        # insert do nothing: a violation here is not the client's to fix by another body.
        raise Conflict("This external account already exists") from exc
    if not inserted:
        if customer_lock is not None and account.customer_id is not None:
            scope = {"platform_id": account.platform_id, "mode": account.mode}
            require_customer(connection, scope, account.customer_id, lock=None)
        existing_id = repository.find_destination_id(connection, account)
        raise Conflict(
            "This external account already exists", details={"existingId": existing_id} if existing_id else None
        )
    _audit(connection, account, None, account.status, reason, actor)


def review_at_creation(principal: Principal, parsed: ParsedCreate, stored: dict[str, Any]) -> Review | None:
    """The review a new account gets from its stored accountInfo (None for wallets)."""
    info = parsed.info
    return review_new_account(
        sandbox=principal.is_sandbox,
        is_wallet=info.rail.is_wallet,
        identifier=_raw_identifier(stored, info.rail.primary),
        default_check=info.rail.name_check,
        beneficiary_name=beneficiary_name(stored),
    )


def _raw_identifier(stored: dict[str, Any], fields: tuple[str, ...]) -> str:
    for name in fields:
        value = stored.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def get(session: Session, principal: Principal, account_id: str, *, platform_owned: bool) -> ExternalAccount:
    """A live account, or 404 REFERENCE_NOT_FOUND."""
    account = repository.get_live(session, principal, account_id, platform_owned=platform_owned)
    if account is None:
        raise NotFound("REFERENCE_NOT_FOUND", f"External account {account_id} not found")
    return account


def delete(session: Session, principal: Principal, account_id: str, *, platform_owned: bool) -> ExternalAccount:
    """Soft delete: kept for audit, gone from the API, no longer the default deposit account."""
    account = get(session, principal, account_id, platform_owned=platform_owned)
    _soft_delete(session, account, utcnow())
    return account


def delete_customer_accounts(session: Session, principal: Principal, customer_id: str) -> None:
    """Soft-delete every live account of a customer, in the transaction that deletes the customer."""
    statement = repository.of_customer(principal, customer_id)
    now = utcnow()
    for account in session.scalars(statement).all():
        _soft_delete(session, account, now)


def _soft_delete(session: Session, account: ExternalAccount, now: datetime) -> None:
    account.deleted_at = now
    account.updated_at = now
    account.is_default = None
    session.flush()
    repository.count_change(session.connection(), account, -1)
    enqueue(session, DELETED_KIND, {"externalAccountId": account.id})


def change_status(
    session: Session,
    account: ExternalAccount,
    to_status: str,
    *,
    reason: str | None,
    actor: str,
    announce_unchanged: bool = False,
) -> None:
    """Move an account to `to_status`, record it, and tell the platform (same transaction).

    Staying in the same status is a no-op, unless `announce_unchanged`: an asynchronous outcome the
    platform waits for (a failed liveness retry of an UNVERIFIED wallet) is recorded and sent all the same.
    """
    from_status = account.status
    if from_status == to_status and not announce_unchanged:
        return
    account.status = to_status
    account.updated_at = utcnow()
    session.flush()
    _audit(session.connection(), account, from_status, to_status, reason, actor)
    emit(
        session,
        account.platform_id,
        Mode(account.mode),
        EXTERNAL_ACCOUNT_STATUS_UPDATED,
        # previousStatus (Railbook's addition): a receiver that sees events out of order can tell.
        {**render(account), "previousStatus": from_status},
        resource_key=account.id,
    )


def settle_name_check(
    session: Session, account: ExternalAccount, verification: str, *, reason: str, actor: str
) -> None:
    """Record a name check's outcome and move the account to the status it gives (webhook, audit)."""
    account.verification_status = verification
    account.verified_name = beneficiary_name(account.account_info) if verification == "MATCHED" else None
    change_status(session, account, STATUS_FOR_VERIFICATION[verification], reason=reason, actor=actor)


def _audit(
    connection: Connection,
    account: ExternalAccount | NewAccount,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    actor: str,
) -> None:
    entry = {"external_account_id": account.id, "from_status": from_status, "to_status": to_status,
             "reason": reason, "actor": actor, "created_at": utcnow()}  # fmt: skip
    before_commit(connection, StatusChange.__tablename__, _StatusChanges).append(entry)


# Compiled once, run on the driver: values go in as parameters (see repository.insert_account).
_INSERT_STATUS_CHANGE = DriverStatement(
    insert(table_of(StatusChange)),
    column_keys=("external_account_id", "from_status", "to_status", "reason", "actor", "created_at"),
)


class _StatusChanges(list[dict[str, Any]]):
    """A transaction's audit entries, in the order they were made, written together just before it commits.

    One statement for every create a group commit's transaction holds, rather than one each.
    """

    def __call__(self, connection: Connection) -> None:
        """INSERT every entry, in one driver call."""
        _INSERT_STATUS_CHANGE.execute_many(connection, self)
