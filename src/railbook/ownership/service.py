"""Ownership challenges: start one, verify a wallet's signature, take a liveness session's outcome.

Every account status change goes through `external_accounts.service.change_status` (audit trail and
`EXTERNAL_ACCOUNT.STATUS_UPDATED` in the same transaction). Services never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from railbook.errors import Conflict, InvalidInput
from railbook.external_accounts import service as accounts
from railbook.external_accounts.custody import OWNERSHIP_STATUSES, signature_family, why_not_provable
from railbook.external_accounts.models import AccountStatus, ExternalAccount
from railbook.kit.clock import as_utc, rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.kit.ids import new_id
from railbook.kit.signatures import MalformedSignature, SignatureMismatch, check_signature
from railbook.ownership.models import ChallengeMethod, ChallengeState, OwnershipChallenge
from railbook.platforms.models import Platform
from railbook.principal import Principal

LIVENESS_PATH = "/_simulators/liveness"
# Queued when a person finishes the hosted liveness flow; the job applies the outcome.
LIVENESS_RESULT_KIND = "ownership.liveness_result"


@dataclass(frozen=True)
class ChallengeTerms:
    """How challenges are issued: their lifetime and where the liveness pages are served."""

    lifetime_seconds: float
    # Scheme and host the verification links start with (the public URL, or the request's own).
    link_base: str


@dataclass(frozen=True)
class VerifyFailure:
    """A verification that failed: the account is UNVERIFIED (committed), the client gets a 400 with this."""

    reason: str


def start(
    session: Session,
    principal: Principal,
    keys: MasterKeys,
    account_id: str,
    method: ChallengeMethod,
    *,
    platform_owned: bool,
    terms: ChallengeTerms,
) -> dict[str, Any]:
    """The open challenge of this method (unchanged), or a new one replacing any other: `OwnershipChallenge`."""
    account = _awaiting_proof(session, principal, account_id, platform_owned=platform_owned)
    if method is ChallengeMethod.LIVENESS and not principal.is_sandbox:
        raise InvalidInput(
            "LIVENESS needs a liveness provider, and none is configured",
            [{"field": "method", "message": "LIVENESS is not available in production here; use WALLET_SIGNATURE"}],
        )
    now = utcnow()
    current = _open(session, account.id)
    if current is not None:
        if current.method == method and _expires(current) > now:
            return _render(current, keys, terms)
        why = "expired" if _expires(current) <= now else f"replaced by a {method.value} challenge"
        _settle(current, ChallengeState.ABANDONED, why, now)
        session.flush()
    challenge = OwnershipChallenge(
        id=new_id("OwnershipChallenge"),
        external_account_id=account.id,
        method=method.value,
        state=ChallengeState.OPEN.value,
        created_at=now,
        expires_at=now + timedelta(seconds=terms.lifetime_seconds),
        requested_by=f"token:{principal.token_id}",
    )
    if method is ChallengeMethod.WALLET_SIGNATURE:
        challenge.message = _message_to_sign(session, account, challenge.expires_at)
    else:
        token = secrets.token_urlsafe(32)
        challenge.session_digest = session_digest(token)
        challenge.session_sealed = keys.encrypt(token.encode(), challenge.id.encode())
    session.add(challenge)
    session.flush()
    return _render(challenge, keys, terms)


def verify(
    session: Session, principal: Principal, account_id: str, signature: str, *, platform_owned: bool
) -> ExternalAccount | VerifyFailure:
    """Check the signature against the open WALLET_SIGNATURE challenge: ACTIVE, or UNVERIFIED with the reason.

    A malformed signature is a 400 with nothing changed; a well-formed one that fails uses the challenge up.
    """
    account = _awaiting_proof(session, principal, account_id, platform_owned=platform_owned)
    challenge = _open(session, account.id) or _latest(session, account.id)
    if challenge is None or challenge.method != ChallengeMethod.WALLET_SIGNATURE or challenge.message is None:
        raise Conflict("No WALLET_SIGNATURE challenge is outstanding for this external account")
    if challenge.state == ChallengeState.ABANDONED:
        raise Conflict("No WALLET_SIGNATURE challenge is outstanding: the last one was replaced or expired")
    address = str(account.account_info["address"])
    family = signature_family(account.account_type)
    mismatch: str | None = None
    try:
        check_signature(family, address, challenge.message, signature)
    except MalformedSignature as exc:
        error = {"field": "signature", "message": f"signature {exc}"}
        raise InvalidInput("The signature is malformed", [error]) from exc
    except SignatureMismatch as exc:
        mismatch = f"signature {exc}"
    now = utcnow()
    if challenge.state != ChallengeState.OPEN:
        failure = "the challenge was already used; start a new challenge"
    elif _expires(challenge) <= now:
        failure = f"the challenge expired at {rfc3339(_expires(challenge))}; start a new challenge"
    else:
        failure = mismatch or ""
    actor = f"token:{principal.token_id}"
    if challenge.state == ChallengeState.OPEN:
        challenge.signature_digest = hashlib.sha256(signature.encode()).hexdigest()
        _settle(challenge, ChallengeState.FAILED if failure else ChallengeState.VERIFIED, failure or "verified", now)
    if failure:
        accounts.change_status(
            session, account, AccountStatus.UNVERIFIED, reason=f"ownership proof failed: {failure}", actor=actor
        )
        return VerifyFailure(failure)
    accounts.change_status(session, account, AccountStatus.ACTIVE, reason="ownership proven: wallet signature",
                           actor=actor)  # fmt: skip
    return account


def liveness_session(session: Session, token: str) -> OwnershipChallenge | None:
    """The liveness challenge a verification link's token opens."""
    statement = select(OwnershipChallenge).where(OwnershipChallenge.session_digest == session_digest(token))
    return session.scalar(statement)


def liveness_refusal(challenge: OwnershipChallenge | None) -> tuple[int, str] | None:
    """Why a liveness link cannot be answered now (an HTTP status and words), or None when it can."""
    if challenge is None:
        return 404, "This verification link is not known."
    if challenge.state != ChallengeState.OPEN:
        return 409, "This verification was already completed or replaced."
    if _expires(challenge) <= utcnow():
        return 410, f"This verification link expired at {rfc3339(_expires(challenge))}."
    return None


def submit_liveness(session: Session, token: str, *, passed: bool) -> OwnershipChallenge | tuple[int, str]:
    """The person's outcome for a liveness session: the challenge, now SUBMITTED, or why it cannot be taken."""
    challenge = liveness_session(session, token)
    if challenge is not None:
        # The account first, then the challenge: the order `start` and `verify` take them in.
        session.get(ExternalAccount, challenge.external_account_id, with_for_update=True)
        session.refresh(challenge, with_for_update=True)
    refusal = liveness_refusal(challenge)
    if refusal is not None:
        return refusal
    assert challenge is not None
    _settle(challenge, ChallengeState.SUBMITTED, "passed" if passed else "failed", utcnow())
    return challenge


def apply_liveness(session: Session, challenge_id: str) -> None:
    """Move the account of a SUBMITTED liveness session to ACTIVE or UNVERIFIED (nothing when it moved on)."""
    challenge = session.get(OwnershipChallenge, challenge_id)
    if challenge is None:
        return
    account = session.get(ExternalAccount, challenge.external_account_id, with_for_update=True)
    session.refresh(challenge, with_for_update=True)
    if challenge.state != ChallengeState.SUBMITTED:
        return
    passed = challenge.outcome == "passed"
    _settle(challenge, ChallengeState.VERIFIED if passed else ChallengeState.FAILED, challenge.outcome or "", utcnow())
    if account is None or account.deleted_at is not None or account.status not in OWNERSHIP_STATUSES:
        return
    if passed:
        # A signature challenge opened meanwhile is no longer needed.
        other = _open(session, account.id)
        if other is not None:
            _settle(other, ChallengeState.ABANDONED, "ownership proven by liveness", utcnow())
    status = AccountStatus.ACTIVE if passed else AccountStatus.UNVERIFIED
    reason = "ownership proven: liveness" if passed else "ownership proof failed: liveness check failed"
    # The platform waits for this outcome: a failed retry of an UNVERIFIED wallet is sent too.
    accounts.change_status(session, account, status, reason=reason, actor="liveness", announce_unchanged=True)


def session_digest(token: str) -> str:
    """How a liveness session token is found without being stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def proofs(session: Session, account_id: str) -> list[OwnershipChallenge]:
    """Every challenge of an account, oldest first (the proof trail)."""
    statement = (
        select(OwnershipChallenge)
        .where(OwnershipChallenge.external_account_id == account_id)
        .order_by(OwnershipChallenge.created_at, OwnershipChallenge.id)
    )
    return list(session.scalars(statement))


def _awaiting_proof(
    session: Session, principal: Principal, account_id: str, *, platform_owned: bool
) -> ExternalAccount:
    """The account, locked, when a proof applies to it now; 404 or 409 otherwise."""
    account = accounts.get(session, principal, account_id, platform_owned=platform_owned)
    # Locked: two challenges (or a challenge and a verify) of one account run one after the other.
    session.refresh(account, with_for_update=True)
    why_not = why_not_provable(account.account_type, account.ownership_type, account.account_info)
    if why_not is not None:
        raise Conflict(f"Ownership verification does not apply to this external account: {why_not}")
    if account.status not in OWNERSHIP_STATUSES:
        raise Conflict(
            f"Ownership verification does not apply to this external account now: it is {account.status}, "
            "not awaiting an ownership proof"
        )
    return account


def _open(session: Session, account_id: str) -> OwnershipChallenge | None:
    # Locked (after the account): a liveness answer arriving meanwhile is seen, not overwritten.
    return session.scalar(
        select(OwnershipChallenge)
        .where(OwnershipChallenge.external_account_id == account_id, OwnershipChallenge.state == ChallengeState.OPEN)
        .with_for_update()
    )


def _latest(session: Session, account_id: str) -> OwnershipChallenge | None:
    return session.scalar(
        select(OwnershipChallenge)
        .where(OwnershipChallenge.external_account_id == account_id)
        .order_by(OwnershipChallenge.created_at.desc(), OwnershipChallenge.id.desc())
        .limit(1)
    )


def _settle(challenge: OwnershipChallenge, state: ChallengeState, outcome: str, now: datetime) -> None:
    challenge.state = state.value
    challenge.outcome = outcome
    challenge.completed_at = now


def _expires(challenge: OwnershipChallenge) -> datetime:
    expires = as_utc(challenge.expires_at)
    assert expires is not None
    return expires


def _message_to_sign(session: Session, account: ExternalAccount, expires_at: datetime) -> str:
    platform = session.get(Platform, account.platform_id)
    # One line whatever the name holds: no line of the message can be forged through it.
    platform_name = " ".join((platform.name if platform is not None else account.platform_id).split())
    return (
        "Railbook wallet ownership verification\n"
        f"Platform: {platform_name}\n"
        f"Account: {account.id}\n"
        f"Address: {account.account_info['address']}\n"
        f"Nonce: {secrets.token_hex(16)}\n"
        f"Expires: {rfc3339(expires_at)}\n"
        "Signing proves you control this wallet. It moves no funds."
    )


def _render(challenge: OwnershipChallenge, keys: MasterKeys, terms: ChallengeTerms) -> dict[str, Any]:
    expires_at = rfc3339(_expires(challenge))
    if challenge.method == ChallengeMethod.WALLET_SIGNATURE:
        return {"method": challenge.method, "messageToSign": challenge.message, "expiresAt": expires_at}
    assert challenge.session_sealed is not None
    token = keys.decrypt(challenge.session_sealed, challenge.id.encode()).decode()
    link = f"{terms.link_base}{LIVENESS_PATH}/{token}"
    return {"method": challenge.method, "verificationLink": link, "expiresAt": expires_at}
