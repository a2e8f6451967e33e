"""HTTP Basic `<token id>:<secret>` -> Principal(platform, mode), checked against the token table."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from railbook.auth.models import ApiToken
from railbook.config import Mode
from railbook.db import Database
from railbook.errors import Unauthorized
from railbook.principal import Principal


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret: secrets are 256 random bits, so a slow hash buys nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class _CachedToken:
    secret_hash: str
    principal: Principal
    expires_at: float


class TokenVerifier:
    """Checks credentials against the token table, remembering verified tokens for a short while."""

    def __init__(self, database: Database, cache_seconds: float) -> None:
        self._database = database
        self._cache_seconds = cache_seconds
        self._cache: dict[str, _CachedToken] = {}

    async def verify(self, authorization: str | None) -> Principal:
        """The principal for an Authorization header, or Unauthorized."""
        token_id, secret = _parse_basic(authorization)
        cached = self._cache.get(token_id)
        if cached is None or cached.expires_at < time.monotonic():
            cached = await run_in_threadpool(self._load, token_id)
        if not hmac.compare_digest(cached.secret_hash, hash_secret(secret)):
            raise Unauthorized("Invalid API credentials")
        return cached.principal

    def _load(self, token_id: str) -> _CachedToken:
        with self._database.reading() as session:
            token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)))
        if token is None:
            self._cache.pop(token_id, None)
            raise Unauthorized("Invalid API credentials")
        entry = _CachedToken(
            secret_hash=token.secret_hash,
            principal=Principal(token.id, token.platform_id, Mode(token.mode)),
            expires_at=time.monotonic() + self._cache_seconds,
        )
        if self._cache_seconds > 0:
            self._cache[token_id] = entry
        return entry


def _parse_basic(authorization: str | None) -> tuple[str, str]:
    if not authorization:
        raise Unauthorized("Missing Authorization header; use HTTP Basic with your token id and secret")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthorized("Authorization must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        # Some guides send `Basic <id>:<secret>` without base64; ':' is never valid base64, so the
        # two forms cannot be confused.
        if ":" not in encoded:
            raise Unauthorized("Malformed Basic credentials") from exc
        decoded = encoded.strip()
    token_id, sep, secret = decoded.partition(":")
    if not sep or not token_id or not secret:
        raise Unauthorized("Malformed Basic credentials; expected <token id>:<secret>")
    return token_id, secret
