"""Operators: created with a password (argon2 hash), signed in with it, slowed down after failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from railbook.console.models import Operator, OperatorAction
from railbook.kit.clock import utcnow
from railbook.kit.ids import new_id

_HASHER = PasswordHasher()
# A hash to verify against when the name is unknown, so both answers take the same time. Written out
# instead of hashed at import, which cost every process that loads the app (servers, workers, the CLI)
# 0.2 s of CPU; its parameters must stay the hasher's (tests/console/test_operators.py).
UNKNOWN_NAME_HASH = "$argon2id$v=19$m=65536,t=3,p=4$HqYzoi26wxV9vGq6pre55Q$GAQ75iyYw6RcBaVr9fe+DG4Izp2esNQfEunfq28oXW4"
FREE_FAILURES = 5
MAX_WAIT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12


class OperatorExists(ValueError):
    """An operator of that name exists already."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the operator, or how long to wait before trying again."""

    operator: Operator | None = None
    retry_after_seconds: int = 0
    # The name is an operator's (a failure then counts against it, and is audited).
    known: bool = False


def create(session: Session, name: str, password: str) -> Operator:
    """A new operator (the password is kept only as its argon2 hash)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Operator.id).where(Operator.name == name)) is not None:
        raise OperatorExists(name)
    operator = Operator(
        id=new_id("Operator"), name=name, password_hash=_HASHER.hash(password), failed_sign_ins=0, session_epoch=0,
        created_at=utcnow(),
    )  # fmt: skip
    session.add(operator)
    session.flush()
    return operator


def wait_before_next(failures: int, last_failed_at: datetime | None, now: datetime) -> int:
    """Seconds a sign-in must wait: none for the first five failures, then doubling from 2 s (15 min at most)."""
    if failures < FREE_FAILURES or last_failed_at is None:
        return 0
    wait = min(timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)), MAX_WAIT)
    remaining = (last_failed_at + wait - now).total_seconds()
    return max(0, int(remaining) + (1 if remaining % 1 else 0))


def sign_in(session: Session, name: str, password: str) -> SignIn:
    """Check a name and password; failures are counted and, past five, slowed down."""
    operator = session.scalar(select(Operator).where(Operator.name == name))
    now = utcnow()
    if operator is None:
        _verify(UNKNOWN_NAME_HASH, password)
        return SignIn()
    wait = wait_before_next(operator.failed_sign_ins, operator.last_failed_at, now)
    if wait:
        return SignIn(retry_after_seconds=wait, known=True)
    if not _verify(operator.password_hash, password):
        operator.failed_sign_ins += 1
        operator.last_failed_at = now
        return SignIn(retry_after_seconds=wait_before_next(operator.failed_sign_ins, now, now), known=True)
    operator.failed_sign_ins = 0
    operator.last_failed_at = None
    return SignIn(operator=operator)


def record(session: Session, operator_name: str, action: str, target: str, reason: str | None = None) -> None:
    """Add an operator action to the console's audit trail."""
    session.add(
        OperatorAction(operator_name=operator_name, action=action, target=target, reason=reason, created_at=utcnow())
    )


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the ones passwords are hashed with now."""
    return _HASHER.check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
