"""Stablecoin link use cases: choose the account, store the link, record checks, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from railbook.errors import InvalidInput, NotFound
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.kit.ids import new_id
from railbook.kit.pagination import FilteredList, Page, PageWindow
from railbook.principal import Principal
from railbook.stablecoin_links.models import StablecoinProviderAccount
from railbook.stablecoin_links.schemas import LinkRequest, LinkStatus

ENVIRONMENT_BY_MODE = {"SANDBOX": "SANDBOX", "PRODUCTION": "PRODUCTION"}


def render(link: StablecoinProviderAccount) -> dict[str, Any]:
    """The contract's `StablecoinProviderAccount` (never the client id or the secret)."""
    body: dict[str, Any] = {
        "id": link.id,
        "provider": link.provider,
        "providerAccountId": link.provider_account_id,
        "providerEnvironment": ENVIRONMENT_BY_MODE[link.mode],
        "status": link.status,
        "createdAt": rfc3339(link.created_at),
        "updatedAt": rfc3339(link.updated_at),
    }
    if link.last_verified_at is not None:
        body["lastVerifiedAt"] = rfc3339(link.last_verified_at)
    return body


def _live_links(principal: Principal, provider: str) -> Select[Any]:
    return select(StablecoinProviderAccount).where(
        StablecoinProviderAccount.platform_id == principal.platform_id,
        StablecoinProviderAccount.mode == principal.mode.value,
        StablecoinProviderAccount.provider == provider,
        StablecoinProviderAccount.status != LinkStatus.REVOKED,
    )


def existing_link(session: Session, principal: Principal, provider: str, account_id: str) -> str | None:
    """The id of the live link to this provider account, if there is one."""
    statement = _live_links(principal, provider).where(StablecoinProviderAccount.provider_account_id == account_id)
    link: StablecoinProviderAccount | None = session.scalar(statement)
    return link.id if link else None


def choose_account(reachable: list[str], requested: str | None) -> str:
    """The provider account to link: the one asked for (if the keys reach it), else the only one they reach."""
    if requested is not None:
        if requested not in reachable:
            message = f"providerAccountId is not among the {len(reachable)} account(s) these credentials reach"
            raise InvalidInput(message, [{"field": "providerAccountId", "message": message}])
        return requested
    if len(reachable) != 1:
        message = (
            f"providerAccountId is required: these credentials reach {len(reachable)} accounts"
            if reachable
            else "these credentials reach no provider account"
        )
        raise InvalidInput(message, [{"field": "providerAccountId", "message": message}])
    return reachable[0]


def seal_credentials(keys: MasterKeys, link_id: str, client_id: str, client_secret: str) -> str:
    """The credentials as one envelope bound to the link's id."""
    plaintext = orjson.dumps({"clientId": client_id, "clientSecret": client_secret})
    return keys.encrypt(plaintext, link_id.encode())


def open_credentials(keys: MasterKeys, link: StablecoinProviderAccount) -> tuple[str, str] | None:
    """(client id, secret), or None once erased."""
    if link.credentials is None:
        return None
    stored = orjson.loads(keys.decrypt(link.credentials, link.id.encode()))
    return str(stored["clientId"]), str(stored["clientSecret"])


def create(
    session: Session,
    principal: Principal,
    request: LinkRequest,
    provider_account_id: str,
    keys: MasterKeys,
    recheck_after: timedelta,
) -> StablecoinProviderAccount:
    """Store a verified link (ACTIVE, just checked); the caller's transaction commits it."""
    now = utcnow()
    link_id = new_id("StablecoinProviderAccount")
    secret = request.api_client_secret.get_secret_value()
    link = StablecoinProviderAccount(
        id=link_id,
        platform_id=principal.platform_id,
        mode=principal.mode.value,
        provider=request.provider.value,
        provider_account_id=provider_account_id,
        status=LinkStatus.ACTIVE,
        credentials=seal_credentials(keys, link_id, request.api_client_id, secret),
        last_verified_at=now,
        next_check_at=now + recheck_after,
        created_at=now,
        updated_at=now,
    )
    session.add(link)
    session.flush()
    return link


def get(session: Session, principal: Principal, link_id: str) -> StablecoinProviderAccount:
    """The platform's link, or 404 STABLECOIN_PROVIDER_ACCOUNT_NOT_FOUND."""
    link = session.get(StablecoinProviderAccount, link_id)
    if link is None or link.platform_id != principal.platform_id or link.mode != principal.mode.value:
        raise NotFound("STABLECOIN_PROVIDER_ACCOUNT_NOT_FOUND", f"Stablecoin provider account {link_id} not found")
    return link


def set_status(link: StablecoinProviderAccount, status: LinkStatus, reason: str, now: datetime) -> None:
    """Move the link to `status`; a revoked link's secret is erased."""
    link.status = status
    link.status_reason = reason[:255]
    link.updated_at = now
    if status is LinkStatus.REVOKED:
        link.credentials = None
        link.next_check_at = None


# The list's filters, each one condition with its value bound by name.
_LIST = FilteredList(
    select(StablecoinProviderAccount).where(
        StablecoinProviderAccount.platform_id == bindparam("platform_id"),
        StablecoinProviderAccount.mode == bindparam("mode"),
    ),
    StablecoinProviderAccount.created_at,
    StablecoinProviderAccount.id,
    {
        "provider": StablecoinProviderAccount.provider == bindparam("provider"),
        "status": StablecoinProviderAccount.status == bindparam("status"),
    },
)


def list_page(
    session: Session,
    principal: Principal,
    filters: dict[str, str | None],
    window: PageWindow,
) -> Page[StablecoinProviderAccount]:
    """One newest-first page of the platform's links in this mode, optionally by provider and status."""
    values = {name: value for name, value in filters.items() if value is not None}
    return _LIST.page(session, window, principal.scope_parameters(), values)
