"""GET and PATCH /config: per (platform, mode) settings; a new webhook endpoint gets a TEST webhook."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from railbook.errors import InvalidInput
from railbook.kit.clock import rfc3339, utcnow
from railbook.kit.crypto import MasterKeys
from railbook.platforms.models import PlatformEnvironment
from railbook.platforms.schemas import PlatformConfigUpdate
from railbook.platforms.service import ensure_environment
from railbook.principal import Principal
from railbook.webhooks.events import TEST, emit


def render(environment: PlatformEnvironment) -> dict[str, Any]:
    """The environment as `PlatformConfig`."""
    body: dict[str, Any] = {"id": environment.id, **environment.config}
    if environment.webhook_endpoint:
        body["webhookEndpoint"] = environment.webhook_endpoint
    body["createdAt"] = rfc3339(environment.created_at)
    body["updatedAt"] = rfc3339(environment.updated_at)
    return body


def check_webhook_endpoint(url: str, principal: Principal) -> None:
    """An absolute http(s) URL with a host; plain http only in sandbox."""
    parts = urlsplit(url)
    allowed = ("https", "http") if principal.is_sandbox else ("https",)
    problem = None
    if parts.scheme not in allowed:
        problem = "must be an absolute https URL" + (" (or http in sandbox)" if principal.is_sandbox else "")
    elif not parts.hostname:
        problem = "must include a host"
    elif parts.username or parts.password:
        problem = "must not carry credentials"
    if problem:
        raise InvalidInput(
            "webhookEndpoint is not a usable URL",
            [{"field": "webhookEndpoint", "message": problem, "constraint": {"format": "url"}}],
        )


def get_config(session: Session, keys: MasterKeys, principal: Principal) -> PlatformEnvironment:
    """The caller's environment (created on first use for platforms that predate it)."""
    return ensure_environment(session, keys, principal.platform_id, principal.mode)


def update_config(
    session: Session, keys: MasterKeys, principal: Principal, request: PlatformConfigUpdate
) -> PlatformEnvironment:
    """Apply the fields sent; a new or changed webhookEndpoint is sent a TEST webhook."""
    environment = get_config(session, keys, principal)
    sent = request.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    endpoint = sent.pop("webhookEndpoint", None)
    if endpoint is not None:
        check_webhook_endpoint(endpoint, principal)
    environment.config = {**environment.config, **sent}
    if endpoint is not None and endpoint != environment.webhook_endpoint:
        environment.webhook_endpoint = endpoint
        emit(session, principal.platform_id, principal.mode, TEST, {})
    environment.updated_at = utcnow()
    session.flush()
    return environment
