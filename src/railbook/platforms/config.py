"""GET and PATCH /config: per (platform, mode) settings; the webhook endpoint is kept by `railbook.webhooks`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.platforms.models import PlatformEnvironment
from railbook.platforms.schemas import PlatformConfigUpdate
from railbook.platforms.service import ensure_environment
from railbook.principal import Principal
from railbook.webhooks.endpoints import find_endpoint, set_url

# Railbook's addition to PlatformConfig (x-railbook), kept with the other fields in the config document.
OWNERSHIP_FLAG = "ownershipVerificationRequired"
# Built once: read by every create of a FIRST_PARTY self-custody wallet.
_CONFIG = select(PlatformEnvironment.config).where(
    PlatformEnvironment.platform_id == bindparam("platform_id"), PlatformEnvironment.mode == bindparam("mode")
)


def render(session: Session, environment: PlatformEnvironment) -> dict[str, Any]:
    """The environment as `PlatformConfig`, with its webhook endpoint once one is set."""
    body: dict[str, Any] = {"id": environment.id, OWNERSHIP_FLAG: False, **environment.config}
    endpoint = find_endpoint(session, environment.platform_id, Mode(environment.mode))
    if endpoint is not None and endpoint.url:
        body["webhookEndpoint"] = endpoint.url
    body["createdAt"] = rfc3339(environment.created_at)
    body["updatedAt"] = rfc3339(environment.updated_at)
    return body


def ownership_verification_required(connection: Connection, platform_id: str, mode: Mode) -> bool:
    """Whether the platform, in this mode, has FIRST_PARTY self-custody wallets prove ownership (off by default)."""
    config: dict[str, Any] | None = connection.scalar(_CONFIG, {"platform_id": platform_id, "mode": mode.value})
    return config is not None and config.get(OWNERSHIP_FLAG) is True


def get_config(session: Session, principal: Principal) -> PlatformEnvironment:
    """The caller's environment (created on first use for platforms that predate it)."""
    return ensure_environment(session, principal.platform_id, principal.mode)


def update_config(
    session: Session, keys: MasterKeys, principal: Principal, request: PlatformConfigUpdate
) -> PlatformEnvironment:
    """Apply the fields sent; a new or changed webhookEndpoint is sent a TEST webhook."""
    sent = request.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    url = sent.pop("webhookEndpoint", None)
    environment = get_config(session, principal)
    if url is not None:
        set_url(session, keys, principal, url)
    environment.config = {**environment.config, **sent}
    environment.updated_at = utcnow()
    session.flush()
    return environment
