"""GET and PATCH /config: per (platform, mode) settings; the webhook endpoint is kept by `railbook.webhooks`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from railbook.config import Mode
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.platforms.models import PlatformEnvironment
from railbook.platforms.schemas import PlatformConfigUpdate
from railbook.platforms.service import ensure_environment
from railbook.principal import Principal
from railbook.webhooks.endpoints import find_endpoint, set_url


def render(session: Session, environment: PlatformEnvironment) -> dict[str, Any]:
    """The environment as `PlatformConfig`, with its webhook endpoint once one is set."""
    body: dict[str, Any] = {"id": environment.id, **environment.config}
    endpoint = find_endpoint(session, environment.platform_id, Mode(environment.mode))
    if endpoint is not None and endpoint.url:
        body["webhookEndpoint"] = endpoint.url
    body["createdAt"] = rfc3339(environment.created_at)
    body["updatedAt"] = rfc3339(environment.updated_at)
    return body


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
