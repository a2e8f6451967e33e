"""Creating platforms and minting, listing and revoking API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from railbook.auth.models import ApiToken
from railbook.auth.verifier import hash_secret
from railbook.config import Mode
from railbook.kit.clock import utcnow
from railbook.kit.crypto import MasterKeys
from railbook.kit.ids import new_id, new_uuid
from railbook.platforms.models import Platform, PlatformEnvironment
from railbook.webhooks.endpoints import ensure_endpoint

DEFAULT_PLATFORM = "default"


@dataclass(frozen=True)
class MintedToken:
    """A freshly created token: the only moment its secret exists outside the client."""

    id: str
    secret: str
    platform_id: str
    platform_name: str
    mode: Mode


def find_platform(session: Session, name: str) -> Platform | None:
    """The platform called `name`, if any."""
    return session.scalar(select(Platform).where(Platform.name == name))


def create_platform(session: Session, keys: MasterKeys, name: str) -> Platform:
    """A new platform called `name`, with a sandbox and a production environment and their webhook keys."""
    platform = Platform(id=new_id("Platform"), name=name, created_at=utcnow())
    session.add(platform)
    session.flush()
    for mode in Mode:
        ensure_environment(session, platform.id, mode)
        ensure_endpoint(session, keys, platform.id, mode)
    return platform


def ensure_platform(session: Session, keys: MasterKeys, name: str) -> Platform:
    """The platform called `name`, created if it does not exist."""
    return find_platform(session, name) or create_platform(session, keys, name)


def find_environment(session: Session, platform_id: str, mode: Mode) -> PlatformEnvironment | None:
    """The (platform, mode) environment, if it exists."""
    return session.scalar(
        select(PlatformEnvironment).where(
            PlatformEnvironment.platform_id == platform_id, PlatformEnvironment.mode == mode.value
        )
    )


def ensure_environment(session: Session, platform_id: str, mode: Mode) -> PlatformEnvironment:
    """The (platform, mode) environment, created with an empty configuration if missing."""
    existing = find_environment(session, platform_id, mode)
    if existing is not None:
        return existing
    now = utcnow()
    environment = PlatformEnvironment(
        id=new_id("PlatformConfig"), platform_id=platform_id, mode=mode.value, config={}, created_at=now, updated_at=now
    )
    session.add(environment)
    session.flush()
    return environment


def list_platforms(session: Session) -> list[Platform]:
    """Every platform, oldest first."""
    return list(session.scalars(select(Platform).order_by(Platform.created_at, Platform.id)))


def mint_token(session: Session, platform: Platform, mode: Mode) -> MintedToken:
    """A new API token for (platform, mode); the secret is returned once and kept only as a hash."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        id=new_uuid(),
        platform_id=platform.id,
        mode=mode.value,
        secret_hash=hash_secret(secret),
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    return MintedToken(token.id, secret, platform.id, platform.name, mode)


def list_tokens(session: Session) -> list[tuple[ApiToken, Platform]]:
    """Every token with its platform, oldest first."""
    rows = session.execute(select(ApiToken, Platform).join(Platform).order_by(ApiToken.created_at, ApiToken.id)).all()
    return [(row[0], row[1]) for row in rows]


def revoke_token(session: Session, token_id: str) -> ApiToken | None:
    """Mark a token revoked; None when no such token exists."""
    token = session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def has_any_platform(session: Session) -> bool:
    """True once any platform exists (used to detect the first start)."""
    return session.scalar(select(Platform.id).limit(1)) is not None
